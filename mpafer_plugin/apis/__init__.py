from .face_crops import BoxFaceCrop, EyesSimilarityFaceCrop, build_face_crop
from .face_detectors import (LANDMARKS, Faces, HaarCascadeFaceDetector,
                             WholeImageFaceDetector, build_face_detector,
                             default_face_detector, detect_faces)
from .face_results_writer import FaceResultsWriter
from .face_tracking import FaceTracker
from .face_visualization import (AnnotatedOutputs, draw_faces,
                                 save_visualization)
from .fer_inferencer import FERInferencer
from .media_inputs import expand_inputs, iter_frames
from .model_init import init_model
from .mtcnn_face_detector import MTCNNFaceDetector
from .prompts_export import (config_from_checkpoint, export_prompts,
                             is_prompts_export, trainable_state_dict)

__all__ = [
    'AnnotatedOutputs', 'BoxFaceCrop', 'FaceTracker', 'build_face_crop',
    'build_face_detector', 'config_from_checkpoint', 'default_face_detector',
    'detect_faces', 'draw_faces', 'expand_inputs', 'export_prompts',
    'EyesSimilarityFaceCrop', 'FaceResultsWriter', 'Faces', 'FERInferencer',
    'HaarCascadeFaceDetector', 'init_model', 'is_prompts_export',
    'iter_frames', 'LANDMARKS', 'MTCNNFaceDetector', 'save_visualization',
    'trainable_state_dict', 'WholeImageFaceDetector'
]

from .face_detectors import (HaarCascadeFaceDetector, WholeImageFaceDetector,
                             build_face_detector)
from .face_results_writer import FaceResultsWriter
from .face_visualization import draw_faces, save_visualization
from .fer_inferencer import FERInferencer
from .media_inputs import expand_inputs, iter_frames
from .model_init import init_model
from .prompts_export import (config_from_checkpoint, export_prompts,
                             is_prompts_export, trainable_state_dict)

__all__ = ['FERInferencer', 'FaceResultsWriter', 'HaarCascadeFaceDetector',
           'WholeImageFaceDetector', 'build_face_detector',
           'config_from_checkpoint', 'draw_faces', 'expand_inputs',
           'export_prompts', 'init_model', 'is_prompts_export', 'iter_frames',
           'save_visualization', 'trainable_state_dict']

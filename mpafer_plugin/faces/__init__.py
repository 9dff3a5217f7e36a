"""The face front end of inference: media inputs (photos, folders, videos,
streams), face detectors (Haar, MTCNN), face crops (box or eye-aligned),
tracking across video frames, drawing and result files. Nothing here needs
the FER model: :class:`mpafer_plugin.apis.FERInferencer` composes these."""
from .crops import BoxFaceCrop, EyesSimilarityFaceCrop, build_face_crop
from .detectors import (LANDMARKS, Faces, HaarCascadeFaceDetector,
                        WholeImageFaceDetector, build_face_detector,
                        default_face_detector, detect_faces)
from .media_inputs import expand_inputs, iter_frames
from .mtcnn_detector import MTCNNFaceDetector
from .results_writer import FaceResultsWriter
from .tracking import FaceTracker
from .visualization import AnnotatedOutputs, draw_faces, save_visualization

__all__ = [
    'AnnotatedOutputs', 'BoxFaceCrop', 'EyesSimilarityFaceCrop',
    'FaceResultsWriter', 'FaceTracker', 'Faces', 'HaarCascadeFaceDetector',
    'LANDMARKS', 'MTCNNFaceDetector', 'WholeImageFaceDetector',
    'build_face_crop', 'build_face_detector', 'default_face_detector',
    'detect_faces', 'draw_faces', 'expand_inputs', 'iter_frames',
    'save_visualization'
]

"""Inference with a trained model: :class:`FERInferencer` and
:func:`init_model`.

The face front end moved to :mod:`mpafer_plugin.faces` and the exports to
:mod:`mpafer_plugin.export`; their old names here
(``mpafer_plugin.apis.draw_faces``, ``mpafer_plugin.apis.media_inputs``, ...)
still import, with a ``FutureWarning`` (deprecated, see CHANGELOG.md).
"""
from ..utils.moved_modules import alias_moved_modules, moved_attribute
from .fer_inferencer import FERInferencer
from .model_init import init_model

# Modules that were in this package: old name -> new module.
MOVED_MODULES = {
    'media_inputs': 'mpafer_plugin.faces.media_inputs',
    'face_detectors': 'mpafer_plugin.faces.detectors',
    'mtcnn_face_detector': 'mpafer_plugin.faces.mtcnn_detector',
    'face_crops': 'mpafer_plugin.faces.crops',
    'face_tracking': 'mpafer_plugin.faces.tracking',
    'face_visualization': 'mpafer_plugin.faces.visualization',
    'face_results_writer': 'mpafer_plugin.faces.results_writer',
    'prompts_export': 'mpafer_plugin.export.prompts_export',
    'export_clip_path': 'mpafer_plugin.export.clip_path',
    'deploy_model': 'mpafer_plugin.export.deploy_model',
}
# Public names that were exported here: name -> the package that has it.
_FACES = ('AnnotatedOutputs', 'BoxFaceCrop', 'build_face_crop',
          'build_face_detector', 'default_face_detector', 'detect_faces',
          'draw_faces', 'expand_inputs', 'EyesSimilarityFaceCrop',
          'FaceResultsWriter', 'Faces', 'FaceTracker',
          'HaarCascadeFaceDetector', 'iter_frames', 'LANDMARKS',
          'MTCNNFaceDetector', 'save_visualization', 'WholeImageFaceDetector')
_EXPORT = ('config_from_checkpoint', 'export_prompts', 'is_prompts_export',
           'trainable_state_dict')
MOVED_NAMES = {
    **dict.fromkeys(_FACES, 'mpafer_plugin.faces'),
    **dict.fromkeys(_EXPORT, 'mpafer_plugin.export')
}
alias_moved_modules({
    f'{__name__}.{old}': new
    for old, new in MOVED_MODULES.items()
})


def __getattr__(name: str):
    value = moved_attribute(__name__, MOVED_NAMES, name)
    globals()[name] = value  # warned once; later look-ups find it here
    return value


__all__ = ['FERInferencer', 'init_model']

"""What a deployed model expects of its input, recorded with the export so
that a pipeline without this package prepares faces exactly as
:class:`~mpafer_plugin.apis.FERInferencer` does.

:func:`deploy_preprocessing` reads it from the config and model:

- ``face_crop``: the crop's geometry (``EyesSimilarityFaceCrop``: a
  ``size`` px square with the eye centres at ``left_eye`` / ``right_eye``,
  fractions of ``size``, bilinear ``warpAffine``, black borders; faces
  without landmarks, and ``BoxFaceCrop``: the detector's box grown by
  ``margin`` of its width / height on each side, clipped to the image);
- ``resize``: the test pipeline's ``Resize`` of the crop to
  ``input_size`` (``backend`` ``'pillow'`` or ``'cv2'``, and its
  ``interpolation``: OpenCV's default bilinear instead of Pillow's bicubic
  moves the probabilities by up to 0.06);
- ``input``: layout ``NCHW`` float32, ``BGR`` channel order, 0-255 values;
- ``normalization``: ``mean`` / ``std`` (RGB, 0-255) and the BGR to RGB
  flip, applied inside the exported graph (recorded, not to be repeated).
"""
from typing import Optional

from mmengine.config import Config

METADATA_KEY = 'mpafer_preprocessing'  # ONNX metadata_props key
EXTRA_FILE = 'preprocessing.json'  # TorchScript extra file, and beside


def _test_resize(cfg: Config) -> dict:
    pipeline = cfg.test_dataloader.dataset.pipeline
    resizes = [
        t for t in pipeline if t['type'] in ('Resize', 'mmpretrain.Resize')
    ]
    if len(resizes) != 1:
        raise ValueError(
            f'the test pipeline has {len(resizes)} Resize transforms; a '
            f'deployable export records exactly one: {pipeline}')
    resize = resizes[0]
    return dict(
        backend=resize.get('backend', 'cv2'),
        interpolation=resize.get('interpolation', 'bilinear'))


def deploy_preprocessing(cfg: Config,
                         input_size: int,
                         margin: Optional[float] = 0.2) -> dict:
    """The preprocessing record of the module doc, for a model of ``cfg``
    whose input is ``input_size`` px square; ``margin``: the box crops'
    default (``FERInferencer``'s, unless ``face_crop`` sets one)."""
    crop = dict(cfg.get('face_crop') or dict(type='BoxFaceCrop'))
    crop.setdefault('margin', margin)
    if crop['type'] == 'EyesSimilarityFaceCrop':
        crop.setdefault('size', 100)
        crop.setdefault('left_eye', [0.34, 0.46])
        crop.setdefault('right_eye', [0.66, 0.46])
        crop.update(
            left_eye=list(crop['left_eye']),
            right_eye=list(crop['right_eye']),
            warp='bilinear, borders black (cv2.warpAffine)')
    preprocessor = cfg.model.data_preprocessor
    return dict(
        face_crop=crop,
        resize=dict(_test_resize(cfg), size=[input_size, input_size]),
        input=dict(
            layout='NCHW',
            dtype='float32',
            channels='BGR',
            value_range=[0, 255]),
        normalization=dict(
            mean=list(preprocessor['mean']),
            std=list(preprocessor['std']),
            to_rgb=bool(preprocessor.get('to_rgb', False)),
            applied='inside the exported graph'),
        detector='MTCNNFaceDetector (tools/infer.py default; five '
        'landmarks for the eye crop), HaarCascadeFaceDetector otherwise')

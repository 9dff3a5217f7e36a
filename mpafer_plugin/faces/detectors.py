"""Face detectors for inference on photos: registered in ``TASK_UTILS`` and
built from a config dict, so the detector is a setting, not code.

A detector maps a BGR ``uint8`` image of shape ``(H, W, 3)`` to an
``(N, 4)`` ``int64`` array of boxes ``(x1, y1, x2, y2)`` in pixels, ``x2``
and ``y2`` exclusive, sorted left to right (then top to bottom), so the face
index of a result is stable (``detector(image)``). ``detector.detect(image)``
gives :class:`Faces`: the same boxes and, for a landmark detector, the five
landmarks of each face (:func:`detect_faces` does it for any detector).

- ``HaarCascadeFaceDetector``: OpenCV's Viola-Jones cascade. The cascade
  files ship inside the ``opencv-python`` 4.x wheels (``cv2.data``), so it
  works offline; OpenCV 5 wheels ship none (hence ``opencv-python<5`` in
  requirements.txt), in which case give ``cascade`` as a file path.
- ``WholeImageFaceDetector`` (``'none'``): the whole image is one face, for
  inputs that are already aligned face crops.
- ``MTCNNFaceDetector`` (:mod:`.mtcnn_detector`): boxes and five
  landmarks; the default when its weights are installed
  (:func:`default_face_detector`).
"""
import inspect
import os.path as osp
import warnings
from typing import Union

import cv2
import numpy as np
from mmpretrain.registry import TASK_UTILS

from . import mtcnn_detector
from .structures import LANDMARKS, Faces, expand_box


def _sort_boxes(boxes: np.ndarray) -> np.ndarray:
    return Faces.sorted(boxes).boxes


def detect_faces(detector, image: np.ndarray) -> Faces:
    """:class:`Faces` of ``image`` from any detector: its ``detect`` method
    when it has one, else its boxes (a plain callable) without landmarks."""
    if hasattr(detector, 'detect'):
        return detector.detect(image)
    return Faces.sorted(detector(image))


@TASK_UTILS.register_module()
class WholeImageFaceDetector:
    """The whole image as one face: ``[[0, 0, W, H]]``."""

    def __call__(self, image: np.ndarray) -> np.ndarray:
        height, width = image.shape[:2]
        return np.array([[0, 0, width, height]], dtype=np.int64)


@TASK_UTILS.register_module()
class HaarCascadeFaceDetector:
    """OpenCV Haar cascade face detector (``cv2.CascadeClassifier``).

    Detection runs on the histogram-equalised gray image; an image whose
    short side is below ``upscale_to`` is first enlarged (bicubic) so that
    its short side is ``upscale_to`` and the boxes are mapped back, so a
    face filling a tiny image (48 px FER crops, thumbnails) is still found.

    Args:
        cascade (str): a file name in ``cv2.data.haarcascades`` or a path to
            a cascade XML file. Default ``'haarcascade_frontalface_default.
            xml'``.
        scale_factor (float): image pyramid step of ``detectMultiScale``.
        min_neighbors (int): overlapping detections needed to keep a face;
            higher gives fewer false faces.
        min_size (int): smallest face side in pixels, in the (possibly
            upscaled) detection image.
        upscale_to (int): short side below which the image is upscaled for
            detection; ``0`` never upscales.
    """

    def __init__(self,
                 cascade: str = 'haarcascade_frontalface_default.xml',
                 scale_factor: float = 1.1,
                 min_neighbors: int = 5,
                 min_size: int = 24,
                 upscale_to: int = 256):
        path = cascade if osp.isfile(cascade) else osp.join(
            getattr(getattr(cv2, 'data', None), 'haarcascades', ''), cascade)
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'HaarCascadeFaceDetector: cascade {cascade!r} is neither a '
                f'file nor in OpenCV {cv2.__version__}\'s cascade folder '
                f'({osp.dirname(path) or "none"}). OpenCV 5 wheels ship no '
                f'cascades: install opencv-python<5 (requirements.txt) or '
                f'give cascade=/path/to/haarcascade_frontalface_default.xml.')
        try:
            self.classifier = cv2.CascadeClassifier(path)
        except (cv2.error, SystemError):
            self.classifier = None
        if self.classifier is None or self.classifier.empty():
            raise ValueError(
                f'HaarCascadeFaceDetector: {path} is not a cascade file '
                f'OpenCV can load.')
        self.scale_factor = scale_factor
        self.min_neighbors = min_neighbors
        self.min_size = min_size
        self.upscale_to = upscale_to

    def __call__(self, image: np.ndarray) -> np.ndarray:
        gray = image if image.ndim == 2 else cv2.cvtColor(
            image, cv2.COLOR_BGR2GRAY)
        height, width = gray.shape
        scale = 1.0
        if self.upscale_to and min(height, width) < self.upscale_to:
            scale = self.upscale_to / min(height, width)
            gray = cv2.resize(
                gray, (round(width * scale), round(height * scale)),
                interpolation=cv2.INTER_CUBIC)
        found = self.classifier.detectMultiScale(
            cv2.equalizeHist(gray),
            scaleFactor=self.scale_factor,
            minNeighbors=self.min_neighbors,
            minSize=(self.min_size, self.min_size))
        boxes = np.asarray(found, dtype=np.float64).reshape(-1, 4)
        boxes[:, 2:] += boxes[:, :2]  # (x, y, w, h) -> (x1, y1, x2, y2)
        boxes = np.round(boxes / scale)
        boxes[:, 0::2] = boxes[:, 0::2].clip(0, width)
        boxes[:, 1::2] = boxes[:, 1::2].clip(0, height)
        return _sort_boxes(boxes)


FaceDetectorType = Union[None, str, dict, object]


def default_face_detector() -> str:
    """``'MTCNNFaceDetector'`` (boxes and landmarks, so faces are aligned
    like the training crops) when its weights are installed
    (``facenet-pytorch``, see docs/face_detection.md), else
    ``'HaarCascadeFaceDetector'``, which needs nothing, with a warning."""
    if mtcnn_detector.mtcnn_weights_folder() is not None:
        return 'MTCNNFaceDetector'
    warnings.warn('facenet-pytorch is not installed: faces are detected '
                  'with OpenCV\'s Haar cascade, without landmarks, so they '
                  'are cropped from boxes, not aligned like the training '
                  'crops (see docs/face_detection.md).')
    return 'HaarCascadeFaceDetector'


def _takes_device(detector_type) -> bool:
    cls = TASK_UTILS.get(detector_type) if isinstance(detector_type,
                                                      str) else detector_type
    return cls is not None and 'device' in inspect.signature(
        cls.__init__).parameters


def build_face_detector(detector: FaceDetectorType, device=None):
    """A detector from ``None`` / ``'none'`` (whole image), ``'auto'``
    (:func:`default_face_detector`), a registered type name
    (``'HaarCascadeFaceDetector'``), a config dict
    (``dict(type='HaarCascadeFaceDetector', min_neighbors=8)``) or an
    already built callable.

    ``device`` (e.g. the model's, ``'cuda:0'``) is given to a detector
    type that takes a ``device`` argument (MTCNN) unless its config sets
    one; detectors without (Haar) ignore it."""
    if detector is None or (isinstance(detector, str)
                            and detector.lower() == 'none'):
        return WholeImageFaceDetector()
    if isinstance(detector, str):
        detector = dict(type=detector)
    if isinstance(detector, dict):
        if str(detector.get('type')).lower() == 'auto':
            detector = dict(detector, type=default_face_detector())
        if device is not None and 'device' not in detector and _takes_device(
                detector['type']):
            detector = dict(detector, device=str(device))
        return TASK_UTILS.build(detector)
    if callable(detector):
        return detector
    raise TypeError(f'detector must be None, "none", a type name, a config '
                    f'dict or a callable, not {type(detector).__name__}.')


__all__ = [
    'Faces', 'HaarCascadeFaceDetector', 'LANDMARKS', 'WholeImageFaceDetector',
    'build_face_detector', 'default_face_detector', 'detect_faces',
    'expand_box', 'FaceDetectorType'
]

"""Face crops for the classifier, with the geometry of the training data.

A FER model sees at inference what it saw in training: a crop made like
the dataset's own. A config says which with its ``face_crop`` key (a
``TASK_UTILS`` config dict; :class:`BoxFaceCrop` when it has none):

- :class:`BoxFaceCrop`: the detector's box grown by ``margin`` of its size
  on each side (AffectNet and FERPlus images are face-box crops).
- :class:`EyesSimilarityFaceCrop`: a similarity transform (rotation,
  uniform scale, translation) that puts the two eye centres on fixed points
  of a ``size`` x ``size`` crop (RAF-DB's aligned images are aligned on the
  eyes). With the eye centres ``p_l, p_r`` found in the photo and their
  places ``q_l, q_r`` in the crop, ``s = |q_r - q_l| / |p_r - p_l|``,
  ``θ = ∠(q_r - q_l) - ∠(p_r - p_l)`` and ``x' = s R(θ) (x - p_l) + q_l``.
  A face without landmarks (Haar cascade) gets the box crop instead.

Every crop is called as ``crop(image, box, landmarks)`` with a BGR image, a
box ``(x1, y1, x2, y2)`` and ``(5, 2)`` landmarks or ``None``, and returns
``(crop, aligned)``: the BGR crop and whether landmarks were used.
"""
from typing import Optional, Sequence, Tuple

import cv2
import numpy as np
from mmpretrain.registry import TASK_UTILS

from .structures import expand_box


@TASK_UTILS.register_module()
class BoxFaceCrop:
    """The box grown by ``margin`` times its width / height on each side,
    clipped to the image."""

    def __init__(self, margin: float = 0.2):
        self.margin = margin

    def __call__(
            self,
            image: np.ndarray,
            box: Sequence[int],
            landmarks: Optional[np.ndarray] = None) -> Tuple[np.ndarray, bool]:
        height, width = image.shape[:2]
        x1, y1, x2, y2 = expand_box(box, self.margin, width, height)
        return image[y1:y2, x1:x2], False


def eyes_similarity(eyes: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """The ``2 x 3`` similarity matrix mapping the eye centres ``eyes``
    (``(2, 2)``: left, right, pixels) onto ``targets`` (``(2, 2)``)."""
    (px, py), (qx, qy) = np.asarray(eyes, np.float64)
    (ux, uy), (vx, vy) = np.asarray(targets, np.float64)
    src, dst = complex(qx - px, qy - py), complex(vx - ux, vy - uy)
    if abs(src) < 1e-6:
        raise ValueError(f'The two eye centres coincide ({eyes.tolist()}).')
    rotation = dst / src  # s * exp(i θ)
    a, b = rotation.real, rotation.imag
    return np.array([[a, -b, ux - (a * px - b * py)],
                     [b, a, uy - (b * px + a * py)]])


@TASK_UTILS.register_module()
class EyesSimilarityFaceCrop:
    """A ``size`` x ``size`` crop with the eye centres at ``left_eye`` and
    ``right_eye`` (fractions of ``size``; left as seen in the image), by a
    similarity transform (module doc); borders outside the photo are
    black. Faces without landmarks get :class:`BoxFaceCrop` with
    ``margin``.

    The default eye places are those of the common 5-point template of
    aligned face crops (112 px ArcFace crops: eyes at 34 % and 66 % of the
    width, 46 % of the height), not measured on RAF-DB (not available
    here); set a dataset's own in its config (docs/face_detection.md).
    """

    def __init__(self,
                 size: int = 100,
                 left_eye: Sequence[float] = (0.34, 0.46),
                 right_eye: Sequence[float] = (0.66, 0.46),
                 margin: float = 0.2):
        if not left_eye[0] < right_eye[0]:
            raise ValueError(f'left_eye {tuple(left_eye)} must lie left of '
                             f'right_eye {tuple(right_eye)}.')
        self.size = int(size)
        self.targets = np.array([left_eye, right_eye], np.float64) * size
        self.fallback = BoxFaceCrop(margin)

    def __call__(
            self,
            image: np.ndarray,
            box: Sequence[int],
            landmarks: Optional[np.ndarray] = None) -> Tuple[np.ndarray, bool]:
        if landmarks is None:
            return self.fallback(image, box)
        matrix = eyes_similarity(np.asarray(landmarks)[:2], self.targets)
        crop = cv2.warpAffine(
            image,
            matrix, (self.size, self.size),
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=0)
        return crop, True


def build_face_crop(cfg: Optional[dict], margin: float):
    """The crop of a config's ``face_crop`` key (``None``: a
    :class:`BoxFaceCrop`), with ``margin`` for box crops unless the key
    sets it."""
    cfg = dict(type='BoxFaceCrop') if cfg is None else dict(cfg)
    cfg.setdefault('margin', margin)
    return TASK_UTILS.build(cfg)


__all__ = [
    'BoxFaceCrop', 'EyesSimilarityFaceCrop', 'build_face_crop',
    'eyes_similarity'
]

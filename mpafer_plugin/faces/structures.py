"""What a face detector returns (:class:`Faces`: boxes and landmarks) and
box geometry; shared by every detector and crop, depending on none."""
from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

# Landmark order of :attr:`Faces.landmarks`; left / right as seen in the
# image (the subject's right eye is the image's left eye).
LANDMARKS = ('left_eye', 'right_eye', 'nose', 'mouth_left', 'mouth_right')


@dataclass
class Faces:
    """Faces found in one image, sorted left to right (then top to bottom).

    Attributes:
        boxes: ``(N, 4)`` ``int64`` ``(x1, y1, x2, y2)``, ``x2``/``y2``
            exclusive.
        landmarks: ``(N, 5, 2)`` ``float32`` ``(x, y)`` pixels in the order
            of :data:`LANDMARKS`, or ``None`` for a detector without them.
    """
    boxes: np.ndarray
    landmarks: Optional[np.ndarray] = None

    @classmethod
    def sorted(cls, boxes, landmarks=None) -> 'Faces':
        boxes = np.asarray(boxes, dtype=np.int64).reshape(-1, 4)
        order = np.lexsort((boxes[:, 1], boxes[:, 0]))
        if landmarks is not None:
            landmarks = np.asarray(landmarks, np.float32).reshape(-1, 5,
                                                                  2)[order]
        return cls(boxes[order], landmarks)


def expand_box(box: Sequence[int], margin: float, width: int,
               height: int) -> np.ndarray:
    """Grow ``box`` ``(x1, y1, x2, y2)`` by ``margin`` times its width and
    height on each side, clipped to a ``width`` x ``height`` image."""
    x1, y1, x2, y2 = (float(v) for v in box)
    dx, dy = margin * (x2 - x1), margin * (y2 - y1)
    return np.array([
        max(0, round(x1 - dx)),
        max(0, round(y1 - dy)),
        min(width, round(x2 + dx)),
        min(height, round(y2 + dy))
    ],
                    dtype=np.int64)


__all__ = ['Faces', 'LANDMARKS', 'expand_box']

"""MTCNN face detector with five landmarks, offline.

MTCNN (Zhang et al., "Joint Face Detection and Alignment using Multi-task
Cascaded Convolutional Networks", 2016): three small CNNs (P-, R- and O-Net)
on an image pyramid give face boxes, a confidence and five landmarks (eye
centres, nose tip, mouth corners). The weights and the cascade come from
the ``facenet-pytorch`` wheel (MIT licence, see NOTICE), which ships them
inside the package, so nothing is downloaded. ``pip install
"mpafer_plugin[faces]"`` installs facenet-pytorch 2.5.3: the same MTCNN code
and weights as 2.6.0, without 2.6.0's torch < 2.3 / numpy < 2 pins.
docs/face_detection.md says what else was checked and why this one.
"""
import importlib.util
import os.path as osp
from typing import Optional, Sequence

import numpy as np
import torch
from mmpretrain.registry import TASK_UTILS

from .structures import Faces

WEIGHTS = ('pnet.pt', 'rnet.pt', 'onet.pt')
INSTALL_HINT = ('pip install "mpafer_plugin[faces]" (facenet-pytorch==2.5.3, '
                'see docs/face_detection.md)')


def mtcnn_weights_folder() -> Optional[str]:
    """The folder of the installed ``facenet-pytorch``'s MTCNN weights, or
    ``None`` when it is not installed (found without importing it)."""
    spec = importlib.util.find_spec('facenet_pytorch')
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = osp.join(list(spec.submodule_search_locations)[0], 'data')
    if all(osp.isfile(osp.join(folder, name)) for name in WEIGHTS):
        return folder
    return None


@TASK_UTILS.register_module()
class MTCNNFaceDetector:
    """MTCNN boxes and five landmarks (see the module doc).

    Args:
        min_face_size (int): smallest face side searched, in pixels of the
            detection image; larger is faster.
        thresholds (Sequence[float]): P-, R- and O-Net confidence
            thresholds.
        score_threshold (float): final confidence a face needs.
        max_side (int): an image whose long side exceeds this is shrunk for
            detection (boxes and landmarks mapped back); ``0`` never.
        upscale_to (int): an image whose short side is below this is
            enlarged for detection (48 px FER crops); ``0`` never.
        device (str): where the three networks run.
    """

    def __init__(self,
                 min_face_size: int = 20,
                 thresholds: Sequence[float] = (0.6, 0.7, 0.7),
                 score_threshold: float = 0.9,
                 max_side: int = 1280,
                 upscale_to: int = 160,
                 device: str = 'cpu'):
        if mtcnn_weights_folder() is None:
            raise ImportError(f'MTCNNFaceDetector needs the MTCNN weights of '
                              f'facenet-pytorch: {INSTALL_HINT}; or use '
                              f'--detector HaarCascadeFaceDetector.')
        from facenet_pytorch import MTCNN
        self.mtcnn = MTCNN(
            min_face_size=min_face_size,
            thresholds=list(thresholds),
            keep_all=True,
            post_process=False,
            device=device)
        self.score_threshold = score_threshold
        self.max_side = max_side
        self.upscale_to = upscale_to

    def __call__(self, image: np.ndarray) -> np.ndarray:
        return self.detect(image).boxes

    def _scale(self, height: int, width: int) -> float:
        if self.max_side and max(height, width) > self.max_side:
            return self.max_side / max(height, width)
        if self.upscale_to and min(height, width) < self.upscale_to:
            return self.upscale_to / min(height, width)
        return 1.0

    @torch.no_grad()
    def detect(self, image: np.ndarray) -> Faces:
        """:class:`Faces` (boxes and landmarks) of a BGR or gray image."""
        import cv2
        if image.ndim == 2:
            image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
        height, width = image.shape[:2]
        scale = self._scale(height, width)
        if scale != 1.0:
            image = cv2.resize(
                image, (round(width * scale), round(height * scale)),
                interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
        rgb = np.ascontiguousarray(image[..., ::-1])
        boxes, scores, points = self.mtcnn.detect(rgb, landmarks=True)
        if boxes is None:
            return Faces.sorted(np.zeros((0, 4)), np.zeros((0, 5, 2)))
        keep = np.asarray(scores, dtype=np.float64) >= self.score_threshold
        boxes = np.round(np.asarray(boxes, np.float64)[keep] / scale)
        boxes[:, 0::2] = boxes[:, 0::2].clip(0, width)
        boxes[:, 1::2] = boxes[:, 1::2].clip(0, height)
        return Faces.sorted(boxes,
                            np.asarray(points, np.float64)[keep] / scale)


__all__ = ['MTCNNFaceDetector', 'mtcnn_weights_folder']

"""Faces followed across video frames, and their class probabilities
smoothed over time.

A greedy IoU tracker: the faces of a frame are matched to the tracks of
the previous frame of the same source, the pair of highest box IoU first,
while the IoU is at least ``min_iou``; an unmatched face starts a new track
(ids count up from 0 per source) and a track without a face ends.

Smoothing is an exponential moving average per track:
``p_t = s · p_{t-1} + (1 - s) · q_t``, with ``q_t`` the frame's own
probabilities and ``s`` in ``[0, 1)`` (``0``: none). ``pred_*`` follow the
smoothed probabilities; ``raw_scores`` keeps the frame's own.
"""
from typing import Dict, List, Optional

import numpy as np


def box_iou(a, b) -> float:
    """IoU of two ``(x1, y1, x2, y2)`` boxes."""
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    if width <= 0 or height <= 0:
        return 0.0
    inter = width * height
    area = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1])
    return inter / (area - inter)


class FaceTracker:
    """Adds ``track`` to every face of the video records given to
    :meth:`update`, in frame order, and smooths their ``scores``.

    Args:
        smoothing (float): ``s`` of the moving average, in ``[0, 1)``.
        min_iou (float): least IoU between boxes of consecutive frames
            for the same face.
    """

    def __init__(self, smoothing: float = 0.0, min_iou: float = 0.3):
        if not 0 <= smoothing < 1:
            raise ValueError(f'smoothing must be in [0, 1), got '
                             f'{smoothing}.')
        if not 0 < min_iou <= 1:
            raise ValueError(f'min_iou must be in (0, 1], got {min_iou}.')
        self.smoothing, self.min_iou = smoothing, min_iou
        self._source: Optional[str] = None
        self._tracks: List[dict] = []  # dict(id, box, scores)
        self._next_id = 0

    def update(self, record: dict) -> dict:
        """Track and smooth the faces of ``record`` in place; records of
        still images are left as they are."""
        if record.get('frame') is None:
            return record
        if record['source'] != self._source:
            self._source, self._tracks, self._next_id = \
                record['source'], [], 0
        faces = [face for face in record['faces'] if 'scores' in face]
        pairs = sorted(((box_iou(track['box'], face['box']), t, f)
                        for t, track in enumerate(self._tracks)
                        for f, face in enumerate(faces)),
                       reverse=True)
        matched: Dict[int, dict] = {}
        used = set()
        for iou, t, f in pairs:
            if iou < self.min_iou:
                break
            if f not in matched and t not in used:
                matched[f] = self._tracks[t]
                used.add(t)
        tracks = []
        for f, face in enumerate(faces):
            previous = matched.get(f)
            if previous is None:
                track_id, self._next_id = self._next_id, self._next_id + 1
            else:
                track_id = previous['id']
            names = list(face['scores'])
            own = np.array([face['scores'][n] for n in names])
            smoothed = own if previous is None else \
                self.smoothing * previous['scores'] + \
                (1 - self.smoothing) * own
            label = int(smoothed.argmax())
            face.update(
                track=track_id,
                raw_scores=dict(face['scores']),
                scores=dict(zip(names, smoothed.tolist())),
                pred_label=label,
                pred_class=names[label],
                pred_score=float(smoothed[label]))
            tracks.append(dict(id=track_id, box=face['box'], scores=smoothed))
        self._tracks = tracks
        return record


__all__ = ['FaceTracker', 'box_iou']

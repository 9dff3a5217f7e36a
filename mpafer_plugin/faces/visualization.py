"""Annotated images and videos of inference results: a box per face with
its index (or track id), predicted class and probability."""
import os
import os.path as osp
from collections import Counter
from typing import Iterable, Optional, Set

import cv2
import numpy as np

BOX_COLOR = (0, 200, 255)  # BGR
TEXT_COLOR = (0, 0, 0)
MIN_SIDE = 256  # smaller images are enlarged so that labels stay legible


def draw_faces(image: np.ndarray, record: dict) -> np.ndarray:
    """A copy of the BGR ``image`` with each face of ``record`` (a result of
    :class:`FERInferencer`) drawn as a box labelled ``'<i> <class> <p>'``;
    an image without face is labelled with its status. An image whose short
    side is below ``MIN_SIDE`` is enlarged first (boxes scaled with it)."""
    height, width = image.shape[:2]
    scale = max(1.0, MIN_SIDE / min(height, width))
    canvas = cv2.resize(image, (round(width * scale), round(height * scale)),
                        interpolation=cv2.INTER_NEAREST) \
        if scale > 1 else image.copy()
    height, width = canvas.shape[:2]
    thickness = max(1, round(min(height, width) / 200))
    font_scale = max(0.3, min(height, width) / 600)
    for face in record['faces']:
        x1, y1, x2, y2 = (round(v * scale) for v in face['box'])
        cv2.rectangle(canvas, (x1, y1), (x2 - 1, y2 - 1), BOX_COLOR, thickness)
        name = f'#{face["track"]}' if face.get('track') is not None \
            else face['face']
        _label(canvas, f'{name} {face["pred_class"]} '
               f'{face["pred_score"]:.2f}', x1, y1, font_scale, thickness)
    if not record['faces']:
        _label(canvas, record['status'].replace('_', ' '), 0, 0, font_scale,
               thickness)
    return canvas


def _label(canvas, text, x, y, font_scale, thickness):
    """``text`` on a filled box above ``(x, y)`` (below it at the top
    edge), shifted left / up as needed to lie wholly inside the canvas."""
    (text_w, text_h), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX,
                                             font_scale, thickness)
    height, width = canvas.shape[:2]
    top = y - text_h - base if y - text_h - base >= 0 else y
    top = max(0, min(top, height - text_h - base - 1))
    x = max(0, min(x, width - text_w - 1))
    cv2.rectangle(canvas, (x, top), (x + text_w, top + text_h + base),
                  BOX_COLOR, cv2.FILLED)
    cv2.putText(canvas, text, (x, top + text_h), cv2.FONT_HERSHEY_SIMPLEX,
                font_scale, TEXT_COLOR, thickness, cv2.LINE_AA)


def _relative(source: str, root: Optional[str]) -> str:
    if root:
        return osp.relpath(source, root)
    return osp.basename(source).replace(':', '_')


def shared_stems(sources: Iterable, root: Optional[str] = None) -> Set[str]:
    """The sources (paths) whose name without extension is that of another
    source (``face.jpg``, ``face.png``, ``face.bmp``; compared without
    case): their annotated outputs keep the extension to stay apart."""
    paths = [s for s in sources if isinstance(s, str)]
    stems = Counter(
        osp.splitext(_relative(path, root))[0].lower() for path in paths)
    return {
        path
        for path in paths
        if stems[osp.splitext(_relative(path, root))[0].lower()] > 1
    }


def visualization_path(record: dict,
                       out_dir: str,
                       root: Optional[str] = None,
                       keep_extension: bool = False) -> str:
    """Where the annotated image of ``record`` goes under ``out_dir``: the
    source's path relative to ``root`` (the input folder) or its file name,
    as ``.png`` (``face.jpg.png`` with ``keep_extension``, for a source
    whose stem another source shares); a video frame goes to
    ``<video>/frame_<index>.png``."""
    relative = _relative(record['source'], root)
    stem = relative if keep_extension else osp.splitext(relative)[0]
    if record['frame'] is not None:
        return osp.join(out_dir, stem, f'frame_{record["frame"]:06d}.png')
    return osp.join(out_dir, stem + '.png')


def save_visualization(image: np.ndarray,
                       record: dict,
                       out_dir: str,
                       root: Optional[str] = None,
                       keep_extension: bool = False) -> str:
    """Draw ``record`` on ``image``, write it to
    :func:`visualization_path` and return that path."""
    path = visualization_path(record, out_dir, root, keep_extension)
    os.makedirs(osp.dirname(path), exist_ok=True)
    if not cv2.imwrite(path, draw_faces(image, record)):
        raise OSError(f'Cannot write the annotated image {path}.')
    return path


class AnnotatedOutputs:
    """Context manager writing the annotated result of every image to
    ``out_dir``: a still image to :func:`visualization_path` (PNG), the
    frames of a video or live source to one annotated video
    ``<out_dir>/<video name>.mp4`` at the rate of the frames classified.
    Videos are finalised on exit, also on Ctrl-C, so they play. Given the
    run's ``sources``, inputs that share a name without extension keep the
    extension (:func:`shared_stems`), so each input has its own output."""

    def __init__(self,
                 out_dir: str,
                 root: Optional[str] = None,
                 sources: Iterable = ()):
        self.out_dir, self.root = out_dir, root
        self._shared = shared_stems(sources, root)
        self._videos = {}

    def __enter__(self):
        return self

    def write(self, image: np.ndarray, record: dict) -> str:
        keep = record['source'] in self._shared
        if record['frame'] is None:
            return save_visualization(image, record, self.out_dir, self.root,
                                      keep)
        canvas = draw_faces(image, record)
        path = osp.dirname(
            visualization_path(record, self.out_dir, self.root, keep)) + '.mp4'
        video = self._videos.get(path)
        if video is None:
            os.makedirs(osp.dirname(path), exist_ok=True)
            video = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'),
                                    record.get('fps') or 25.0,
                                    canvas.shape[1::-1])
            if not video.isOpened():
                raise OSError(f'Cannot write the annotated video {path}.')
            self._videos[path] = video
        video.write(canvas)
        return path

    def __exit__(self, *exc_info):
        for video in self._videos.values():
            video.release()
        self._videos.clear()
        return False

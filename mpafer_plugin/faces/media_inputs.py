"""Inference inputs: image files, folders of images, video files, live
sources (a camera index such as ``'0'``, a stream URL such as
``rtsp://host/stream``) and decoded arrays, turned into one stream of BGR
frames.

Every frame is a :class:`Frame`: ``image`` is ``uint8`` ``(H, W, 3)`` BGR
(gray and BGRA inputs are converted), or ``None`` with ``error`` saying why
when a file cannot be decoded or an in-memory item is no image (``None``,
an empty or NaN array, a boolean mask), so one bad item is reported and
skipped, never fatal to the others.

In-memory images:

- ``numpy`` arrays are OpenCV's convention: ``(H, W)`` gray, ``(H, W, 3)``
  BGR or ``(H, W, 4)`` BGRA; ``uint8``, ``uint16`` (scaled by 1/257) or
  float (in ``[0, 1]``, scaled by 255, or in ``[0, 255]``).
- ``PIL.Image.Image``: any mode, converted to RGB and then to BGR.
- ``torch.Tensor``: torchvision's convention, channel-first RGB
  ``(3, H, W)`` (or ``(1, H, W)`` / ``(H, W)`` gray), ``uint8`` or float in
  ``[0, 1]``; moved to the CPU.
"""
import math
import os
import os.path as osp
import re
import time
from dataclasses import dataclass
from typing import Iterable, Iterator, List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np
from PIL import Image

from ..datasets.image_files import is_image_name

VIDEO_EXTENSIONS = ('.mp4', '.avi', '.mov', '.mkv', '.webm', '.m4v', '.mpg',
                    '.mpeg', '.wmv')

InputType = Union[str, np.ndarray, Image.Image, Iterable]


@dataclass
class Frame:
    """One image to run on: ``source`` is the file (or ``'array:<i>'``),
    ``frame`` the video frame index (``None`` for a still image), ``time``
    its time in seconds (a file: ``frame / fps``; a live source: the clock
    since it opened; ``None`` for a still image) and ``fps`` the rate of
    the frames yielded (the video's, divided by the stride)."""
    source: str
    frame: Optional[int]
    image: Optional[np.ndarray]
    error: Optional[str] = None
    time: Optional[float] = None
    fps: Optional[float] = None


def is_stream(item: str) -> bool:
    """A live source: a camera index (``'0'``) or a URL
    (``rtsp://…``, ``http://…``), unless a file of that name exists."""
    return not osp.exists(item) and (item.isdigit() or re.match(
        r'^[a-zA-Z][a-zA-Z0-9+.-]*://', item) is not None)


def is_video(path: str) -> bool:
    return path.lower().endswith(VIDEO_EXTENSIONS) or is_stream(path)


@dataclass
class BadInput:
    """An in-memory input that is no image, and why (kept in the input list
    so that it gets its own ``'unreadable'`` record)."""
    reason: str


def _is_tensor(item) -> bool:
    return type(item).__module__.split('.')[0] == 'torch' and hasattr(
        item, 'detach')


def as_array(item) -> np.ndarray:
    """A ``numpy`` image in OpenCV's convention (see the module doc) from a
    numpy array, a PIL image or a torch tensor; ``ValueError`` saying why
    for anything else."""
    if isinstance(item, np.ndarray):
        return item
    if isinstance(item, Image.Image):
        return np.asarray(item.convert('RGB'))[..., ::-1]
    if _is_tensor(item):
        array = item.detach().cpu().numpy()
        if array.ndim == 3:
            if array.shape[0] not in (1, 3):
                raise ValueError(
                    f'a tensor of shape {tuple(array.shape)}: expected '
                    f'channel-first RGB (3, H, W) or gray (1, H, W), as '
                    f'torchvision gives')
            array = array.transpose(1, 2, 0)[..., ::-1]
        return np.ascontiguousarray(array)
    if item is None:
        raise ValueError('None, not an image (cv2.imread returns None for a '
                         'file it cannot read)')
    raise ValueError(f'a {type(item).__name__}, not an image: give a path, '
                     f'a numpy array, a PIL image or a torch tensor')


def to_bgr(image: np.ndarray) -> np.ndarray:
    """``uint8`` ``(H, W, 3)`` BGR from a gray ``(H, W)`` / ``(H, W, 1)``,
    BGR or BGRA array (16-bit and float images are scaled to 0-255).

    Raises ``ValueError`` saying why for an array that is no image: empty
    (a side of 0), boolean (a mask), not numeric, or holding NaN or inf.
    """
    image = np.asarray(image)
    if image.dtype == bool:
        raise ValueError(f'a boolean array (shape {image.shape}) is a mask, '
                         f'not an image')
    if image.dtype.kind not in 'uif':
        raise ValueError(f'an array of {image.dtype} is not an image')
    if image.size == 0:
        raise ValueError(f'an empty image (shape {image.shape})')
    if image.dtype.kind == 'f' and not np.isfinite(image).all():
        raise ValueError(f'the image (shape {image.shape}) holds NaN or '
                         f'infinite values')
    if image.dtype == np.uint16:
        image = (image / 257.0).round()
    elif image.dtype.kind == 'f':
        image = image * (255.0 if image.max(initial=0) <= 1.0 else 1.0)
    image = np.clip(image, 0, 255).astype(np.uint8)
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[..., 0]
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.ndim == 3 and image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    if image.ndim == 3 and image.shape[2] == 3:
        return image
    raise ValueError(f'Not an image array: shape {image.shape}.')


def read_image(path: str) -> Tuple[Optional[np.ndarray], Optional[str]]:
    """``(BGR image, None)``, or ``(None, reason)`` when ``path`` cannot be
    read or decoded."""
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except OSError as error:
        return None, f'cannot read: {error}'
    # IMREAD_COLOR: 8-bit BGR whatever the file holds (gray, 16-bit, alpha),
    # EXIF orientation applied.
    image = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if image is None:
        return None, 'not a decodable image'
    return image, None


def _inside(path: str, folder: str) -> bool:
    path, folder = osp.realpath(path), osp.realpath(folder)
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


class ExpandedInputs(list):
    """What :func:`expand_inputs` returns. Given back to it (as
    :meth:`FERInferencer.iter_results` does with a caller's list), it is
    returned as is: the file system is searched once per run, so a file
    deleted after that is reported unreadable when its turn comes instead
    of failing the whole run."""


# yapf: disable
def expand_inputs(inputs: InputType,
                  exclude: Sequence[str] = ()) -> ExpandedInputs:
    # yapf: enable
    """A flat list of image paths, video paths and arrays. A folder is
    searched recursively for image files (sorted); a missing path raises
    :class:`FileNotFoundError` naming it.

    ``exclude``: folders never read, e.g. the run's output folder when it
    lies inside an input folder (its annotated images are not inputs). An
    input inside an excluded folder raises :class:`ValueError` naming both.
    """
    if isinstance(inputs, ExpandedInputs):
        return inputs
    if isinstance(inputs,
                  (str, os.PathLike, np.ndarray,
                   Image.Image)) or _is_tensor(inputs) or inputs is None:
        inputs = [inputs]
    expanded = ExpandedInputs()
    for item in inputs:
        if not isinstance(item, (str, os.PathLike)):
            try:
                expanded.append(as_array(item))
            except ValueError as error:
                expanded.append(BadInput(str(error)))
            continue
        item = os.fspath(item)
        if is_stream(item):
            expanded.append(item)
            continue
        for folder in exclude:
            if _inside(item, folder):
                raise ValueError(f'Input {item!r} lies inside the output '
                                 f'folder {folder!r}: outputs are never '
                                 f'read as inputs; write to another folder.')
        if osp.isdir(item):
            found = []
            for folder, subfolders, names in os.walk(item):
                subfolders[:] = [
                    name for name in subfolders if not any(
                        _inside(osp.join(folder, name), skip)
                        for skip in exclude)
                ]
                found.extend(
                    osp.join(folder, name) for name in names
                    if is_image_name(name))
            expanded.extend(sorted(found))  # dangling links too: unreadable
        elif osp.isfile(item):
            expanded.append(item)
        else:
            raise FileNotFoundError(f'Input {item!r} is neither a file nor '
                                    f'a folder.')
    return expanded


def count_frames(items: List[Union[str, np.ndarray]],
                 video_stride: int = 1) -> int:
    """How many frames :func:`iter_frames` will yield, for a progress bar
    (a video's count comes from its header, which may be approximate; live
    sources count 0)."""
    total = 0
    for item in items:
        if isinstance(item, str) and is_stream(item):
            continue  # live: no count
        if isinstance(item, str) and is_video(item):
            capture = cv2.VideoCapture(item)
            frames = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
            capture.release()
            total += max(1, math.ceil(frames / video_stride))
        else:
            total += 1
    return total


def _iter_video(path: str, stride: int) -> Iterator[Frame]:
    live = is_stream(path)
    capture = cv2.VideoCapture(int(path) if path.isdigit() else path)
    if not capture.isOpened():
        yield Frame(
            path, None, None, 'not a readable video'
            if not live else 'cannot open this camera or stream')
        return
    fps = capture.get(cv2.CAP_PROP_FPS) or None
    start, index = time.monotonic(), 0
    try:
        while capture.grab():
            if index % stride == 0:
                when = time.monotonic() - start if live or not fps \
                    else index / fps
                ok, image = capture.retrieve()
                yield Frame(path, index,
                            to_bgr(image) if ok else None,
                            None if ok else 'cannot decode frame',
                            round(when, 3), fps and fps / stride)
            index += 1
    finally:
        capture.release()
    if index == 0:
        yield Frame(path, None, None, 'video has no readable frame')


def iter_frames(items: List[Union[str, np.ndarray]],
                video_stride: int = 1) -> Iterator[Frame]:
    """Frames of ``items`` (from :func:`expand_inputs`) in order: one per
    image or array, every ``video_stride``-th frame of a video."""
    if video_stride < 1:
        raise ValueError(f'video_stride must be >= 1, got {video_stride}.')
    for index, item in enumerate(items):
        if isinstance(item, BadInput):
            yield Frame(f'input:{index}', None, None, item.reason)
        elif isinstance(item, np.ndarray):
            try:
                image, error = to_bgr(item), None
            except ValueError as reason:
                image, error = None, str(reason)
            yield Frame(f'array:{index}', None, image, error)
        elif is_video(item):
            yield from _iter_video(item, video_stride)
        else:
            image, error = read_image(item)
            yield Frame(item, None, image, error)

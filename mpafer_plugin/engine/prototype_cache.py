"""The on-disk cache of class prototypes, keyed by what they depend on.

Prototypes are a function of the training images (their contents), their
labels, the class list, the pipeline and preprocessor that feed the
encoder, and the frozen encoder's weights. The key hashes all of it:

- every data info of the pass: an image file counts by its absolute path,
  size and modification time (local disk) or its bytes (any other MMEngine
  file backend); decoded arrays by their bytes; labels, face boxes and
  other fields by value;
- the class list, the pass's pipeline and the data preprocessor config;
- the SHA-256 `tensor_digest` of the frozen image encoder's state dict.

So images changed in place, another checkout of the same relative
``data_root``, another class list or other CLIP weights all give another
key, and the prototypes are computed again.
"""
import hashlib
import json
import os
import os.path as osp
from typing import Optional, Sequence

import numpy as np
import torch
from mmengine.fileio import LocalBackend, get_file_backend
from mmengine.logging import MMLogger

from ..models.utils.state_contract import tensor_digest
from ..utils import atomic_torch_save, read_torch_file


def _file_id(path: str, backend_args: Optional[dict]) -> str:
    """What identifies an image file's contents: absolute path, size and
    mtime on a local disk, else the SHA-1 of its bytes."""
    backend = get_file_backend(path, backend_args=backend_args)
    if isinstance(backend, LocalBackend):
        stat = os.stat(path)
        return f'{osp.abspath(path)}:{stat.st_size}:{stat.st_mtime_ns}'
    return f'{path}:sha1={hashlib.sha1(backend.get(path)).hexdigest()}'


def data_digest(dataset) -> str:
    """SHA-1 of every data info of ``dataset`` (see the module doc)."""
    backend_args = getattr(dataset, 'backend_args', None)
    digest = hashlib.sha1()
    for index in range(len(dataset)):
        info = dataset.get_data_info(index)
        for key in sorted(info):
            value = info[key]
            if key == 'img_path':
                value = _file_id(value, backend_args)
            elif isinstance(value, np.ndarray):
                value = (f'{value.dtype}{value.shape}:'
                         f'{hashlib.sha1(value.tobytes()).hexdigest()}')
            digest.update(f'{key}={value!r}\t'.encode())
        digest.update(b'\n')
    return digest.hexdigest()


class PrototypeCache:
    """Prototype files ``<folder>/<key>.pth`` (``prototypes``: ``(C, D)``
    float tensor, ``classes``: the class list).

    A file that cannot be read, or holds another shape, other classes or
    non-finite values, is reported (naming it) and treated as missing, so
    the prototypes are computed again and the file rewritten. A folder that
    cannot be written is a warning: the prototypes are used, not cached.

    Args:
        folder (str): the cache folder (created when first written).
    """

    def __init__(self, folder: str):
        self.folder = folder

    @staticmethod
    def key(dataset, pipeline, preprocessor, encoder: torch.nn.Module) -> str:
        """The key of the prototypes of ``dataset`` (already restricted to
        the images of the pass, with the pass's ``pipeline``) through
        ``preprocessor`` (config) and the frozen ``encoder``."""
        content = dict(
            data=data_digest(dataset),
            classes=list(dataset.metainfo.get('classes') or ()),
            pipeline=repr(pipeline),
            preprocessor=repr(preprocessor),
            encoder=f'{type(encoder).__name__}:'
            f'{tensor_digest(encoder.state_dict())}')
        blob = json.dumps(content, sort_keys=True).encode()
        return hashlib.sha1(blob).hexdigest()[:20]

    def path(self, key: str) -> str:
        return osp.join(self.folder, f'{key}.pth')

    def load(self, key: str, classes: Sequence[str],
             dim: int) -> Optional[torch.Tensor]:
        """The cached prototypes, or ``None`` when there are none usable."""
        path, logger = self.path(key), MMLogger.get_current_instance()
        if not osp.isfile(path):
            return None
        try:
            cached = read_torch_file(path, what='prototype cache file')
            prototypes = cached['prototypes']
            problem = None
            if tuple(prototypes.shape) != (len(classes), dim):
                problem = (f'prototypes of shape {tuple(prototypes.shape)}, '
                           f'expected {(len(classes), dim)}')
            elif list(cached['classes']) != list(classes):
                problem = (f'classes {list(cached["classes"])}, expected '
                           f'{list(classes)}')
            elif not torch.isfinite(prototypes).all():
                problem = 'NaN or infinite prototypes'
        except Exception as err:  # noqa: BLE001  any damage: recompute
            problem = f'unreadable ({err!r})'
        if problem:
            logger.warning(f'PrototypeHook: the cached prototypes {path} '
                           f'are damaged: {problem}. Computing them again '
                           f'and overwriting the file.')
            return None
        logger.info(f'PrototypeHook: loaded cached prototypes {path}')
        return prototypes

    def save(self, key: str, prototypes: torch.Tensor,
             classes: Sequence[str]) -> None:
        """Write atomically (an interrupted run leaves no half file); an
        unwritable folder is a warning."""
        path, logger = self.path(key), MMLogger.get_current_instance()
        try:
            os.makedirs(self.folder, exist_ok=True)
            atomic_torch_save(
                dict(prototypes=prototypes, classes=list(classes)), path)
        except OSError as err:
            logger.warning(
                f'PrototypeHook: cannot write the prototype cache {path} '
                f'({err}); the prototypes are used but not cached, so the '
                f'next run computes them again. Point $MPAFER_CACHE or '
                f'PrototypeHook(cache_dir=...) to a writable folder.')
            return
        logger.info(f'PrototypeHook: cached prototypes in {path}')

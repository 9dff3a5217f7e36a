"""Write a file so that an interrupted run never leaves half of it."""
import os
import os.path as osp
import stat
import uuid
from typing import Callable

import torch


def _create_like_open(path: str, tmp: str) -> None:
    """Create ``tmp`` with the mode ``open(path, 'w')`` would leave
    ``path`` with: that of ``path`` if it exists, else 0o666 less the
    umask (``os.open`` applies it; ``tempfile.mkstemp`` would give 0o600)."""
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    if osp.exists(path):
        os.chmod(tmp, stat.S_IMODE(os.stat(path).st_mode))


def atomic_write(path: str, write: Callable[[str], None]) -> None:
    """Call ``write(tmp)`` on a temporary file in ``path``'s folder (created
    if needed), then rename it to ``path`` atomically. If ``write`` raises,
    ``path`` is left as it was and the temporary file is removed. The file
    gets the mode a plain ``open(path, 'w')`` would give it."""
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    tmp = osp.join(folder, f'.{osp.basename(path)}.{uuid.uuid4().hex}.tmp')
    _create_like_open(path, tmp)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)


def _torch_save_stable(obj, tmp: str) -> None:
    # Through a file object: torch names the records inside the zip archive
    # 'archive/...' then, not after the (random) temporary file's name, so
    # equal objects give byte-identical files.
    with open(tmp, 'wb') as f:
        torch.save(obj, f)


def atomic_torch_save(obj, path: str) -> None:
    """``torch.save(obj, path)`` through :func:`atomic_write`; the same
    ``obj`` gives the same bytes whatever ``path`` and the temporary file
    are called."""
    atomic_write(path, lambda tmp: _torch_save_stable(obj, tmp))

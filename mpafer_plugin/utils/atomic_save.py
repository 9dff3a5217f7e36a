"""Write a file so that an interrupted run never leaves half of it."""
import os
import os.path as osp
import tempfile

import torch


def atomic_torch_save(obj, path: str) -> None:
    """``torch.save(obj, path)`` through a temporary file in the same folder
    and an atomic rename; the folder is created if needed."""
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, suffix='.tmp')
    os.close(fd)
    try:
        torch.save(obj, tmp)
        os.replace(tmp, path)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)

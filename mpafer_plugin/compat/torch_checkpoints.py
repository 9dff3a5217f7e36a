"""torch >= 2.6 ``weights_only`` loading vs. MMEngine 0.10.7 checkpoints.

Since torch 2.6 ``torch.load`` unpickles only allow-listed globals, and
MMEngine 0.10.7 checkpoints hold, besides tensors, the message hub's
``HistoryBuffer`` objects (numpy arrays inside) and, through
``HistoryBuffer.__getstate__``, ``getattr(HistoryBuffer, 'min')``-style
references to its statistics methods. Resume and ``load_from`` therefore
fail. Instead of turning ``weights_only`` off, this allow-lists exactly:

* ``HistoryBuffer`` and the numpy array / scalar / dtype reconstructors;
* a ``builtins.getattr`` stand-in that resolves only
  ``getattr(HistoryBuffer, <registered statistics method>)`` and refuses
  anything else, so a checkpoint cannot reach arbitrary attributes.

A checkpoint whose pickle calls anything else (``os.system``…) is still
refused by torch; :func:`register_local_checkpoint_loader` makes MMEngine's
local loader (``load_from``, ``resume``, ``tools/test.py``) the plugin's
one reader, :func:`mpafer_plugin.utils.read_checkpoint`, which names the
file of an unsafe, truncated, empty or foreign file.
"""
import pickle

import numpy as np
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner import checkpoint as mmengine_checkpoint

from ..utils.checkpoint_file import UnsafeCheckpointError  # noqa: F401
from ..utils.checkpoint_file import read_checkpoint

_DEFAULT_STATISTICS = frozenset(('min', 'max', 'current', 'mean'))


def _history_buffer_getattr(obj, name: str):
    """``getattr`` restricted to HistoryBuffer's statistics methods."""
    allowed = _DEFAULT_STATISTICS.union(HistoryBuffer._statistics_methods)
    if obj is HistoryBuffer and name in allowed:
        return getattr(obj, name)
    raise pickle.UnpicklingError(
        f'Refusing getattr({obj!r}, {name!r}) while loading a checkpoint: '
        f'only HistoryBuffer statistics methods may be looked up.')


_MMENGINE_LOAD_FROM_LOCAL = mmengine_checkpoint.load_from_local


def load_from_local(filename: str, map_location=None) -> dict:
    """MMEngine's local checkpoint loader, replaced by the plugin's one
    reader (:func:`mpafer_plugin.utils.read_checkpoint`: ``weights_only``,
    and every damaged, unsafe or foreign file refused naming it)."""
    return read_checkpoint(filename, map_location)


def _numpy_globals() -> list:
    """numpy's pickling entry points, under both numpy 1 and 2 names."""
    multiarray = (np._core if hasattr(np, '_core') else np.core).multiarray
    reconstruct, scalar = multiarray._reconstruct, multiarray.scalar
    entries = [np.ndarray, np.dtype]
    for module in ('numpy.core.multiarray', 'numpy._core.multiarray'):
        entries += [(reconstruct, f'{module}._reconstruct'),
                    (scalar, f'{module}.scalar')]
    entries += [
        getattr(np.dtypes, name) for name in dir(np.dtypes)
        if name.endswith('DType')
    ]
    return entries


def register_local_checkpoint_loader() -> None:
    """Make :func:`load_from_local` MMEngine's loader for local paths.

    MMEngine registers its own loader for the empty prefix, so replacing it
    needs ``force=True``; the replacement reads a checkpoint as MMEngine's
    does (``torch.load``, ``weights_only``) and refuses, naming it, a file
    that holds no checkpoint (MMEngine's passes it on, to fail later)."""
    mmengine_checkpoint.CheckpointLoader.register_scheme(
        prefixes='', loader=load_from_local, force=True)


def register_safe_globals() -> None:
    """Allow-list the types MMEngine checkpoints need (idempotent)."""
    torch.serialization.add_safe_globals(
        [HistoryBuffer, (_history_buffer_getattr, 'builtins.getattr')] +
        _numpy_globals())

"""Let MMEngine checkpoints load under ``torch.load(weights_only=True)``.

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
refused by torch.
"""
import pickle

import numpy as np
import torch
from mmengine.logging import HistoryBuffer


_DEFAULT_STATISTICS = frozenset(('min', 'max', 'current', 'mean'))


def _history_buffer_getattr(obj, name: str):
    """``getattr`` restricted to HistoryBuffer's statistics methods."""
    allowed = _DEFAULT_STATISTICS.union(HistoryBuffer._statistics_methods)
    if obj is HistoryBuffer and name in allowed:
        return getattr(obj, name)
    raise pickle.UnpicklingError(
        f'Refusing getattr({obj!r}, {name!r}) while loading a checkpoint: '
        f'only HistoryBuffer statistics methods may be looked up.')


def _numpy_globals() -> list:
    """numpy's pickling entry points, under both numpy 1 and 2 names."""
    multiarray = (np._core if hasattr(np, '_core') else np.core).multiarray
    reconstruct, scalar = multiarray._reconstruct, multiarray.scalar
    entries = [np.ndarray, np.dtype]
    for module in ('numpy.core.multiarray', 'numpy._core.multiarray'):
        entries += [(reconstruct, f'{module}._reconstruct'),
                    (scalar, f'{module}.scalar')]
    entries += [getattr(np.dtypes, name) for name in dir(np.dtypes)
                if name.endswith('DType')]
    return entries


def register_safe_globals() -> None:
    """Allow-list the types MMEngine checkpoints need (idempotent)."""
    torch.serialization.add_safe_globals(
        [HistoryBuffer, (_history_buffer_getattr, 'builtins.getattr')] +
        _numpy_globals())

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
local loader (``load_from``, ``resume``, ``tools/test.py``) say so with the
file's name, and name the file of a truncated checkpoint too.
"""
import os.path as osp
import pickle
import re

import numpy as np
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner import checkpoint as mmengine_checkpoint

_DEFAULT_STATISTICS = frozenset(('min', 'max', 'current', 'mean'))


def _history_buffer_getattr(obj, name: str):
    """``getattr`` restricted to HistoryBuffer's statistics methods."""
    allowed = _DEFAULT_STATISTICS.union(HistoryBuffer._statistics_methods)
    if obj is HistoryBuffer and name in allowed:
        return getattr(obj, name)
    raise pickle.UnpicklingError(
        f'Refusing getattr({obj!r}, {name!r}) while loading a checkpoint: '
        f'only HistoryBuffer statistics methods may be looked up.')


class UnsafeCheckpointError(pickle.UnpicklingError):
    """A checkpoint whose pickle needs a global ``weights_only`` forbids."""


_MMENGINE_LOAD_FROM_LOCAL = mmengine_checkpoint.load_from_local


def load_from_local(filename: str, map_location=None):
    """MMEngine's local checkpoint loader (``torch.load``, which defaults
    to ``weights_only=True``), with errors that name the file: a pickle that
    would run code raises :class:`UnsafeCheckpointError`, a truncated or
    corrupt file a ``RuntimeError``."""
    try:
        return _MMENGINE_LOAD_FROM_LOCAL(filename, map_location)
    except pickle.UnpicklingError as err:
        found = re.search(r'GLOBAL (\S+)', str(err))
        what = found.group(1) if found else str(err).strip().splitlines()[0]
        raise UnsafeCheckpointError(
            f'Refusing to load checkpoint {osp.abspath(filename)}: its pickle '
            f'calls {what}, which torch.load(weights_only=True) does not '
            f'allow (tensors, containers and the MMEngine types listed in '
            f'mpafer_plugin/compat/torch_checkpoints.py only). A checkpoint '
            f'that runs code when loaded may be malicious: do not load it '
            f'unless you trust its source.') from err
    except RuntimeError as err:
        if 'PytorchStreamReader' not in str(err):
            raise
        raise RuntimeError(
            f'Checkpoint {osp.abspath(filename)} is truncated or corrupt '
            f'(was its writer killed?); use an earlier one. Cause: '
            f'{str(err).splitlines()[0]}') from err


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
    needs ``force=True``; the replacement calls MMEngine's loader and only
    rewords its errors (file named), so whatever else imports MMEngine in
    the process loads exactly as before."""
    mmengine_checkpoint.CheckpointLoader.register_scheme(
        prefixes='', loader=load_from_local, force=True)


def register_safe_globals() -> None:
    """Allow-list the types MMEngine checkpoints need (idempotent)."""
    torch.serialization.add_safe_globals(
        [HistoryBuffer, (_history_buffer_getattr, 'builtins.getattr')] +
        _numpy_globals())

"""An unpickler that rebuilds tensors and plain containers, and nothing else.

Unpickling runs whatever callables the pickle names (``GLOBAL`` +
``REDUCE``), so a file read with :mod:`pickle` (or ``torch.jit.load``, which
also runs the TorchScript ``__setstate__`` stored in the archive) can run
code. :class:`RestrictedUnpickler` resolves a fixed list of names and
refuses every other one, naming it:

==========================================  ================================
name in the pickle                          rebuilt as
==========================================  ================================
``torch._utils._rebuild_tensor_v2``         a tensor over the storage that
                                            ``persistent_load`` returned
``torch._utils._rebuild_parameter``         its tensor
``torch.<Type>Storage`` (``FloatStorage``)  the storage's dtype
``torch.<dtype>`` (``torch.float32``)       that dtype
``collections.OrderedDict``                 ``OrderedDict``
``torch.jit._pickle.build_*list``           a ``list``
``torch.jit._pickle.restore_type_tag``      the value, as it is
``__torch__.<module>.<Class>``              a :class:`ScriptObject`: the
                                            class's *name* and the state
                                            pickled for it; the class's
                                            TorchScript is never imported,
                                            compiled or run
==========================================  ================================

Storages come from ``persistent_load(('storage', <Type>Storage, key,
location, numel))``; the caller gives a function ``key -> bytes`` (the
``data/<key>`` records of a zip archive). Without one, a pickle that
references storages is refused.
"""
import collections
import pickle
from typing import Callable, Dict, Optional

import torch

__all__ = ['RestrictedUnpickler', 'ScriptObject', 'STORAGE_DTYPES']

STORAGE_DTYPES: Dict[str, torch.dtype] = {
    'DoubleStorage': torch.float64,
    'FloatStorage': torch.float32,
    'HalfStorage': torch.float16,
    'BFloat16Storage': torch.bfloat16,
    'LongStorage': torch.int64,
    'IntStorage': torch.int32,
    'ShortStorage': torch.int16,
    'CharStorage': torch.int8,
    'ByteStorage': torch.uint8,
    'BoolStorage': torch.bool,
}


class ScriptObject:
    """A TorchScript object of an archive, as data: ``qualname`` (e.g.
    ``'__torch__.model.CLIP'``) and ``state``, what the archive pickled for
    it (a dict of its attributes, or what its ``__getstate__`` returned).
    """
    qualname = ''

    def __init__(self, *args):
        self.state = None

    def __setstate__(self, state):
        self.state = state

    def __repr__(self) -> str:
        return f'<{self.qualname}>'


class _StorageType:
    """What ``GLOBAL torch FloatStorage`` stands for: a dtype."""

    def __init__(self, dtype: torch.dtype):
        self.dtype = dtype


def _rebuild_tensor(storage, storage_offset, size, stride, *unused):
    """``torch._utils._rebuild_tensor_v2`` for a storage given as a flat
    tensor (``requires_grad``, hooks and metadata are not restored)."""
    return torch.empty((0, ),
                       dtype=storage.dtype).set_(storage.untyped_storage(),
                                                 storage_offset, tuple(size),
                                                 tuple(stride))


def _rebuild_parameter(data, *unused):
    return data


def _restore_type_tag(value, type_str):
    return value


_JIT_LIST_BUILDERS = ('build_intlist', 'build_tensorlist', 'build_doublelist',
                      'build_boollist', 'build_complexlist')


class RestrictedUnpickler(pickle.Unpickler):
    """See the module docstring.

    Args:
        file: a binary file holding the pickle.
        read_record: ``key -> bytes`` of a storage record, or ``None`` when
            the pickle may not reference storages.
        source: the file's name, for the errors.
    """

    def __init__(self,
                 file,
                 read_record: Optional[Callable[[str], bytes]] = None,
                 source: str = 'the pickle'):
        super().__init__(file)
        self._read_record = read_record
        self._source = source
        self._storages: Dict[str, torch.Tensor] = {}
        self._script_classes: Dict[str, type] = {}

    def find_class(self, module: str, name: str):
        if module == '__torch__' or module.startswith('__torch__.'):
            qualname = f'{module}.{name}'
            if qualname not in self._script_classes:
                self._script_classes[qualname] = type(name, (ScriptObject, ),
                                                      dict(qualname=qualname))
            return self._script_classes[qualname]
        if module == 'torch._utils':
            if name == '_rebuild_tensor_v2':
                return _rebuild_tensor
            if name == '_rebuild_parameter':
                return _rebuild_parameter
        if module == 'torch':
            if name in STORAGE_DTYPES:
                return _StorageType(STORAGE_DTYPES[name])
            if isinstance(getattr(torch, name, None), torch.dtype):
                return getattr(torch, name)
        if module == 'collections' and name == 'OrderedDict':
            return collections.OrderedDict
        if module == 'torch.jit._pickle':
            if name in _JIT_LIST_BUILDERS:
                return list
            if name == 'restore_type_tag':
                return _restore_type_tag
        raise pickle.UnpicklingError(
            f'{self._source}: refusing the pickled global {module}.{name}: '
            f'only tensors, storages and plain containers are rebuilt, so '
            f'nothing in the file can run.')

    def persistent_load(self, pid):
        if self._read_record is None:
            raise pickle.UnpicklingError(
                f'{self._source}: the pickle references tensor storage '
                f'{pid!r} kept outside it; it is not a torch.save file.')
        if not (isinstance(pid, tuple) and len(pid) == 5
                and pid[0] == 'storage' and isinstance(pid[1], _StorageType)):
            raise pickle.UnpicklingError(
                f'{self._source}: unknown persistent record {pid!r}.')
        _, storage_type, key, _location, numel = pid
        if key not in self._storages:
            data = bytearray(self._read_record(str(key)))
            dtype = storage_type.dtype
            itemsize = torch.empty((), dtype=dtype).element_size()
            if len(data) != numel * itemsize:
                raise pickle.UnpicklingError(
                    f'{self._source}: tensor record {key} holds {len(data)} '
                    f'bytes, not the {numel} x {itemsize} its header says: '
                    f'the file is truncated or corrupt.')
            self._storages[key] = torch.frombuffer(
                data, dtype=dtype) if data else torch.empty((0, ), dtype=dtype)
        return self._storages[key]

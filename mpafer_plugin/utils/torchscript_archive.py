"""Read the tensors of a TorchScript archive (``torch.jit.save``; OpenAI's
CLIP releases) without running anything stored in it.

``torch.jit.load`` compiles the archive's ``code/`` and runs the
TorchScript ``__setstate__`` of its classes while loading, before any
check. The archive is a zip::

    <name>/data.pkl          the scripted module's object graph (pickle)
    <name>/data/<key>        the raw bytes of each tensor storage
    <name>/code/__torch__/…  the TorchScript source of its classes
    <name>/byteorder         'little' (or absent: little)

:func:`read_torchscript_state_dict` unpickles ``data.pkl`` with
:class:`~.restricted_unpickler.RestrictedUnpickler` (modules become
:class:`~.restricted_unpickler.ScriptObject`\\ s: a class name and the
attributes pickled for it; storages are read from ``data/<key>``), reads
which attributes are parameters and buffers from the
``__parameters__ = [...]`` / ``__buffers__ = [...]`` declarations of the
class source as *text*, and returns what ``module.state_dict()`` would:
``{'visual.conv1.weight': tensor, ...}``. A class whose declarations are
not found contributes all of its tensor attributes.
"""
import io
import re
import zipfile
from collections import OrderedDict
from typing import Dict, List, Optional, Tuple

import torch

from .restricted_unpickler import RestrictedUnpickler, ScriptObject

__all__ = ['is_torchscript_archive', 'read_torchscript_state_dict']


def _prefix(names: List[str]) -> Optional[str]:
    """The archive's top folder (``'ViT-B-16/'``) when it holds a
    TorchScript module (``data.pkl`` and ``constants.pkl`` or ``code/``)."""
    for name in names:
        if name.count('/') == 1 and name.endswith('/data.pkl'):
            prefix = name[:-len('data.pkl')]
            if prefix + 'constants.pkl' in names or any(
                    n.startswith(prefix + 'code/') for n in names):
                return prefix
    return None


def is_torchscript_archive(path: str) -> bool:
    """Whether ``path`` is a TorchScript archive (a zip holding compiled
    ``code/`` and ``constants.pkl``), as OpenAI's CLIP releases are; a
    ``torch.save`` zip holds neither."""
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as archive:
        return _prefix(archive.namelist()) is not None


_LIST = r'\[((?:\s*"[^"]*"\s*,?)*)\s*\]'


def _declared(archive: zipfile.ZipFile, prefix: str,
              qualname: str) -> Optional[Tuple[List[str], List[str]]]:
    """``(parameters, buffers)`` that the class source of ``qualname``
    declares, read as text; ``None`` when not found."""
    module, _, name = qualname.rpartition('.')
    path = f'{prefix}code/{module.replace(".", "/")}.py'
    try:
        source = archive.read(path).decode('utf-8', 'replace')
    except KeyError:
        return None
    found = re.search(
        rf'^class {re.escape(name)}\(Module\):\n'
        rf'  __parameters__ = {_LIST}\n  __buffers__ = {_LIST}', source,
        re.MULTILINE)
    if not found:
        return None
    return tuple(re.findall(r'"([^"]*)"', group) for group in found.groups())


def _collect(obj: ScriptObject, prefix: str, archive, folder: str,
             out: Dict[str, torch.Tensor]) -> None:
    state = obj.state if isinstance(obj.state, dict) else {}
    declared = _declared(archive, folder, obj.qualname)
    names = declared[0] + declared[1] if declared else [
        key for key, value in state.items() if isinstance(value, torch.Tensor)
    ]
    for key in names:
        if isinstance(state.get(key), torch.Tensor):
            out[prefix + key] = state[key]
    for key, value in state.items():
        if isinstance(value, ScriptObject):
            _collect(value, f'{prefix}{key}.', archive, folder, out)


def read_torchscript_state_dict(path: str) -> Dict[str, torch.Tensor]:
    """The state dict of the scripted module saved in ``path``, read
    without executing the archive (see the module docstring). Raises
    ``ValueError`` naming the file for an archive it cannot read this way.
    """
    with zipfile.ZipFile(path) as archive:
        folder = _prefix(archive.namelist())
        if folder is None:
            raise ValueError(f'{path} is not a TorchScript archive (no '
                             f'<name>/data.pkl beside code/).')
        byteorder = f'{folder}byteorder'
        if byteorder in archive.namelist() and archive.read(
                byteorder).strip() not in (b'', b'little'):
            raise ValueError(f'{path}: a big-endian TorchScript archive; '
                             f'only little-endian ones are read.')

        def read_record(key: str) -> bytes:
            try:
                return archive.read(f'{folder}data/{key}')
            except KeyError:
                raise ValueError(f'{path} lacks the tensor record '
                                 f'{folder}data/{key}: truncated or corrupt.')

        root = RestrictedUnpickler(
            io.BytesIO(archive.read(f'{folder}data.pkl')),
            read_record,
            source=path).load()
        if not isinstance(root, ScriptObject):
            raise ValueError(f'{path}: its data.pkl holds a '
                             f'{type(root).__name__}, not a scripted module.')
        state_dict: Dict[str, torch.Tensor] = OrderedDict()
        _collect(root, '', archive, folder, state_dict)
    return state_dict

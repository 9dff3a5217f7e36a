"""The one reader of the tensor files this plugin loads: checkpoints
(``tools/test.py``, ``load_from``, ``--resume``, :func:`init_model`, every
tool built on it), prompts-only exports, CLIP weight files and the
prototype cache.

:func:`read_torch_file` looks at what the file *is* before reading it, and
reads each kind without running code from it:

=============================  ===========================================
the file                       read with
=============================  ===========================================
a ``torch.save`` zip           ``torch.load(weights_only=True)`` (tensors,
                               containers and the MMEngine types that
                               :mod:`mpafer_plugin.compat.torch_checkpoints`
                               allow-lists)
a legacy ``torch.save`` pickle the same
``.safetensors``               ``safetensors`` (a state dict)
a TorchScript archive          :mod:`.torchscript_archive` (never
                               ``torch.jit.load``), where the caller
                               accepts one (CLIP weights)
a plain pickle                 :class:`.restricted_unpickler.
                               RestrictedUnpickler` (containers only)
=============================  ===========================================

Every failure is a :class:`CheckpointFileError` (a ``ValueError``) whose
message starts with the file's absolute path and says what is wrong:

* an empty file, a cut zip or a record that fails to read: ``… is truncated
  or corrupt (…)``, with what was found;
* a text file (JSON, YAML, an HTML error page), or bytes of no known
  format: ``… is not a checkpoint: it is a text file starting '{"a": 1'``;
* a pickle that calls anything else: :class:`UnsafeCheckpointError`
  (``… its pickle calls os.system …``).

:func:`read_checkpoint` also requires a checkpoint: a dict whose
``state_dict`` (or itself) maps names to tensors, else ``… is not a
checkpoint: it holds a list``.
"""
import os
import os.path as osp
import pickle
import re
import zipfile

import torch

from .restricted_unpickler import RestrictedUnpickler
from .torchscript_archive import (is_torchscript_archive,
                                  read_torchscript_state_dict)

__all__ = [
    'CheckpointError', 'CheckpointFileError', 'UnsafeCheckpointError',
    'read_checkpoint', 'read_torch_file'
]


class CheckpointError(ValueError):
    """A checkpoint that cannot be used; the message names the file. The
    tools print it as ``error: …`` and exit 1."""


class CheckpointFileError(CheckpointError):
    """A file that is not a readable checkpoint; the message names it."""


class UnsafeCheckpointError(CheckpointFileError, pickle.UnpicklingError):
    """A checkpoint whose pickle needs a global ``weights_only`` forbids."""


_ZIP_MAGIC = b'PK\x03\x04'
# What torch.save's legacy (non-zip) format starts with: its magic number,
# pickled with protocol 2.
_LEGACY_MAGIC = pickle.dumps(torch.serialization.MAGIC_NUMBER, 2)[:-1]


def _describe_start(head: bytes) -> str:
    text = None
    for end in (len(head), len(head) - 1, len(head) - 2, len(head) - 3):
        try:  # the 64 bytes may end inside a character
            text = head[:end].decode('utf-8')
            break
        except UnicodeDecodeError:
            continue
    if text is None or not ''.join(text.split()).isprintable():
        return f'it starts with the bytes {head[:16]!r}, no known format'
    first = text.strip()[:24]
    kind = ('JSON?'
            if first[:1] in '{[' else 'HTML?' if first[:1] == '<' else 'text')
    return f'it is a text file ({kind}) starting {first!r}'


def _truncated(path: str, what: str, why: str) -> CheckpointFileError:
    return CheckpointFileError(
        f'{path} is truncated or corrupt ({why}): was the {what} cut short '
        f'by a killed writer or an incomplete copy? Use another copy (an '
        f'earlier epoch_N.pth of the work dir for a training checkpoint).')


def _unsafe(path: str, err: Exception) -> UnsafeCheckpointError:
    found = re.search(r'GLOBAL (\S+)', str(err)) or re.search(
        r'global (\S+)', str(err))
    what = found.group(1) if found else str(err).strip().splitlines()[0]
    return UnsafeCheckpointError(
        f'{path}: refusing to load it: its pickle calls {what}, which '
        f'torch.load(weights_only=True) does not allow (tensors, containers '
        f'and the MMEngine types listed in '
        f'mpafer_plugin/compat/torch_checkpoints.py only). A file that runs '
        f'code when loaded may be malicious: do not load it unless you '
        f'trust its source.')


def _torch_load(path: str, what: str, map_location):
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        raise _unsafe(path, err) from err
    except (RuntimeError, EOFError, OSError, ValueError, IndexError) as err:
        lines = str(err).strip().splitlines() or [type(err).__name__]
        raise _truncated(path, what, lines[0]) from err


def read_torch_file(path: str,
                    map_location='cpu',
                    what: str = 'checkpoint',
                    torchscript: bool = False):
    """What the file ``path`` holds (see the module docstring); ``what``
    names it in the errors (``'checkpoint'``, ``'CLIP weight file'``);
    ``torchscript`` accepts a TorchScript archive (its state dict)."""
    path = osp.abspath(os.fspath(path))
    if not osp.exists(path):
        raise FileNotFoundError(f'{what[:1].upper()}{what[1:]} {path} does '
                                f'not exist.')
    if osp.isdir(path):
        raise CheckpointFileError(f'{path} is a folder, not a {what} file.')
    with open(path, 'rb') as f:
        head = f.read(64)
    if not head:
        raise _truncated(path, what, 'it is empty, 0 bytes')
    if path.endswith('.safetensors'):
        from safetensors import SafetensorError
        from safetensors.torch import load_file
        try:
            device = map_location if isinstance(map_location,
                                                (str, torch.device)) else 'cpu'
            return load_file(path, device=str(device))
        except (SafetensorError, OSError, ValueError) as err:
            raise _truncated(path, what, f'safetensors: {err}') from err
    if head.startswith(_ZIP_MAGIC):
        if not zipfile.is_zipfile(path):
            raise _truncated(
                path, what, 'a zip archive without its central '
                'directory, which is written last')
        if is_torchscript_archive(path):
            if not torchscript:
                raise CheckpointFileError(
                    f'{path} is not a checkpoint: it is a TorchScript '
                    f'archive (a scripted model, torch.jit.save), such as '
                    f'tools/model_converters/export_deploy.py writes or '
                    f'OpenAI releases CLIP as (give those as '
                    f'model.clip.pretrained).')
            try:
                return read_torchscript_state_dict(path)
            except (zipfile.BadZipFile, EOFError, OSError) as err:
                raise _truncated(path, what, str(err)) from err
            except pickle.UnpicklingError as err:
                raise CheckpointFileError(str(err)) from err
        return _torch_load(path, what, map_location)
    if head.startswith(_LEGACY_MAGIC):
        return _torch_load(path, what, map_location)
    if head[:1] == b'\x80':  # a pickle protocol 2+: not written by torch
        with open(path, 'rb') as f:
            try:
                return RestrictedUnpickler(f, source=path).load()
            except pickle.UnpicklingError as err:
                raise CheckpointFileError(
                    f'{path} is not a checkpoint: a Python pickle that '
                    f'torch.save did not write ({err})') from err
            except (EOFError, ValueError, IndexError, TypeError) as err:
                raise _truncated(path, what,
                                 f'{type(err).__name__}: {err}') from err
    raise CheckpointFileError(
        f'{path} is not a {what}: {_describe_start(head)} (a checkpoint is '
        f'a torch.save file, a .safetensors file'
        f'{" or a TorchScript archive" if torchscript else ""}).')


def read_checkpoint(path: str, map_location='cpu') -> dict:
    """The checkpoint in ``path``: a dict whose ``state_dict`` (or itself,
    a bare state dict) maps names to tensors; refused otherwise, naming
    the file and what it holds."""
    loaded = read_torch_file(path, map_location)
    path = osp.abspath(os.fspath(path))
    if not isinstance(loaded, dict):
        raise CheckpointFileError(
            f'{path} is not a checkpoint: it holds a '
            f'{type(loaded).__name__}, not a dict of tensors.')
    state = loaded.get('state_dict', loaded)
    if not isinstance(state, dict) or not any(
            isinstance(value, torch.Tensor) for value in state.values()):
        held = (f'a "state_dict" that is a {type(state).__name__}'
                if state is not loaded else f'a dict without tensors (keys '
                f'{sorted(map(str, loaded))[:5]})')
        raise CheckpointFileError(
            f'{path} is not a checkpoint: it holds {held}.')
    return loaded

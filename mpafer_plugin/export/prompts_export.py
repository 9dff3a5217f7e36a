"""Prompts-only checkpoints: the learned tensors of an MPA-FER model, a few
hundred kilobytes, with the config and class names needed to rebuild it.

An export is an ordinary MMEngine checkpoint (``{'meta', 'state_dict'}``)
whose ``state_dict`` holds only the trainable tensors (visual prompts,
context vectors), stamped like a lean training checkpoint
(:mod:`mpafer_plugin.engine.checkpoint_contract`: classes, CLIP spec and
fingerprint, digest of the tensors). The frozen CLIP weights come from the
config's CLIP spec when it is loaded, so ``tools/test.py CONFIG EXPORT`` and
:func:`init_model` accept it like a full checkpoint. It loads with
``torch.load(weights_only=True)``.

The config is stored as data, ``meta['config_json']``: JSON of plain values
(dicts, lists, strings, numbers, booleans, ``null``; tuples as
``{"__tuple__": [...]}``), read back without executing anything. Exports
written before this (``meta['config']``, Python text that MMEngine's config
parser *executes*) are read only with ``trust_export_code=True``.

A local CLIP weights file is recorded in ``meta['clip_file']`` (as given,
absolute, relative to the export) so that the export finds it from any
folder (:mod:`.clip_path`).
"""
import json
from typing import Union

import torch
import torch.nn as nn
from mmengine.config import Config

from ..engine.checkpoint_contract import (EXPORT_KIND, is_prompts_export,
                                          stamp_checkpoint)
from ..models.utils.clip_loader import load_clip
from ..models.utils.state_contract import trainable_parameter_names
from ..utils import CheckpointError, atomic_torch_save, read_checkpoint
from ..version import __version__
from .clip_path import record_clip_file

__all__ = [
    'EXPORT_KIND', 'UnsafeExportError', 'config_from_checkpoint',
    'config_to_json', 'export_prompts', 'is_prompts_export',
    'trainable_state_dict'
]

_TUPLE = '__tuple__'


class UnsafeExportError(CheckpointError):
    """An export whose config could only be read by executing code."""


def trainable_state_dict(model: nn.Module) -> dict:
    """``{name: tensor}`` of the parameters that train (``requires_grad``),
    detached, on CPU."""
    params = dict(model.named_parameters())
    return {
        name: params[name].detach().cpu().clone()
        for name in trainable_parameter_names(model)
    }


def _plain(value, key: str):
    """``value`` as JSON-able plain data; anything else is refused."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, tuple):
        return {
            _TUPLE: [_plain(v, f'{key}[{i}]') for i, v in enumerate(value)]
        }
    if isinstance(value, list):
        return [_plain(v, f'{key}[{i}]') for i, v in enumerate(value)]
    if isinstance(value, dict):
        return {
            str(k): _plain(v, f'{key}.{k}' if key else str(k))
            for k, v in value.items()
        }
    raise TypeError(f'Config key {key!r} holds a {type(value).__name__} '
                    f'({value!r}), which a prompts-only export cannot store '
                    f'as plain data; use a string type name instead.')


def config_to_json(cfg: Config) -> str:
    return json.dumps(_plain(cfg.to_dict(), ''), sort_keys=True)


def _from_json(text: str) -> Config:

    def object_hook(obj):
        return tuple(obj[_TUPLE]) if set(obj) == {_TUPLE} else obj

    return Config(json.loads(text, object_hook=object_hook))


def _check_rebuildable(model: nn.Module, spec: dict, out_file: str) -> None:
    """Refuse an export that could not be loaded as it was made: the
    export holds no frozen weights, so the CLIP spec must name them
    (``pretrained``) and build the very weights ``model`` holds (a full
    checkpoint's CLIP replaced the spec's)."""
    if not spec.get('pretrained'):
        raise CheckpointError(
            f'{out_file}: not written: the config\'s CLIP spec {spec} names '
            f'no pretrained weights, so the model\'s CLIP is random or came '
            f'from the checkpoint, and a prompts-only export holds no CLIP '
            f'weights: loaded again, it would classify at chance. Set '
            f'model.clip.pretrained (--cfg-options) to the CLIP weights the '
            f'checkpoint was trained with, or use the full checkpoint itself.')
    if dict(getattr(model, 'clip_spec', None) or {}) == spec:
        return  # its CLIP was built from this very spec
    built = load_clip(**spec).state_dict()
    held = model.clip_model.state_dict()
    differ = [
        name for name, value in held.items() if name not in built
        or not torch.equal(built[name].to(value.dtype), value)
    ]
    if differ:
        raise CheckpointError(
            f'{out_file}: not written: the frozen CLIP weights the '
            f'checkpoint holds differ from those of the config\'s CLIP spec '
            f'{spec} ({len(differ)} of {len(held)} tensors, e.g. '
            f'{differ[:3]}), and a prompts-only export takes its CLIP from '
            f'that spec. Point model.clip.pretrained at the CLIP weights the '
            f'checkpoint was trained with.')


def prompts_export(model: nn.Module, cfg: Config, out_file: str) -> dict:
    """The prompts-only export of ``model`` (built from ``cfg``) as it would
    be written to ``out_file`` (the CLIP file is recorded relative to it),
    unchecked and unwritten: :func:`export_prompts` writes one."""
    classes = list(getattr(getattr(model, 'head', None), 'classnames', []))
    checkpoint = dict(
        meta=dict(
            kind=EXPORT_KIND,
            mpafer_plugin=__version__,
            config_json=config_to_json(cfg),
            classes=classes),
        state_dict=trainable_state_dict(model))
    clip_file = record_clip_file((cfg.model.get('clip')
                                  or {}).get('pretrained'), out_file)
    if clip_file:
        checkpoint['meta']['clip_file'] = clip_file
    stamp_checkpoint(model, checkpoint, clip_spec=cfg.model.get('clip'))
    return checkpoint


def export_prompts(model: nn.Module, cfg: Config, out_file: str) -> dict:
    """Write the prompts-only export of ``model`` (built from ``cfg``) to
    ``out_file`` atomically and return what was written. Refused
    (:class:`~mpafer_plugin.utils.CheckpointError`) when the config's CLIP
    spec cannot rebuild the model's frozen weights (random weights, or
    other weights than a full checkpoint held)."""
    _check_rebuildable(model, dict(cfg.model.get('clip') or {}), out_file)
    checkpoint = prompts_export(model, cfg, out_file)
    atomic_torch_save(checkpoint, out_file)
    return checkpoint


def config_from_checkpoint(checkpoint: Union[str, dict],
                           trust_export_code: bool = False,
                           source: str = None) -> Config:
    """The config embedded in a prompts-only export (a file or its loaded
    dict). An export of the old format (Python text) is refused unless
    ``trust_export_code``: parsing it runs any code it holds."""
    if isinstance(checkpoint, str):
        source = source or checkpoint
        checkpoint = read_checkpoint(checkpoint)
    source = source or 'the checkpoint'
    if not is_prompts_export(checkpoint):
        raise CheckpointError(
            f'{source} is not a prompts-only export (made by '
            f'tools/model_converters/export_prompts.py), so it holds no '
            f'config: give the config too.')
    meta = checkpoint['meta']
    if 'config_json' in meta:
        return _from_json(meta['config_json'])
    if not trust_export_code:
        raise UnsafeExportError(
            f'{source} is a prompts-only export of an older format whose '
            f'config is Python text: reading it EXECUTES that text, so an '
            f'export from someone else can run any code on this machine. '
            f'Either give the config yourself '
            f'(tools/model_converters/export_prompts.py CONFIG {source} '
            f'--out NEW.pth rewrites it in the safe format without reading '
            f'the embedded text), or, only if you trust its source, pass '
            f'--trust-export-code (init_model(..., '
            f'trust_export_code=True)).')
    return Config.fromstring(meta['config'], '.py')

"""Read the CLIP weight files users have, without running code from them.

:func:`read_clip_weights` takes a local path and returns its state dict
(open_clip key names) with a description of what it is and what it says
about the architecture:

===========================  ==============================================
format                       how it is read
===========================  ==============================================
OpenAI's own release         a TorchScript archive (``ViT-B-16.pt`` from
                             OpenAI's links or the ``clip`` package): its
                             tensors are read without running the archive
                             (:mod:`mpafer_plugin.utils.torchscript_archive`
                             ; ``torch.jit.load`` would run the TorchScript
                             stored in it). OpenAI's CLIP uses QuickGELU,
                             so the file says ``quick_gelu=True``.
a state-dict pickle          ``torch.save`` files (``.pt``, ``.pth``,
                             ``.bin``, open_clip / Hugging Face
                             ``open_clip_pytorch_model.bin``), read with
                             ``torch.load(weights_only=True)``; a
                             ``{'state_dict': ...}`` wrapper and a
                             ``module.`` prefix (DDP) are undone.
safetensors                  ``.safetensors`` (``open_clip_model.
                             safetensors``), read with ``safetensors``.
Hugging Face snapshot        a folder holding ``open_clip_config.json`` and
                             one of the weight files above (open_clip's
                             preference order); the config's ``model_cfg``
                             says the architecture (``quick_gelu``...).
===========================  ==============================================

Every file is read by :func:`mpafer_plugin.utils.read_torch_file`, which
refuses an empty, truncated, text or unsafe file naming it.
"""
import json
import os.path as osp
from dataclasses import dataclass
from typing import Dict, Optional

import torch

from ...utils.checkpoint_file import read_torch_file
from ...utils.torchscript_archive import is_torchscript_archive

HF_CONFIG = 'open_clip_config.json'
# Weight files of a Hugging Face snapshot, in open_clip's preference order.
HF_WEIGHT_FILES = ('open_clip_model.safetensors',
                   'open_clip_pytorch_model.safetensors',
                   'open_clip_pytorch_model.bin',
                   'open_clip_pytorch_model.pth')
# Scalars OpenAI's TorchScript model stores beside its weights.
_OPENAI_EXTRA_KEYS = ('input_resolution', 'context_length', 'vocab_size')


@dataclass
class CLIPWeights:
    """A CLIP state dict read from ``path``.

    Attributes:
        state_dict: tensor name → tensor, open_clip names.
        path: the file the tensors came from.
        kind: what the file is, in words (for the log and errors).
        quick_gelu: what the file says about the activation (``True`` for
            OpenAI's archive, the config's value for a snapshot folder),
            ``None`` when it says nothing.
    """
    state_dict: Dict[str, torch.Tensor]
    path: str
    kind: str
    quick_gelu: Optional[bool] = None

    def describe(self) -> str:
        return f'{self.kind} {self.path}'


def _read_file(path: str) -> CLIPWeights:
    if path.endswith('.safetensors'):
        return CLIPWeights(
            read_torch_file(path, what='CLIP weight file'), path,
            'safetensors file')
    if is_torchscript_archive(path):
        state_dict = read_torch_file(
            path, what='CLIP weight file', torchscript=True)
        for key in _OPENAI_EXTRA_KEYS:
            state_dict.pop(key, None)
        return CLIPWeights(
            state_dict, path, 'OpenAI TorchScript archive', quick_gelu=True)
    loaded = read_torch_file(path, what='CLIP weight file')
    if isinstance(loaded, dict) and isinstance(loaded.get('state_dict'), dict):
        loaded = loaded['state_dict']
    if not isinstance(loaded, dict) or not all(
            isinstance(v, torch.Tensor) for v in loaded.values()):
        raise ValueError(f'{path}: holds a {type(loaded).__name__}, not a '
                         f'state dict of tensors.')
    if loaded and all(k.startswith('module.') for k in loaded):
        loaded = {k[len('module.'):]: v for k, v in loaded.items()}
    return CLIPWeights(loaded, path, 'state-dict file')


def _read_snapshot(folder: str) -> CLIPWeights:
    config = osp.join(folder, HF_CONFIG)
    weights = [
        osp.join(folder, name) for name in HF_WEIGHT_FILES
        if osp.isfile(osp.join(folder, name))
    ]
    if not weights:
        raise FileNotFoundError(
            f'CLIP weights folder {folder} holds none of {HF_WEIGHT_FILES} '
            f'(a Hugging Face open_clip snapshot).')
    result = _read_file(weights[0])
    result.kind = f'Hugging Face snapshot {folder}: {result.kind}'
    if osp.isfile(config):
        with open(config, encoding='utf-8') as f:
            try:
                model_cfg = json.load(f)['model_cfg']
            except (json.JSONDecodeError, KeyError, TypeError) as err:
                raise ValueError(f'{config}: expected a JSON object with a '
                                 f'"model_cfg" key ({err}).') from err
        result.quick_gelu = bool(model_cfg.get('quick_gelu', False))
    return result


def read_clip_weights(path: str) -> CLIPWeights:
    """Read a local CLIP weight file or Hugging Face snapshot folder (see
    the module docstring for the formats)."""
    if osp.isdir(path):
        return _read_snapshot(path)
    return _read_file(path)

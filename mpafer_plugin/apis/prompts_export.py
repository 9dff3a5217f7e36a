"""Prompts-only checkpoints: the learned tensors of an MPA-FER model, a few
hundred kilobytes, with the config and class names needed to rebuild it.

An export is an ordinary MMEngine checkpoint (``{'meta', 'state_dict'}``)
whose ``state_dict`` holds only the trainable tensors (visual prompts,
context vectors). The frozen CLIP weights come from the config's CLIP spec
when it is loaded (see :meth:`MPAFER._fill_frozen_weights`), so
``tools/test.py CONFIG EXPORT`` and :func:`init_model` accept it like a
full checkpoint. It loads with ``torch.load(weights_only=True)``.
"""
from typing import Optional, Union

import torch
import torch.nn as nn
from mmengine.config import Config

from ..utils import atomic_torch_save
from ..version import __version__

EXPORT_KIND = 'mpafer_prompts'


def trainable_state_dict(model: nn.Module) -> dict:
    """``{name: tensor}`` of the parameters that train (``requires_grad``),
    detached, on CPU."""
    return {name: param.detach().cpu().clone()
            for name, param in model.named_parameters()
            if param.requires_grad}


def export_prompts(model: nn.Module, cfg: Config, out_file: str) -> dict:
    """Write the prompts-only export of ``model`` (built from ``cfg``) to
    ``out_file`` atomically and return what was written."""
    classes = list(getattr(getattr(model, 'head', None), 'classnames', []))
    checkpoint = dict(
        meta=dict(kind=EXPORT_KIND, mpafer_plugin=__version__,
                  config=cfg.pretty_text, classes=classes),
        state_dict=trainable_state_dict(model))
    atomic_torch_save(checkpoint, out_file)
    return checkpoint


def is_prompts_export(checkpoint: dict) -> bool:
    return checkpoint.get('meta', {}).get('kind') == EXPORT_KIND


def config_from_checkpoint(checkpoint: Union[str, dict]) -> Optional[Config]:
    """The config embedded in a prompts-only export, or ``None`` for any
    other checkpoint."""
    if isinstance(checkpoint, str):
        checkpoint = torch.load(checkpoint, map_location='cpu',
                                weights_only=True)
    if not is_prompts_export(checkpoint):
        return None
    return Config.fromstring(checkpoint['meta']['config'], '.py')

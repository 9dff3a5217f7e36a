"""Build an MPA-FER model for inference from a config and a checkpoint, or
from a prompts-only export alone."""
import copy
import os
from typing import Optional, Union

import torch
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.registry import DefaultScope
from mmengine.runner.checkpoint import _load_checkpoint_to_model
from mmpretrain.registry import MODELS

from ..engine.checkpoint_contract import (META_KEY, checkpoint_state_dict,
                                          verify_checkpoint)
from ..export.clip_path import resolve_clip_file
from ..export.prompts_export import config_from_checkpoint, is_prompts_export
from ..models.utils.state_contract import holds_frozen_weights
from ..utils.checkpoint_file import read_checkpoint


def _holds_clip(checkpoint: dict) -> Optional[bool]:
    """Whether a (non-export) checkpoint holds the frozen CLIP weights, as
    its ``meta['mpafer']`` says; ``None`` when it has no such record (seen
    on the model built)."""
    recorded = checkpoint.get('meta', {}).get(META_KEY)
    if not recorded:
        return None
    return recorded.get('frozen_weights', 'included') == 'included'


def _build(model_cfg):
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return MODELS.build(model_cfg)


def init_model(config: Union[str, Config, None] = None,
               checkpoint: Optional[str] = None,
               device: Union[str, torch.device] = 'cpu',
               cfg_options: Optional[dict] = None,
               trust_export_code: bool = False,
               clip_pretrained: Optional[str] = None):
    """An MPA-FER model in eval mode on ``device``, ``model._config`` set.

    - ``init_model(CONFIG, FULL_CHECKPOINT)``: CLIP is built with random
      weights of the right shapes (the checkpoint holds every weight, so
      nothing is fetched) and the checkpoint is loaded strictly.
    - ``init_model(CONFIG, CHECKPOINT)`` of a checkpoint without
      ``meta['mpafer']`` (a plain ``{'state_dict'}``, a bare state dict, a
      ``.safetensors`` file): as a full one when it holds the frozen
      weights, else CLIP from the config's spec; refused when that spec
      names no weights (random CLIP).
    - ``init_model(CONFIG, LEAN_CHECKPOINT)``: a training checkpoint
      without the frozen weights; CLIP is built from the config's spec.
    - ``init_model(EXPORT)`` or ``init_model(None, EXPORT)``: a prompts-only
      export (:mod:`.prompts_export`) with its embedded config; the frozen
      CLIP weights come from the config's CLIP spec: a tag as it is, a
      local file found where :mod:`..export.clip_path` looks (its absolute
      path, then beside the export, then the working directory). An
      export of the old format, whose config is Python text, is read only
      with
      ``trust_export_code=True`` (reading it executes that text).
    - ``init_model(CONFIG, EXPORT)``: the export with the given config
      instead (e.g. to point ``model.clip.pretrained`` elsewhere).
    - ``init_model(CONFIG)``: untrained prompts, with a warning.

    ``cfg_options`` is merged into the config before the model is built;
    ``clip_pretrained`` (a CLIP weights file or tag) then replaces
    ``model.clip.pretrained``, for any config and export. Every checkpoint
    is checked first
    (:func:`~mpafer_plugin.engine.checkpoint_contract.verify_checkpoint`):
    one that is corrupt or does not fit the model, its classes or its CLIP
    is refused, naming the file.
    """
    if isinstance(config, (str, os.PathLike)) and checkpoint is None and \
            not os.fspath(config).endswith('.py'):
        config, checkpoint = None, os.fspath(config)
    loaded = read_checkpoint(checkpoint) if checkpoint is not None else None
    export = loaded is not None and is_prompts_export(loaded)
    if config is None:
        cfg = config_from_checkpoint(loaded, trust_export_code, checkpoint)
    elif isinstance(config, Config):
        cfg = copy.deepcopy(config)
    else:
        cfg = Config.fromfile(os.fspath(config))
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    if clip_pretrained is not None:
        cfg.model.clip.pretrained = clip_pretrained
    elif export and config is None:
        found = resolve_clip_file(loaded['meta'], checkpoint,
                                  cfg.model.clip.pretrained)
        if found:
            cfg.model.clip.pretrained = found
    # A checkpoint that holds every weight needs CLIP only for its shapes:
    # random weights, nothing fetched; any other gets the spec's weights.
    holds = None if loaded is None or export else _holds_clip(loaded)
    model_cfg = copy.deepcopy(cfg.model)
    if holds is not False and loaded is not None and not export:
        model_cfg.clip.pretrained = None
    model = _build(model_cfg)
    if holds is None and loaded is not None and not export and \
            not holds_frozen_weights(model, checkpoint_state_dict(loaded)):
        model = _build(copy.deepcopy(cfg.model))  # the spec's CLIP
    if loaded is None:
        MMLogger.get_current_instance().warning(
            'init_model: no checkpoint given, the prompts are untrained.')
    else:
        verify_checkpoint(model, loaded, checkpoint)
        _load_checkpoint_to_model(model, loaded, strict=True)
    model._config = cfg
    return model.to(device).eval()

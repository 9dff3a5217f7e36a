"""Build a frozen open_clip model from a CLIP spec.

A CLIP spec is a dict ``dict(model_name=..., pretrained=...,
precision='fp32')`` where ``pretrained`` is an open_clip tag (``'openai'``,
``'laion2b_s34b_b88k'``…), a local weight file or Hugging Face snapshot
folder (every format :mod:`.clip_weights` reads: OpenAI's TorchScript
release, state-dict pickles, ``.safetensors``), or ``None`` for random
weights, and ``precision`` (``'fp32'``, ``'fp16'``, ``'bf16'``) the storage
type of the frozen weights. The returned model is in eval mode with every
parameter frozen (``requires_grad=False``).

OpenAI's weights need QuickGELU (``ViT-B-16-quickgelu``): a tag or a file
that says what it was trained with (OpenAI's archive, a snapshot's
``open_clip_config.json``) is refused with an architecture that differs; a
file that says nothing but whose name says ``openai`` gets a warning with a
non-QuickGELU architecture.

Importing this module also registers the small architectures shipped in
``mpafer_plugin/resources/open_clip_configs`` (``mpafer-tiny-vit``: width 64,
2 layers, 224 px, patch 16; ``mpafer-tiny-vit-64``: the same at 64 px, patch
8; ``mpafer-proxy-vit-64`` and ``mpafer-proxy-vit-96``: 4 layers at 64 px,
patch 8, width 64 or 96, the proxy benchmark's stand-ins, docs/proxy.md;
all keep the full 49,408-token vocabulary so the stock tokenizer works),
used by the tests, the offline quick start and the proxy.
"""
import os
import os.path as osp
import warnings
from typing import Optional

import open_clip
import torch.nn as nn
from mmengine.logging import MMLogger

from ...compat.quiet_logs import weights_loaded_after_build
from .clip_weights import CLIPWeights, read_clip_weights

CONFIG_DIR = osp.join(
    osp.dirname(osp.dirname(osp.dirname(__file__))), 'resources',
    'open_clip_configs')
open_clip.add_model_config(CONFIG_DIR)

_CHECKPOINT_SUFFIXES = ('.pt', '.pth', '.bin', '.safetensors', '.ckpt')
PRECISIONS = ('fp32', 'fp16', 'bf16')


def _check_spec(model_name: str, pretrained: Optional[str]) -> None:
    """Fail early, with a useful message, on a spec open_clip cannot serve."""
    if model_name not in open_clip.list_models():
        close = [
            m for m in open_clip.list_models()
            if model_name.split('-')[0].lower() in m.lower()
        ][:12]
        raise ValueError(f'Unknown open_clip model_name {model_name!r}. '
                         f'Similar names: {close}')
    if pretrained is None or osp.exists(pretrained):
        return
    tags = open_clip.list_pretrained_tags_by_model(model_name)
    looks_like_path = (
        os.sep in pretrained or pretrained.endswith(_CHECKPOINT_SUFFIXES))
    if looks_like_path:
        where = '' if osp.isabs(pretrained) else (
            f', resolved against the working directory {os.getcwd()} as '
            f'{osp.abspath(pretrained)} (a relative path in a config is '
            f'read from the folder you run in)')
        raise FileNotFoundError(
            f'CLIP checkpoint file {pretrained!r} does not exist '
            f'(model_name={model_name!r}){where}. Give its location: --clip '
            f'PATH (tools/infer.py, demo.py, export_deploy.py, '
            f'visualize_similarity.py), --cfg-options '
            f'model.clip.pretrained=/absolute/path (any tool), or an '
            f'absolute path in the config.')
    if pretrained not in tags:
        raise ValueError(f'{pretrained!r} is neither a file nor an open_clip '
                         f'tag of {model_name!r}; its tags are {tags}.')
    tag_cfg = open_clip.get_pretrained_cfg(model_name, pretrained)
    _check_quick_gelu(model_name, tag_cfg.get('quick_gelu', False),
                      f'open_clip tag {pretrained!r}')


def _builds_quick_gelu(model_name: str) -> bool:
    return bool(
        open_clip.get_model_config(model_name).get('quick_gelu', False))


def _check_quick_gelu(model_name: str, trained_with: bool,
                      weights: str) -> None:
    """Refuse weights trained with another activation than ``model_name``
    builds (GELU vs QuickGELU): the features would silently degrade."""
    builds = _builds_quick_gelu(model_name)
    if trained_with == builds:
        return
    fix = (
        model_name + '-quickgelu' if trained_with else
        model_name[:-len('-quickgelu')] if model_name.endswith('-quickgelu')
        else 'an architecture without QuickGELU')
    raise ValueError(
        f'{weights} was trained with quick_gelu={trained_with} but '
        f'{model_name!r} builds quick_gelu={builds}: the features would '
        f'silently degrade. Use {fix!r} (OpenAI weights need the '
        f'-quickgelu architectures).')


def _check_local_weights(model_name: str, weights: CLIPWeights) -> None:
    """The QuickGELU check for a local file, and a warning when a file that
    says nothing about it is named like OpenAI weights."""
    if weights.quick_gelu is not None:
        _check_quick_gelu(model_name, weights.quick_gelu, weights.describe())
    elif ('openai' in osp.basename(osp.normpath(weights.path)).lower()
          and not _builds_quick_gelu(model_name)):
        message = (f'{weights.describe()}: the name says OpenAI weights, '
                   f'which need QuickGELU, but {model_name!r} builds GELU; '
                   f'use {model_name + "-quickgelu"!r} if they are.')
        warnings.warn(message)
        MMLogger.get_current_instance().warning(message)


def _load_weights(model: nn.Module, model_name: str,
                  weights: CLIPWeights) -> None:
    """Copy ``weights`` into ``model`` (cast to its storage types), refusing
    a state dict whose names or shapes differ, naming both sides."""
    own = model.state_dict()
    state_dict = dict(weights.state_dict)
    scale = state_dict.get('logit_scale')
    if scale is not None and scale.numel() == 1:  # 0-d or (1,) by version
        state_dict['logit_scale'] = scale.reshape(own['logit_scale'].shape)
    missing = sorted(set(own) - set(state_dict))
    unexpected = sorted(set(state_dict) - set(own))
    shapes = [
        f'{k}: file {tuple(state_dict[k].shape)}, model '
        f'{tuple(v.shape)}' for k, v in own.items()
        if k in state_dict and state_dict[k].shape != v.shape
    ]
    if missing or unexpected or shapes:
        raise ValueError(
            f'{weights.describe()} does not fit open_clip {model_name!r}: '
            f'{len(missing)} missing {missing[:5]}, {len(unexpected)} '
            f'unexpected {unexpected[:5]}, {len(shapes)} of another shape '
            f'{shapes[:5]}. Is it the weights of another architecture?')
    model.load_state_dict(state_dict, strict=True)


def load_clip(model_name: str,
              pretrained: Optional[str] = None,
              cache_dir: Optional[str] = None,
              precision: str = 'fp32') -> nn.Module:
    """Create a frozen open_clip model.

    Args:
        model_name: an open_clip architecture, e.g. ``'ViT-B-16-quickgelu'``.
        pretrained: an open_clip tag, a local weight file or Hugging Face
            snapshot folder, or ``None`` for random weights.
        cache_dir: where open_clip caches downloaded weights.
        precision: ``'fp32'``, or ``'fp16'`` / ``'bf16'`` to store the
            frozen weights of every linear, convolution, attention and
            projection layer in half precision (open_clip's mixed
            precision, as OpenAI's CLIP; layer norms and embeddings stay
            fp32). Defaults to ``'fp32'``.

    Returns:
        The open_clip ``CLIP`` module, eval mode, no parameter trainable.
    """
    _check_spec(model_name, pretrained)
    if precision not in PRECISIONS:
        raise ValueError(f'CLIP spec precision={precision!r}; expected one '
                         f'of {PRECISIONS}.')
    local = pretrained is not None and osp.exists(pretrained)
    weights = None
    if local:
        weights = read_clip_weights(pretrained)
        _check_local_weights(model_name, weights)
    # the weights' source is logged below (a file loaded next, a full
    # checkpoint later, a tag, or random): open_clip's "initialized
    # randomly" would say otherwise
    try:
        with weights_loaded_after_build():
            model = open_clip.create_model(
                model_name,
                pretrained=None if local else pretrained,
                cache_dir=cache_dir,
                precision=precision)
    except RuntimeError as err:
        if pretrained is not None and not local:
            raise RuntimeError(
                f'Could not fetch open_clip weights {model_name}/{pretrained} '
                f'(offline?). Download them once and pass the local file as '
                f'`pretrained`. Cause: {err}') from err
        raise
    if weights is not None:
        _load_weights(model, model_name, weights)
        source = weights.describe()
    elif pretrained is not None:
        source = f'open_clip tag {pretrained!r}'
    else:
        source = ('random initialisation (no pretrained weights; a full '
                  'checkpoint loaded later replaces them)')
    MMLogger.get_current_instance().info(
        f'Loaded CLIP {model_name} ({precision}) with weights {source}')
    model.eval().requires_grad_(False)
    return model

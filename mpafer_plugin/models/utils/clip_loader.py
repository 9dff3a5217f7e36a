"""Build a frozen open_clip model from a CLIP spec.

A CLIP spec is a dict ``dict(model_name=..., pretrained=...,
precision='fp32')`` where ``pretrained`` is an open_clip tag (``'openai'``,
``'laion2b_s34b_b88k'``…), a local checkpoint file, or ``None`` for random
weights, and ``precision`` (``'fp32'``, ``'fp16'``, ``'bf16'``) the storage
type of the frozen weights. The returned model is in eval mode with every
parameter frozen (``requires_grad=False``).

Importing this module also registers the small architectures shipped in
``mpafer_plugin/resources/open_clip_configs`` (``mpafer-tiny-vit``: width 64,
2 layers, 224 px, patch 16; ``mpafer-tiny-vit-64``: the same at 64 px, patch
8; both keep the full 49,408-token vocabulary so the stock tokenizer works),
used by the tests and the offline quick start.
"""
import os
import os.path as osp
from typing import Optional

import open_clip
import torch.nn as nn
from mmengine.logging import MMLogger

CONFIG_DIR = osp.join(
    osp.dirname(osp.dirname(osp.dirname(__file__))), 'resources',
    'open_clip_configs')
open_clip.add_model_config(CONFIG_DIR)

_CHECKPOINT_SUFFIXES = ('.pt', '.pth', '.bin', '.safetensors', '.ckpt')
PRECISIONS = ('fp32', 'fp16', 'bf16')


def _check_spec(model_name: str, pretrained: Optional[str]) -> None:
    """Fail early, with a useful message, on a spec open_clip cannot serve."""
    if model_name not in open_clip.list_models():
        close = [m for m in open_clip.list_models()
                 if model_name.split('-')[0].lower() in m.lower()][:12]
        raise ValueError(f'Unknown open_clip model_name {model_name!r}. '
                         f'Similar names: {close}')
    if pretrained is None or osp.isfile(pretrained):
        return
    tags = open_clip.list_pretrained_tags_by_model(model_name)
    looks_like_path = (os.sep in pretrained
                       or pretrained.endswith(_CHECKPOINT_SUFFIXES))
    if looks_like_path:
        raise FileNotFoundError(
            f'CLIP checkpoint file {pretrained!r} does not exist '
            f'(model_name={model_name!r}).')
    if pretrained not in tags:
        raise ValueError(f'{pretrained!r} is neither a file nor an open_clip '
                         f'tag of {model_name!r}; its tags are {tags}.')
    tag_cfg = open_clip.get_pretrained_cfg(model_name, pretrained)
    model_cfg = open_clip.get_model_config(model_name)
    if tag_cfg.get('quick_gelu', False) != model_cfg.get('quick_gelu', False):
        raise ValueError(
            f'open_clip tag {pretrained!r} was trained with '
            f'quick_gelu={tag_cfg.get("quick_gelu", False)} but '
            f'{model_name!r} builds quick_gelu='
            f'{model_cfg.get("quick_gelu", False)}: the features would '
            f'silently degrade. Use {model_name + "-quickgelu"!r} for '
            f'OpenAI weights.')


def load_clip(model_name: str,
              pretrained: Optional[str] = None,
              cache_dir: Optional[str] = None,
              precision: str = 'fp32') -> nn.Module:
    """Create a frozen open_clip model.

    Args:
        model_name: an open_clip architecture, e.g. ``'ViT-B-16-quickgelu'``.
        pretrained: an open_clip tag, a local checkpoint path, or ``None``
            for random weights.
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
    logger = MMLogger.get_current_instance()
    try:
        model = open_clip.create_model(
            model_name, pretrained=pretrained, cache_dir=cache_dir,
            precision=precision)
    except RuntimeError as err:
        if pretrained is not None and not osp.isfile(pretrained):
            raise RuntimeError(
                f'Could not fetch open_clip weights {model_name}/{pretrained} '
                f'(offline?). Download them once and pass the local file as '
                f'`pretrained`. Cause: {err}') from err
        raise
    logger.info(f'Loaded CLIP {model_name} ({precision}) with weights '
                f'{pretrained or "random (no pretrained weights)"}')
    model.eval().requires_grad_(False)
    return model

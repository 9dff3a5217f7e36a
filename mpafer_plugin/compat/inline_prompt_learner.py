"""Configs, checkpoints and exports of ``MPAHead`` from before its soft
prompts became a module of their own (``CoOpPromptLearner``).

Until then ``MPAHead`` held CoOp's context itself, and

* configs set it with flat head keys, ``num_context``,
  ``class_specific_context`` and ``context_init_std``, now
  ``prompt_learner=dict(type='CoOpPromptLearner', num_context=...,
  class_specific_context=..., init_std=...)``. A checkpoint's model is
  rebuilt from a config (its own is ``meta['cfg']``), a prompts-only
  export's from ``meta['config_json']``: :func:`prompt_learner_from_flat_keys`
  moves the old keys into ``prompt_learner``, each with a
  ``FutureWarning`` naming its new key, and the model built is the same
  (same shapes, same random init);
* state dicts (training and full checkpoints, exports) hold the context
  as ``head.context``, now ``head.prompt_learner.context``:
  :func:`upgrade_head_state_dict` renames it when the head's state-dict
  version (``state_dict._metadata['head']['version']``, which torch and
  MMEngine save) is below :data:`HEAD_VERSION`, or unknown (an export's
  plain dict) and the old name is there. ``MPAFER`` applies it before its
  check that no trainable tensor is missing, ``MPAHead`` when loaded on
  its own, ``verify_checkpoint`` before comparing a checkpoint with the
  model. The contract of such a checkpoint (``meta['mpafer']``) lists
  ``head.context`` and its digest hashes that name: the digest is checked
  on the tensors as saved, before any rename, so the contract holds and a
  corrupt tensor is still refused;
* a training checkpoint's optimizer state indexes the parameters by their
  position in ``model.parameters()``, where the inline context came first
  of the head's parameters: :func:`add_module_first` registers the learner
  ahead of the head's other modules (``nn.Module._modules`` is an
  insertion-ordered dict), so the context keeps its position and
  ``--resume`` gives its momentum back to it.
"""
import warnings
from typing import Dict, List, Mapping, MutableMapping, Optional, Tuple

import torch.nn as nn
from mmengine.logging import MMLogger

#: ``MPAHead._version`` since the context is ``prompt_learner.context``.
HEAD_VERSION = 2
#: old flat ``MPAHead`` key -> key of ``prompt_learner``
FLAT_KEYS = {
    'num_context': 'num_context',
    'class_specific_context': 'class_specific_context',
    'context_init_std': 'init_std',
}
#: state-dict entry of the head before -> now
RENAMED = {'context': 'prompt_learner.context'}


def prompt_learner_from_flat_keys(prompt_learner: Optional[Mapping],
                                  head_kwargs: MutableMapping) -> dict:
    """``prompt_learner`` (a config dict) with the old flat keys found in
    ``head_kwargs`` (the head's ``**kwargs``; popped from it) moved in.
    A flat key wins over ``prompt_learner``'s: an old config that inherits
    the new base means what its flat key says."""
    merged = dict(prompt_learner or {})
    for old, new in FLAT_KEYS.items():
        if old in head_kwargs:
            warnings.warn(
                f'model.head.{old} is deprecated: use '
                f'model.head.prompt_learner.{new} (the config, checkpoint '
                f'or export that sets it still builds the same model).',
                FutureWarning,
                stacklevel=2)
            merged[new] = head_kwargs.pop(old)
    return merged


def upgrade_head_state_dict(state_dict: MutableMapping,
                            prefix: str,
                            version: Optional[int],
                            log: bool = True) -> List[Tuple[str, str]]:
    """Rename, in place, the entries of an ``MPAHead`` saved at state-dict
    ``version`` (``None``: unknown) under ``prefix`` (e.g. ``'head.'``) to
    the current names, logging it when ``log``; returns the ``(old, new)``
    keys renamed."""
    if version is not None and version >= HEAD_VERSION:
        return []
    renamed = []
    for old, new in RENAMED.items():
        if prefix + old in state_dict and prefix + new not in state_dict:
            state_dict[prefix + new] = state_dict.pop(prefix + old)
            renamed.append((prefix + old, prefix + new))
    if renamed and log:
        MMLogger.get_current_instance().info(
            'State dict of the inline-context MPAHead: loaded ' +
            ', '.join(f'{old} as {new}' for old, new in renamed) + '.')
    return renamed


def saved_version(state_dict: Mapping, prefix: str) -> Optional[int]:
    """The state-dict version recorded for the module at ``prefix`` (e.g.
    ``'head.'``), ``None`` when ``state_dict`` records none."""
    metadata: Dict = getattr(state_dict, '_metadata', None) or {}
    return metadata.get(prefix[:-1], {}).get('version')


def upgrade_model_state_dict(model: nn.Module,
                             state_dict: MutableMapping,
                             prefix: str = '',
                             version: Optional[int] = None,
                             log: bool = True) -> List[Tuple[str, str]]:
    """:func:`upgrade_head_state_dict` for ``model.head`` (when it has a
    prompt learner) within the state dict of ``model`` saved under
    ``prefix``; ``version`` defaults to the one ``state_dict`` records."""
    if not hasattr(getattr(model, 'head', None), 'prompt_learner'):
        return []
    head = prefix + 'head.'
    if version is None:
        version = saved_version(state_dict, head)
    return upgrade_head_state_dict(state_dict, head, version, log)


def add_module_first(parent: nn.Module, name: str, child: nn.Module) -> None:
    """``parent.add_module(name, child)``, placed before the modules
    ``parent`` already has, so that ``parent.parameters()`` yields
    ``child``'s right after ``parent``'s own."""
    parent.add_module(name, child)
    modules = parent._modules
    for other in [key for key in modules if key != name]:
        modules[other] = modules.pop(other)

"""What a checkpoint must hold to fit a model, and digests of tensors.

An MPA-FER model has two kinds of parameters: the *trainable* ones
(``requires_grad``: visual prompts, context vectors) and the *frozen* CLIP
weights. A checkpoint fits the model when

* every trainable parameter is in it, with the model's shape, and
* if it holds any frozen weight (a full checkpoint), it holds all of them,
  with the model's shapes; a checkpoint without frozen weights (a lean
  training checkpoint or a prompts-only export) gets them from the CLIP
  spec, checked by a fingerprint (:mod:`mpafer_plugin.engine.
  checkpoint_contract`).

Any other entry present in both (buffers) must have the model's shape.
"""
import hashlib
from typing import Dict, List, Mapping

import torch
import torch.nn as nn

from ...utils.checkpoint_file import CheckpointError


class CheckpointMismatchError(CheckpointError):
    """A checkpoint that cannot be used with the model it is loaded into."""


def trainable_parameter_names(model: nn.Module) -> List[str]:
    return [
        name for name, param in model.named_parameters() if param.requires_grad
    ]


def frozen_parameter_names(model: nn.Module) -> List[str]:
    return [
        name for name, param in model.named_parameters()
        if not param.requires_grad
    ]


def tensor_digest(tensors: Mapping[str, torch.Tensor]) -> str:
    """SHA-256 of ``tensors`` (names, dtypes, shapes and bytes, in name
    order), as ``'sha256:<hex>'``."""
    digest = hashlib.sha256()
    for name in sorted(tensors):
        tensor = tensors[name].detach().cpu().contiguous()
        digest.update(f'{name}|{tensor.dtype}|{tuple(tensor.shape)}|'.encode())
        digest.update(tensor.view(-1).view(torch.uint8).numpy().data)
    return 'sha256:' + digest.hexdigest()


def holds_frozen_weights(model: nn.Module,
                         state_dict: Mapping,
                         prefix: str = '') -> bool:
    """Whether ``state_dict`` holds any of ``model``'s frozen weights."""
    return any(prefix + name in state_dict
               for name in frozen_parameter_names(model))


def state_dict_mismatches(model: nn.Module,
                          state_dict: Mapping,
                          prefix: str = '') -> List[str]:
    """One line per reason ``state_dict`` does not fit ``model`` (empty
    when it fits): missing tensors and shapes that differ, with both
    shapes."""
    expected: Dict[str, torch.Tensor] = model.state_dict()
    required = trainable_parameter_names(model)
    if holds_frozen_weights(model, state_dict, prefix):
        required += frozen_parameter_names(model)
    problems = [
        f'{name}: missing from the checkpoint (model: '
        f'{tuple(expected[name].shape)})' for name in sorted(required)
        if prefix + name not in state_dict
    ]
    for name, tensor in expected.items():
        found = state_dict.get(prefix + name)
        if isinstance(found, torch.Tensor) and found.shape != tensor.shape:
            problems.append(f'{name}: checkpoint {tuple(found.shape)}, '
                            f'model {tuple(tensor.shape)}')
    if problems:
        unexpected = [
            key for key in state_dict if key[len(prefix):] not in expected
        ]
        if unexpected:
            problems.append(f'and {len(unexpected)} tensors the model does '
                            f'not have (e.g. {", ".join(unexpected[:3])})')
        if not any(prefix + name in state_dict
                   for name in trainable_parameter_names(model)):
            problems.append('none of the trainable tensors is there: this '
                            'is no checkpoint of this model (CLIP weights '
                            'go to model.clip.pretrained)')
    return problems


def mismatch_message(source: str, problems: List[str]) -> str:
    lines = '\n  '.join(problems)
    return (f'Checkpoint {source} does not fit the model built from the '
            f'config:\n  {lines}\nUse the config the checkpoint was trained '
            f'with (its meta["cfg"]), without --cfg-options that change the '
            f'model.')

"""What an MPA-FER checkpoint records about itself, and the checks made
before one is used.

Saving (:func:`stamp_checkpoint`, by :class:`CheckpointContractHook` for
every training checkpoint and by ``export_prompts`` for exports) writes
``meta['mpafer']``::

    classes            model.head.classnames, in label order
    clip               the CLIP spec the model was built from
    frozen_weights     'included' (full checkpoint) or 'clip_spec' (lean)
    clip_fingerprint   tensor_digest of the frozen CLIP parameters
    trainable          {name: shape} of the trainable tensors
    trainable_digest   tensor_digest of those tensors
    optimizer          optimizer wrapper, optimizer and param-group sizes
    attention_layout   the frozen blocks' layout modes and every layout the
                       process ran them in, per call site and shape class
                       (mpafer_plugin.models.utils.attention_layout)

and, when the CLIP spec names its weights (``pretrained`` set), removes the
frozen CLIP weights from ``state_dict``: a lean checkpoint holds the
trainable tensors, buffers, optimizer, schedulers and message hub, and CLIP
is rebuilt from the spec when it is loaded. A spec with random weights
(``pretrained=None``) cannot be rebuilt, so those checkpoints keep them.

Loading (:func:`verify_checkpoint`) refuses, naming the file: a checkpoint
whose trainable tensors differ from their digest (corrupt), whose tensors
do not fit the model (names and both shapes), whose classes differ from
``model.head.classnames`` (both lists), whose CLIP fingerprint differs from
the CLIP built from the spec (both fingerprints and specs); and, to resume,
a prompts-only export or a checkpoint of another optimizer. Checkpoints
without ``meta['mpafer']`` (written before it existed) are checked for fit
only. The digest is checked on the names the checkpoint was saved with,
the fit after an older head's names are upgraded
(:mod:`mpafer_plugin.compat.inline_prompt_learner`: ``head.context`` is
``head.prompt_learner.context``).
"""
import os
import os.path as osp
import re
from typing import Optional

import torch
from mmengine.model import is_model_wrapper

from ..compat.inline_prompt_learner import (saved_version,
                                            upgrade_model_state_dict)
from ..models.utils.attention_layout import layout_record
# yapf: disable
from ..models.utils.state_contract import (CheckpointMismatchError,
                                           holds_frozen_weights,
                                           mismatch_message,
                                           state_dict_mismatches,
                                           tensor_digest,
                                           trainable_parameter_names)

# yapf: enable

META_KEY = 'mpafer'
EXPORT_KIND = 'mpafer_prompts'


def _unwrap(model):
    return model.module if is_model_wrapper(model) else model


def _classes(model) -> Optional[list]:
    names = getattr(getattr(model, 'head', None), 'classnames', None)
    return None if names is None else list(names)


def describe_optimizer(optim_wrapper) -> Optional[dict]:
    """Wrapper type, optimizer type and param-group sizes, or ``None``
    (also for a Runner's optimizer still a config, before it is built)."""
    optimizer = getattr(optim_wrapper, 'optimizer', None)
    if not isinstance(optimizer, torch.optim.Optimizer):
        return None
    return dict(
        wrapper=type(optim_wrapper).__name__,
        optimizer=type(optimizer).__name__,
        param_groups=[
            len(group['params']) for group in optimizer.param_groups
        ])


def _state_dict(checkpoint: dict) -> dict:
    state = checkpoint.get('state_dict', checkpoint)
    return {
        re.sub(r'^module\.', '', key): value
        for key, value in state.items()
    }


def stamp_checkpoint(model,
                     checkpoint: dict,
                     optim_wrapper=None,
                     fingerprint: Optional[str] = None,
                     clip_spec: Optional[dict] = None) -> dict:
    """Add ``meta['mpafer']`` to ``checkpoint`` and, where the CLIP spec
    (``clip_spec``, default ``model.clip_spec``) can rebuild them, drop its
    frozen weights (in place; returned). ``fingerprint`` saves recomputing
    :meth:`MPAFER.frozen_fingerprint`."""
    model = _unwrap(model)
    state = checkpoint['state_dict']
    trainable = {
        name: state[name]
        for name in trainable_parameter_names(model)
    }
    spec = dict(clip_spec or getattr(model, 'clip_spec', None) or {})
    rebuildable = bool(spec.get('pretrained'))
    if rebuildable:
        for name, param in model.named_parameters():
            if not param.requires_grad:
                state.pop(name, None)
    lean = not holds_frozen_weights(model, state)
    if lean and rebuildable and fingerprint is None:
        fingerprint = model.frozen_fingerprint()
    checkpoint.setdefault('meta', {})[META_KEY] = dict(
        classes=_classes(model),
        clip=spec or None,
        frozen_weights='clip_spec' if lean else 'included',
        clip_fingerprint=fingerprint if lean and rebuildable else None,
        trainable={
            name: list(t.shape)
            for name, t in trainable.items()
        },
        trainable_digest=tensor_digest(trainable),
        optimizer=describe_optimizer(optim_wrapper),
        attention_layout=layout_record(model))
    return checkpoint


def is_prompts_export(checkpoint: dict) -> bool:
    return checkpoint.get('meta', {}).get('kind') == EXPORT_KIND


def check_integrity(checkpoint: dict, source: str) -> None:
    """Refuse a checkpoint whose trainable tensors differ from the digest
    it was saved with."""
    recorded = checkpoint.get('meta', {}).get(META_KEY)
    if not recorded:
        return
    state = _state_dict(checkpoint)
    missing = [name for name in recorded['trainable'] if name not in state]
    if missing:
        raise CheckpointMismatchError(
            f'Checkpoint {source} is corrupt: its meta lists trainable '
            f'tensors {missing} that its state_dict lacks.')
    found = tensor_digest(
        {name: state[name]
         for name in recorded['trainable']})
    if found != recorded['trainable_digest']:
        raise CheckpointMismatchError(
            f'Checkpoint {source} is corrupt: its trainable tensors '
            f'({", ".join(recorded["trainable"])}) hash to {found}, not to '
            f'the {recorded["trainable_digest"]} written when it was saved. '
            f'Use an earlier checkpoint.')


def _check_resumable(checkpoint: dict, source: str, optim_wrapper) -> None:
    meta = checkpoint.get('meta', {})
    if is_prompts_export(checkpoint):
        raise CheckpointMismatchError(
            f'{source} is a prompts-only export '
            f'(tools/model_converters/export_prompts.py): it '
            f'holds the learned prompts but no optimizer state, learning-'
            f'rate schedule, epoch counter or message hub, so training '
            f'cannot be resumed from it. Resume from a training checkpoint '
            f'(epoch_N.pth) of the work dir, or start a new training from '
            f'these prompts with --cfg-options load_from={source}.')
    missing = [
        key for key in ('optimizer', 'message_hub') if key not in checkpoint
    ]
    if missing or 'epoch' not in meta:
        raise CheckpointMismatchError(
            f'{source} cannot be resumed from: it has no '
            f'{missing or ["meta.epoch"]} (not a training checkpoint of '
            f'tools/train.py). Use it with --cfg-options load_from={source} '
            f'instead.')
    if isinstance(meta.get('config'), str):
        # MMEngine's resume would execute this Python text.
        raise CheckpointMismatchError(
            f'{source} carries Python code in meta["config"], which resuming '
            f'would execute; refusing it.')
    saved = (meta.get(META_KEY) or {}).get('optimizer')
    current = describe_optimizer(optim_wrapper)
    if not current:
        return
    if not saved:  # written before meta['mpafer']: read the optimizer state
        groups = checkpoint['optimizer'].get('param_groups', [])
        saved = dict(
            current,
            param_groups=[len(group.get('params', [])) for group in groups])
        # Another optimizer has other hyper-parameters both ways (AdamW:
        # betas, eps; SGD: momentum, dampening); a newer torch adds some.
        settings = set(groups[0]) if groups else set()
        now = set(optim_wrapper.optimizer.param_groups[0])
        if settings - now and now - settings:
            saved['optimizer'] = (f'one with settings '
                                  f'{sorted(settings - now)}')
            current = dict(
                current,
                optimizer=f'{current["optimizer"]} '
                f'with settings {sorted(now - settings)}')
    mine = {key: current[key] for key in ('optimizer', 'param_groups')}
    if {key: saved[key] for key in mine} != mine:
        raise CheckpointMismatchError(
            f'{source} was saved by another optimizer than the config '
            f'builds: checkpoint {saved}, config {current}. Resume with the '
            f'optimizer it was trained with, or start a new training from '
            f'its weights with --cfg-options load_from={source}.')


def verify_checkpoint(model,
                      checkpoint: dict,
                      source: str,
                      resume: bool = False,
                      optim_wrapper=None) -> None:
    """Refuse ``checkpoint`` (from file ``source``) if it cannot be used
    with ``model`` (see the module docstring); ``resume`` adds the checks
    of a resumption against ``optim_wrapper``."""
    model = _unwrap(model)
    source = osp.abspath(source) if source and osp.exists(source) else source
    if resume:
        _check_resumable(checkpoint, source, optim_wrapper)
    check_integrity(checkpoint, source)  # on the names it was saved with
    state = _state_dict(checkpoint)
    upgrade_model_state_dict(
        model,
        state,
        version=saved_version(
            checkpoint.get('state_dict', checkpoint), 'head.'),
        log=False)  # the load that follows says it
    problems = state_dict_mismatches(model, state)
    if problems:
        raise CheckpointMismatchError(mismatch_message(source, problems))
    recorded = checkpoint.get('meta', {}).get(META_KEY) or {}
    saved_classes, classes = recorded.get('classes'), _classes(model)
    if saved_classes is not None and classes is not None and \
            saved_classes != classes:
        raise CheckpointMismatchError(
            f'Checkpoint {source} was trained with classes {saved_classes}; '
            f'the config\'s model.head.classnames are {classes}. Label i '
            f'means class i of the checkpoint: use its class list, in its '
            f'order and wording.')
    saved_print = recorded.get('clip_fingerprint')
    if saved_print and not holds_frozen_weights(model, state):
        built = model.frozen_fingerprint()
        if built != saved_print:
            raise CheckpointMismatchError(
                f'Checkpoint {source} holds no CLIP weights and was trained '
                f'on CLIP {recorded.get("clip")} with fingerprint '
                f'{saved_print}; the CLIP built from the config\'s spec '
                f'{getattr(model, "clip_spec", None)} has fingerprint '
                f'{built}. Point model.clip.pretrained at the weights it was '
                f'trained with (--clip PATH on the tools that take an '
                f'export).')


_CHECKPOINT_NAME = re.compile(r'^(epoch|iter)_(\d+)\.pth$')


def newest_valid_checkpoint(work_dir: str, logger=None) -> Optional[str]:
    """The training checkpoint of ``work_dir`` (``epoch_N.pth`` /
    ``iter_N.pth``) with the highest ``N`` that loads and passes
    :func:`check_integrity` (the ones skipped are logged), ``None`` when
    ``work_dir`` has none; raises when it has some but none is valid."""
    from mmengine.runner.checkpoint import _load_checkpoint
    found = []
    for name in (os.listdir(work_dir) if osp.isdir(work_dir) else []):
        match = _CHECKPOINT_NAME.match(name)
        if match:
            found.append((match.group(1) == 'epoch', int(match.group(2)),
                          osp.join(osp.abspath(work_dir), name)))
    errors = []
    for _, _, path in sorted(found, reverse=True):
        try:
            check_integrity(_load_checkpoint(path, map_location='cpu'), path)
        except Exception as err:  # unreadable for any reason: named, skipped
            errors.append(f'{path}: {err}')
            if logger is not None:
                logger.warning(f'Not resuming from {path}: {err}')
            continue
        return path
    if errors:
        raise CheckpointMismatchError(
            'No valid checkpoint to resume from in {}:\n  {}'.format(
                work_dir, '\n  '.join(errors)))
    return None

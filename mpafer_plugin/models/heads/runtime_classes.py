"""Classify into class names given at run time (open vocabulary).

The text side is CLIP: a prompt learner whose context is *shared* by all
classes (CoOp's unified context) gives a classifier for any class name,
``[SOS] v_1 … v_M <name> . [EOS]``. A *class-specific* context has no
vectors for a class it was not trained on, so it is refused.
"""
import functools
from typing import Sequence

from .coop_prompt_learner import CoOpPromptLearner
from .hard_prompt_bank import HardPromptBank
from .mpa_head import MPAHead
from .zero_shot_head import ZeroShotCLIPHead

# Descriptions exist for the basic expressions only: a zero-shot head
# retargeted to arbitrary names uses the template without one.
ZERO_SHOT_VARIANT = 2


def _refuse_loss(record, *args, **kwargs):
    raise RuntimeError(
        f'This head classifies into run-time classes {record["classes"]} '
        f'(trained with {record["checkpoint_classes"]}): it is for '
        f'evaluation and inference only; its alignment losses and '
        f'prototypes belong to the trained classes. Train with '
        f'model.head.classnames set instead.')


def set_runtime_classes(head, classnames: Sequence[str]) -> dict:
    """Make ``head`` (evaluation only) classify into ``classnames``.

    - :class:`MPAHead` with a :class:`CoOpPromptLearner` whose context is
      shared: a learner for the new names takes the trained context as it
      is (the same vectors before every name);
    - :class:`ZeroShotCLIPHead`: hard prompts of the new names (template
      variant 2, ``a photo of a person making a facial expression of
      {name}.``; there are no descriptions for arbitrary names).

    The head's ``classnames`` become ``classnames``; ``head.loss`` then
    refuses (the losses belong to the trained classes). The change is
    recorded in ``head.runtime_classes`` and returned:
    ``dict(classes, checkpoint_classes, context)``. Call it *after* the
    checkpoint is loaded (the checkpoint contract checks the checkpoint's
    classes against the config's): it is the recorded exception to that
    check.

    Raises:
        ValueError: the context is class-specific, the learner is not a
            :class:`CoOpPromptLearner`, or ``classnames`` is empty or names
            a class twice.
    """
    classnames = [str(name).strip() for name in classnames]
    if not classnames or not all(classnames) or \
            len({n.lower() for n in classnames}) != len(classnames):
        raise ValueError(f'Run-time classes {classnames}: give one or more '
                         f'distinct, non-empty class names.')
    record = dict(classes=classnames, checkpoint_classes=list(head.classnames))
    if isinstance(head, ZeroShotCLIPHead):
        device = head.hard_prompts.token_ids.device
        head.hard_prompts = HardPromptBank(classnames, head.text_encoder,
                                           ZERO_SHOT_VARIANT).to(device)
        record['context'] = f'none (zero-shot, hard prompt variant ' \
            f'{ZERO_SHOT_VARIANT})'
    elif isinstance(head, MPAHead):
        learner = head.prompt_learner
        if not isinstance(learner, CoOpPromptLearner):
            raise ValueError(
                f'Run-time classes need a CoOpPromptLearner; this head has a '
                f'{type(learner).__name__}.')
        if learner.class_specific_context:
            raise ValueError(
                f'This checkpoint learned a class-specific context (one '
                f'context per class of {list(head.classnames)}, '
                f'class_specific_context=True): there is no context for a '
                f'class it was not trained on, so it cannot classify into '
                f'{classnames}. Use a checkpoint trained with a shared '
                f'context (class_specific_context=False, the paper\'s '
                f'default), or the zero-shot head (configs/zeroshot/).')
        new = CoOpPromptLearner(
            classnames,
            head.text_encoder,
            num_context=learner.num_context,
            class_specific_context=False,
            init_std=learner.init_std).to(learner.context.device)
        new.context.data.copy_(learner.context.data)
        head.prompt_learner = new.eval()
        record['context'] = f'shared, {learner.num_context} vectors, trained'
    else:
        raise ValueError(f'Run-time classes need an MPAHead or a '
                         f'ZeroShotCLIPHead, not a {type(head).__name__}.')
    head.classnames = classnames
    head.num_classes = len(classnames)
    head.loss = functools.partial(_refuse_loss, record)
    head.runtime_classes = record
    return record

"""Run-time class names: a shared context names any class; a
class-specific one is refused; the zero-shot head takes any list."""
import pytest
import torch

from mpafer_plugin.models.heads import (MPAHead, ZeroShotCLIPHead,
                                        set_runtime_classes)
from ..conftest import CLASSNAMES

NEW = ['happiness', 'boredom', 'confusion']


def head(tiny_clip, **learner):
    return MPAHead(
        CLASSNAMES,
        clip_model=tiny_clip,
        prompt_learner=dict(
            type='CoOpPromptLearner', num_context=4, **learner),
        token_align_loss=None,
        prompt_align_loss=None,
        prototype_align_loss=None).eval()


def test_shared_context_names_new_classes(tiny_clip):
    mpa = head(tiny_clip)
    before = mpa.text_features().clone()
    record = set_runtime_classes(mpa, NEW)
    assert mpa.classnames == NEW and mpa.num_classes == 3
    assert record['checkpoint_classes'] == CLASSNAMES
    assert mpa.runtime_classes is record
    after = mpa.text_features()
    assert after.shape == (3, before.shape[1])
    # 'happiness' keeps its text feature: the same context, the same name
    torch.testing.assert_close(after[0], before[CLASSNAMES.index('happiness')])
    with pytest.raises(RuntimeError, match='evaluation and inference only'):
        mpa.loss(None, [])


def test_class_specific_context_is_refused(tiny_clip):
    mpa = head(tiny_clip, class_specific_context=True)
    with pytest.raises(ValueError, match='class-specific context'):
        set_runtime_classes(mpa, NEW)
    assert mpa.classnames == CLASSNAMES


@pytest.mark.parametrize('names', [[], ['sad', 'Sad'], ['']])
def test_bad_lists_are_refused(tiny_clip, names):
    with pytest.raises(ValueError, match='distinct, non-empty'):
        set_runtime_classes(head(tiny_clip), names)


def test_zero_shot_head_takes_any_list(tiny_clip):
    zero = ZeroShotCLIPHead(CLASSNAMES, clip_model=tiny_clip).eval()
    set_runtime_classes(zero, NEW)
    assert zero.text_features().shape[0] == 3
    assert zero.hard_prompts.texts[1].endswith('of boredom.')

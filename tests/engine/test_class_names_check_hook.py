from types import SimpleNamespace
from unittest.mock import MagicMock

import pytest
from mmengine.runner import Runner
from mmpretrain.registry import HOOKS

from ..conftest import CLASSNAMES, quickstart_cfg

RAFDB_CLASSES = ('Surprise', 'Fear', 'Disgust', 'Happiness', 'Sadness',
                 'Anger', 'Neutral')


def fake_runner(classnames, classes=RAFDB_CLASSES):
    loader = SimpleNamespace(
        dataset=SimpleNamespace(metainfo=dict(classes=classes)))
    model = SimpleNamespace(head=SimpleNamespace(classnames=classnames))
    return SimpleNamespace(
        model=model,
        train_dataloader=loader,
        val_dataloader=loader,
        test_dataloader=loader,
        logger=MagicMock())


def test_same_names_any_case_pass_silently():
    runner = fake_runner(CLASSNAMES)
    hook = HOOKS.build(dict(type='ClassNamesCheckHook'))
    hook.before_train(runner)
    hook.before_test(runner)
    assert not runner.logger.warning.called


def test_reordered_names_stop_the_run_with_both_lists():
    names = list(CLASSNAMES)
    names[0], names[1] = names[1], names[0]
    runner = fake_runner(names)
    with pytest.raises(
            ValueError,
            match=r"The val dataset .*'Surprise', "
            r"'Fear'.*'fear', 'surprise'.*another order"):
        HOOKS.build(dict(type='ClassNamesCheckHook')).before_val(runner)


def test_renamed_names_are_warned_about():
    names = ['happy' if n == 'happiness' else n for n in CLASSNAMES]
    runner = fake_runner(names)
    HOOKS.build(dict(type='ClassNamesCheckHook')).before_val(runner)
    message = runner.logger.warning.call_args[0][0]
    assert 'The val dataset' in message and 'matched by position' in message


def test_head_without_classnames_is_not_checked():
    runner = fake_runner(None)
    HOOKS.build(dict(type='ClassNamesCheckHook')).before_train(runner)


@pytest.mark.parametrize(
    'run, classnames',
    [
        ('train', CLASSNAMES[:6]),  # labels 0..6 for a 6-class head
        ('test', CLASSNAMES + ['contempt']),  # an 8-class head on 7 classes
    ])
def test_count_mismatch_stops_the_run(tmp_path, synthetic_rafdb, run,
                                      classnames):
    cfg = quickstart_cfg(
        tmp_path / 'work',
        synthetic_rafdb,
        classnames=classnames,
        prototype_align_loss=None)
    runner = Runner.from_cfg(cfg)
    with pytest.raises(
            ValueError,
            match=rf'The {run} dataset \(RAFDB\) has 7 classes .*'
            rf'model.head.classnames has {len(classnames)}'):
        getattr(runner, run)()

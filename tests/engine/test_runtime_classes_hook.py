"""A base-to-new run: train on the base classes, test on all seven through
RuntimeClassesHook, report base, new and their harmonic mean."""
import pytest
import torch
from mmengine.runner import Runner

from ..protocol_configs import tiny_config

CONFIG = 'protocols/base_to_new/rafdb_base_to_new.py'


def test_base_to_new_run(tmp_path, synthetic_rafdb):
    work = tmp_path / 'work'
    runner = Runner.from_cfg(tiny_config(CONFIG, work, synthetic_rafdb))
    assert runner.train_dataloader.dataset.metainfo['classes'] == ('Surprise',
                                                                   'Fear',
                                                                   'Disgust',
                                                                   'Happiness')
    runner.train()
    checkpoint = torch.load(work / 'epoch_1.pth', weights_only=False)
    assert checkpoint['meta']['mpafer']['classes'] == [
        'surprise', 'fear', 'disgust', 'happiness'
    ]

    cfg = tiny_config(CONFIG, tmp_path / 'test', synthetic_rafdb)
    cfg.load_from = str(work / 'epoch_1.pth')
    tester = Runner.from_cfg(cfg)
    metrics = tester.test()
    head = tester.model.head
    assert head.classnames == [
        'surprise', 'fear', 'disgust', 'happiness', 'sadness', 'anger',
        'neutral'
    ]
    record = tester.message_hub.get_info('runtime_classes')
    assert record['checkpoint_classes'] == [
        'surprise', 'fear', 'disgust', 'happiness'
    ]
    b, n = metrics['base_to_new/base'], metrics['base_to_new/new']
    assert 0 <= b <= 100 and 0 <= n <= 100
    assert metrics['base_to_new/harmonic_mean'] == pytest.approx(2 * b * n /
                                                                 (b + n) if b +
                                                                 n else 0.0)


def test_class_specific_checkpoint_is_refused(tmp_path, synthetic_rafdb):
    cfg = tiny_config(CONFIG, tmp_path / 'work', synthetic_rafdb)
    cfg.model.head.prompt_learner = dict(
        type='CoOpPromptLearner', class_specific_context=True)
    runner = Runner.from_cfg(cfg)
    runner.train()
    cfg = tiny_config(CONFIG, tmp_path / 'test', synthetic_rafdb)
    cfg.model.head.prompt_learner = dict(
        type='CoOpPromptLearner', class_specific_context=True)
    cfg.load_from = str(tmp_path / 'work' / 'epoch_1.pth')
    with pytest.raises(ValueError, match='class-specific context'):
        Runner.from_cfg(cfg).test()

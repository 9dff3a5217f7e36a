"""``--resume`` in a work dir reused by a second run continues that run
(the checkpoint ``last_checkpoint`` names), not a higher-numbered
checkpoint of the first; a fallback says which file and why; a checkpoint
whose recorded model / optimizer / schedule differ from the config is
refused naming every differing key."""
import os

import pytest
from mmengine.runner import Runner

from mpafer_plugin.compat import runner_checkpoint_request
from mpafer_plugin.models.utils import CheckpointMismatchError
from ..conftest import quickstart_cfg
from ..datasets.fixtures import captured_log


def config(work, data_root, lr, max_epochs, resume=False):
    cfg = quickstart_cfg(work, data_root)
    cfg.optim_wrapper.optimizer.lr = lr
    cfg.train_cfg.max_epochs = max_epochs
    cfg.default_hooks.checkpoint.max_keep_ckpts = 5
    cfg.resume, cfg.load_from = resume, None
    return cfg


@pytest.fixture(scope='module')
def reused(tmp_path_factory, synthetic_rafdb):
    """Run A (lr 1e-2) saves epochs 1-2; run B (lr 1e-4), in the same work
    dir, saves its epoch 1 and stops."""
    work = tmp_path_factory.mktemp('reused')
    Runner.from_cfg(config(work, synthetic_rafdb, 1e-2, 2)).train()
    Runner.from_cfg(config(work, synthetic_rafdb, 1e-4, 1)).train()
    return work, synthetic_rafdb


def test_resume_continues_the_runs_own_last_checkpoint(reused):
    work, data_root = reused
    assert (work /
            'last_checkpoint').read_text().strip().endswith('epoch_1.pth')
    assert (work / 'epoch_2.pth').is_file()  # run A's, higher-numbered
    runner = Runner.from_cfg(config(work, data_root, 1e-4, 1, resume=True))
    with captured_log() as log:
        runner.train()  # resumes epoch 1 of 1: nothing more to train
    assert runner_checkpoint_request(runner) == (str(work / 'epoch_1.pth'),
                                                 True)
    assert runner.epoch == 1
    assert runner.optim_wrapper.optimizer.param_groups[0]['lr'] <= 1e-4
    assert f'resuming from {work / "epoch_1.pth"}, the last checkpoint ' \
        f'of the run' in log.getvalue()


def test_fallback_says_which_file_and_why_and_names_differing_keys(
        reused, tmp_path):
    work, data_root = reused
    os.rename(work / 'last_checkpoint', tmp_path / 'kept')
    try:
        runner = Runner.from_cfg(config(work, data_root, 1e-4, 3, resume=True))
        with captured_log() as log, pytest.raises(
                CheckpointMismatchError) as info:
            runner.train()
    finally:
        os.rename(tmp_path / 'kept', work / 'last_checkpoint')
    assert (f'--resume: {work / "last_checkpoint"} does not exist; '
            f'resuming from the newest valid checkpoint of the work dir '
            f'instead: {work / "epoch_2.pth"}.') in log.getvalue()
    message = str(info.value)
    assert message.startswith(f'{work / "epoch_2.pth"} was written by a run '
                              f'whose config differs from this one')
    assert 'optim_wrapper.optimizer.lr: checkpoint 0.01, config 0.0001' in \
        message
    assert 'load_from=' in message


def test_another_schedule_is_named_too(reused):
    work, data_root = reused
    cfg = config(work, data_root, 1e-4, 2, resume=True)
    cfg.param_scheduler[-1].eta_min = 0.5
    cfg.model.head.local_weight = 0.25
    with pytest.raises(CheckpointMismatchError) as info:
        Runner.from_cfg(cfg).train()
    message = str(info.value)
    assert 'param_scheduler[1].eta_min: checkpoint' in message, message
    assert 'model.head.local_weight: checkpoint' in message

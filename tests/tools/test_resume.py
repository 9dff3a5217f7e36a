"""Kill ``tools/train.py`` with SIGKILL in the middle of an epoch, resume
it, and end with exactly the prompts of an uninterrupted run."""
import os
import signal
import subprocess
import sys

import torch

from ..conftest import REPO_ROOT, quickstart_cfg

EPOCHS = 2
ITERS_PER_EPOCH = 11  # 84 training images, batch 8
KILL_AT = ITERS_PER_EPOCH + 4  # the 5th iteration of epoch 2 (the last)
PROMPTS = ('backbone.prompts', 'head.prompt_learner.context')


def write_config(tmp_path, data_root, name, kill_at=None) -> str:
    cfg = quickstart_cfg(tmp_path / name, data_root)
    cfg.train_cfg.max_epochs = EPOCHS
    cfg.default_hooks.logger.interval = 1
    if kill_at is not None:
        cfg.custom_imports.imports = list(
            cfg.custom_imports.imports) + ['tests.tools.kill_at_iter_hook']
        cfg.custom_hooks = list(cfg.custom_hooks) + [
            dict(type='KillAtIterHook', iteration=kill_at)
        ]
    path = tmp_path / f'{name}.py'
    cfg.dump(str(path))
    return str(path)


def train(config, *args, env):
    return subprocess.run([
        sys.executable,
        os.path.join(REPO_ROOT, 'tools', 'train.py'), config, *args
    ],
                          capture_output=True,
                          text=True,
                          env=env,
                          cwd=REPO_ROOT,
                          timeout=600)


def prompts(checkpoint):
    state = torch.load(checkpoint, map_location='cpu')['state_dict']
    return {name: state[name] for name in PROMPTS}


def test_killed_mid_epoch_then_resumed_equals_uninterrupted(
        tmp_path, synthetic_rafdb):
    env = dict(
        os.environ, MPAFER_CACHE=str(tmp_path / 'cache'), PYTHONPATH=REPO_ROOT)
    plain = train(write_config(tmp_path, synthetic_rafdb, 'plain'), env=env)
    assert plain.returncode == 0, plain.stderr[-3000:]
    assert f'Epoch(train) [1][{ITERS_PER_EPOCH}/{ITERS_PER_EPOCH}]' in (
        plain.stdout + plain.stderr)  # the epoch length assumed above

    config = write_config(tmp_path, synthetic_rafdb, 'killed', KILL_AT)
    killed = train(config, env=env)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    work = tmp_path / 'killed'
    assert (work / 'epoch_1.pth').is_file()
    assert not (work / 'epoch_2.pth').exists()  # died inside epoch 2

    resumed = train(
        config,
        '--resume',
        '--cfg-options',
        'custom_hooks.1.iteration=-1',
        env=env)
    log = resumed.stdout + resumed.stderr
    assert resumed.returncode == 0, log[-3000:]
    assert 'resumed epoch: 1' in log

    expected = prompts(tmp_path / 'plain' / f'epoch_{EPOCHS}.pth')
    got = prompts(work / f'epoch_{EPOCHS}.pth')
    first = prompts(work / 'epoch_1.pth')
    for name in PROMPTS:
        assert not torch.equal(first[name], got[name]), name  # it trained
        assert torch.equal(expected[name], got[name]), name

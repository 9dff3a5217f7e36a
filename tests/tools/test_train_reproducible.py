"""Same config, seed, data and machine: the same result. Two trainings by
``tools/train.py`` in fresh interpreters end with bit-identical trainable
tensors; a run whose frozen blocks take the other attention layout (what a
per-process timing could choose) does not, so the test can see a flip."""
import os
import subprocess
import sys

import torch

from ..conftest import REPO_ROOT, quickstart_cfg

LAYOUT_KEYS = ('model.backbone.attention_layout',
               'model.head.attention_layout')


def write_config(tmp_path, data_root) -> str:
    cfg = quickstart_cfg(tmp_path / 'unused', data_root)
    cfg.train_cfg.max_epochs = 1
    # a loader worker, seeded per epoch, as the quick start runs it
    cfg.train_dataloader.num_workers = 1
    path = tmp_path / 'config.py'
    cfg.dump(str(path))
    return str(path)


def train(config, work_dir, *cfg_options):
    """Train in a fresh interpreter with a cache of its own (each run
    computes its prototypes, as a fresh clone does); the last checkpoint,
    loaded."""
    env = dict(
        os.environ,
        MPAFER_CACHE=str(work_dir / 'cache'),
        PYTHONPATH=REPO_ROOT,
        OMP_NUM_THREADS='1')
    args = [
        sys.executable,
        os.path.join(REPO_ROOT, 'tools', 'train.py'), config, '--work-dir',
        str(work_dir)
    ]
    if cfg_options:
        args += ['--cfg-options', *cfg_options]
    done = subprocess.run(
        args,
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO_ROOT,
        timeout=600)
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    return torch.load(work_dir / 'epoch_1.pth', map_location='cpu')


def trainable(checkpoint):
    names = checkpoint['meta']['mpafer']['trainable']
    return {name: checkpoint['state_dict'][name] for name in names}


def test_two_runs_end_with_bit_identical_trainable_tensors(
        tmp_path, synthetic_rafdb):
    config = write_config(tmp_path, synthetic_rafdb)
    first = train(config, tmp_path / 'a')
    second = train(config, tmp_path / 'b')
    a, b = trainable(first), trainable(second)
    assert set(a) == {'backbone.prompts', 'head.prompt_learner.context'}
    for name in a:
        assert torch.equal(a[name], b[name]), name
    # the layout the blocks ran in is recorded, by the rule, in each run
    for checkpoint in (first, second):
        used = checkpoint['meta']['mpafer']['attention_layout']['used']
        assert {(u['layout'], u['by'])
                for u in used} == {('sequence_first', 'rule')}

    # the same run with the other (equally exact) layout: other rounding
    # (here in the prototypes' forward pass, which batch-first runs through
    # PyTorch's fused kernel), other bits; a layout chosen by timing in each
    # process did this
    flipped = trainable(
        train(config, tmp_path / 'c',
              *(f'{key}=batch_first' for key in LAYOUT_KEYS)))
    assert any(not torch.equal(a[name], flipped[name]) for name in a)
    for name in a:  # still the same function, to float rounding
        torch.testing.assert_close(a[name], flipped[name], rtol=0, atol=1e-3)

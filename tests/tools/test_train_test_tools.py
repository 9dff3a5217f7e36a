"""The README's workflow through the real command-line tools: train two
epochs, resume for a third, evaluate the checkpoint with tools/test.py."""
import importlib.util
import os
import pickle
import re
import subprocess
import sys

import pytest
from mmengine.config import Config

from ..conftest import REPO_ROOT

CONFIG = os.path.join(REPO_ROOT, 'configs', 'quickstart_synthetic_rafdb.py')


def run_tool(script, *args, env):
    result = subprocess.run(
        [sys.executable,
         os.path.join(REPO_ROOT, 'tools', script), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO_ROOT,
        timeout=600)
    assert result.returncode == 0, (
        result.stdout[-3000:] + result.stderr[-3000:])
    return result.stdout + result.stderr


def data_options(data_root):
    options = ['train_cfg.max_epochs=2', 'model.clip.pretrained=None']
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        options += [
            f'{loader}.dataset.data_root={data_root}',
            f'{loader}.num_workers=0', f'{loader}.persistent_workers=False',
            f'{loader}.batch_size=16'
        ]
    return options


@pytest.fixture
def env(tmp_path):
    return dict(
        os.environ, MPAFER_CACHE=str(tmp_path / 'cache'), PYTHONPATH=REPO_ROOT)


def val_accuracy(log, epoch):
    found = re.findall(
        rf'Epoch\(val\) \[{epoch}\]\[\d+/\d+\]\s+accuracy/top1: ([\d.]+)', log)
    assert found, log[-2000:]
    return float(found[-1])


def test_train_resume_and_test(tmp_path, synthetic_rafdb, env):
    work = tmp_path / 'work'
    options = data_options(synthetic_rafdb)
    log = run_tool(
        'train.py',
        CONFIG,
        '--work-dir',
        str(work),
        '--cfg-options',
        *options,
        env=env)
    assert (work / 'epoch_2.pth').is_file()
    assert 'PrototypeHook: cached prototypes' in log
    for term in ('loss_cls', 'loss_token_align', 'loss_prompt_align',
                 'loss_proto_align'):
        assert term in log

    log = run_tool(
        'train.py',
        CONFIG,
        '--work-dir',
        str(work),
        '--resume',
        '--cfg-options',
        *options,
        'train_cfg.max_epochs=3',
        env=env)
    assert 'resumed epoch: 2' in log
    assert ('prototypes loaded with the checkpoint are those of this '
            'training data; kept') in log
    assert 'Epoch(train) [1]' not in log and 'Epoch(train) [3]' in log
    third_epoch = val_accuracy(log, 3)

    out = tmp_path / 'predictions.pkl'
    log = run_tool(
        'test.py',
        CONFIG,
        str(work / 'epoch_3.pth'),
        '--work-dir',
        str(tmp_path / 'test'),
        '--out',
        str(out),
        '--cfg-options',
        *options[1:],
        env=env)
    accuracy = float(re.findall(r'accuracy/top1: ([\d.]+)', log)[-1])
    assert accuracy == pytest.approx(third_epoch)  # same weights, same data
    assert 'single-label/recall' in log  # mean class accuracy
    assert re.search(r'per_class_acc/Surprise: [\d.]+', log)
    assert 'Confusion matrix (rows: true class' in log
    with open(out, 'rb') as f:
        assert len(pickle.load(f)) == 28  # 7 classes x 4 test images


def test_amp_flag_selects_mixed_precision(monkeypatch):
    spec = importlib.util.spec_from_file_location(
        'train_tool', os.path.join(REPO_ROOT, 'tools', 'train.py'))
    train = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(train)
    monkeypatch.setenv('LOCAL_RANK', '0')
    monkeypatch.setattr(sys, 'argv', [
        'train.py', CONFIG, '--amp', '--cfg-options',
        'optim_wrapper.dtype=bfloat16'
    ])
    cfg = train.merge_args(Config.fromfile(CONFIG), train.parse_args())
    assert cfg.optim_wrapper.type == 'MixedPrecisionOptimWrapper'
    assert cfg.optim_wrapper.dtype == 'bfloat16'
    assert cfg.optim_wrapper.optimizer.type == 'AdamW'


def test_test_tool_wants_a_checkpoint_for_a_trainable_model(
        tmp_path, synthetic_rafdb):
    from mmpretrain.registry import MODELS

    from tools.test import check_needs_no_checkpoint
    from ..conftest import quickstart_cfg
    model = MODELS.build(quickstart_cfg(tmp_path, synthetic_rafdb).model)
    with pytest.raises(
            SystemExit,
            match='CONFIG.py: the model has '
            'trainable parameters.*give a CHECKPOINT'):
        check_needs_no_checkpoint(model, 'CONFIG.py')

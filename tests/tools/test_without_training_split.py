"""Evaluating, inferring and exporting never build the training data: with
only the test split on disk (a user evaluating a released checkpoint) every
tool of those paths runs to the end."""
import os
import sys

import pytest
import torch
from mmpretrain.registry import MODELS

from mpafer_plugin.engine.checkpoint_contract import stamp_checkpoint
from ..conftest import quickstart_cfg


@pytest.fixture
def test_split_only(tmp_path, synthetic_rafdb):
    """A config whose training data_root does not exist, and a full
    checkpoint of its model."""
    cfg = quickstart_cfg(tmp_path / 'work', synthetic_rafdb)
    cfg.train_dataloader.dataset.data_root = str(tmp_path / 'no_train_split')
    cfg.val_dataloader.dataset.data_root = str(tmp_path / 'no_val_split')
    config = str(tmp_path / 'test_only.py')
    cfg.dump(config)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    checkpoint = str(tmp_path / 'full.pth')
    torch.save(
        stamp_checkpoint(model, dict(meta={}, state_dict=model.state_dict())),
        checkpoint)
    return config, checkpoint


def test_test_tool_needs_no_training_split(test_split_only, tmp_path,
                                           monkeypatch, capsys):
    from tools import test as test_tool
    config, checkpoint = test_split_only
    monkeypatch.setattr(sys, 'argv', [
        'test.py', config, checkpoint, '--work-dir',
        str(tmp_path / 'test_work')
    ])
    test_tool.main()  # before: FileNotFoundError (no RAF-DB found) after
    # the accuracy, from ConfusionMatrixImageHook reading runner.epoch
    images = [
        name for _, _, names in os.walk(tmp_path / 'test_work')
        for name in names if name.startswith('test_confusion_matrix')
    ]
    assert images == ['test_confusion_matrix_0.png']


def test_export_and_inference_need_no_training_split(test_split_only,
                                                     tmp_path):
    from mpafer_plugin.apis import FERInferencer
    from tools.model_converters import export_deploy
    config, checkpoint = test_split_only
    inferencer = FERInferencer(config, checkpoint, detector='none')
    image = (torch.rand(64, 64, 3) * 255).byte().numpy()
    assert len(inferencer([image])[0]['faces']) == 1
    assert export_deploy.main([
        config, checkpoint, '--out',
        str(tmp_path / 'deploy'), '--formats', 'torchscript'
    ]) == 0

"""Prompts-only export: kilobytes, weights_only-loadable, and a model
rebuilt from it predicts exactly like the full model."""
import os

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import load_checkpoint
from mmpretrain.registry import MODELS

from mpafer_plugin.apis import config_from_checkpoint, is_prompts_export
from mpafer_plugin.models import CheckpointMismatchError, load_clip
from ..conftest import CLASSNAMES, TINY_CLIP_64, quickstart_cfg


@pytest.fixture
def trained(tmp_path, synthetic_rafdb):
    """A model on a local CLIP file, prompts moved off their init, saved as
    a full checkpoint next to its config."""
    clip_file = tmp_path / 'tiny_clip.pt'
    torch.manual_seed(0)
    torch.save(load_clip(**TINY_CLIP_64).state_dict(), clip_file)
    cfg = quickstart_cfg(tmp_path / 'work', synthetic_rafdb)
    cfg.model.clip.pretrained = str(clip_file)
    cfg.model.head.classnames = CLASSNAMES
    model = MODELS.build(cfg.model)
    torch.manual_seed(1)
    with torch.no_grad():
        for param in model.parameters():
            if param.requires_grad:
                param.normal_(std=0.5)
    full = tmp_path / 'full.pth'
    torch.save(dict(meta={}, state_dict=model.state_dict()), full)
    config = tmp_path / 'config.py'
    cfg.dump(str(config))
    return model.eval(), str(config), str(full)


def export(config, checkpoint, out):
    from tools.export_prompts import main
    main([config, checkpoint, '--out', out])


def test_export_is_small_and_rebuilds_the_same_model(trained, tmp_path):
    model, config, full = trained
    out = str(tmp_path / 'prompts.pth')
    export(config, full, out)
    assert os.path.getsize(out) < os.path.getsize(full) / 20
    checkpoint = torch.load(out, map_location='cpu', weights_only=True)
    assert is_prompts_export(checkpoint)
    assert checkpoint['meta']['classes'] == CLASSNAMES
    assert sorted(checkpoint['state_dict']) == sorted(
        n for n, p in model.named_parameters() if p.requires_grad)

    cfg = config_from_checkpoint(out)
    rebuilt = MODELS.build(cfg.model).eval()
    load_checkpoint(rebuilt, out, map_location='cpu', strict=True)
    images = torch.rand(2, 3, 64, 64)
    with torch.no_grad():
        expected = model(images, mode='tensor')
        got = rebuilt(images, mode='tensor')
    torch.testing.assert_close(got, expected)


def test_checkpoint_missing_some_frozen_weights_is_still_reported(trained):
    model, _, full = trained
    state = torch.load(full, weights_only=True)['state_dict']
    dropped = next(k for k in state if k.startswith('backbone.visual.'))
    del state[dropped]
    fresh = MODELS.build(Config.fromfile(trained[1]).model)
    with pytest.raises(CheckpointMismatchError,
                       match=f'{dropped}: missing from the checkpoint'):
        fresh.load_state_dict(state, strict=False)  # strict or not

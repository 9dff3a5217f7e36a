"""Prompts-only export: kilobytes, weights_only-loadable, and a model
rebuilt from it predicts exactly like the full model."""
import glob
import json
import os

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner, load_checkpoint
from mmpretrain.registry import MODELS

from mpafer_plugin.apis import (config_from_checkpoint, init_model,
                                is_prompts_export)
from mpafer_plugin.apis.prompts_export import UnsafeExportError
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
    from tools.model_converters.export_prompts import main
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


def test_export_config_is_plain_data_read_without_executing(trained,
                                                             tmp_path):
    _, config, full = trained
    out = str(tmp_path / 'prompts.pth')
    export(config, full, out)
    meta = torch.load(out, weights_only=True)['meta']
    assert 'config' not in meta  # MMEngine's resume executes meta['config']
    plain = json.loads(meta['config_json'])
    assert plain['model']['clip']['model_name'] == 'mpafer-tiny-vit-64'
    cfg = config_from_checkpoint(out)
    assert cfg.model.to_dict() == Config.fromfile(config).model.to_dict()


def test_export_refuses_to_overwrite_its_input(trained, tmp_path, capsys):
    _, config, full = trained
    before = open(full, 'rb').read()
    with pytest.raises(SystemExit):
        export(config, full, full)
    assert 'is the input checkpoint' in capsys.readouterr().err
    assert open(full, 'rb').read() == before


@pytest.fixture
def old_export(trained, tmp_path):
    """An export of the old format whose Python-text config, when
    executed, writes a marker file: ``(path, marker)``."""
    _, config, full = trained
    path = str(tmp_path / 'old_prompts.pth')
    export(config, full, path)
    checkpoint = torch.load(path, weights_only=True)
    marker = tmp_path / 'code_ran'
    del checkpoint['meta']['config_json'], checkpoint['meta']['mpafer']
    checkpoint['meta']['config'] = Config.fromfile(config).pretty_text + (
        f"\n_ = __import__('pathlib').Path({str(marker)!r})"
        f".write_text('ran')\n")
    torch.save(checkpoint, path)
    return path, marker


def test_code_in_an_old_export_never_runs_through_any_entry_point(
        trained, old_export, synthetic_rafdb, tmp_path):
    _, config, _ = trained
    path, marker = old_export
    clip = str(tmp_path / 'tiny_clip.pt')
    image = sorted(glob.glob(f'{synthetic_rafdb}/Image/aligned/test_*'))[0]
    with pytest.raises(UnsafeExportError, match='--trust-export-code'):
        init_model(path)
    from tools.infer import main as infer
    with pytest.raises(UnsafeExportError, match='EXECUTES'):
        infer([image, '--prompts', path, '--no-detect', '--out',
               str(tmp_path / 'infer')])
    from tools.visualization.visualize_similarity import main as visualize
    visualize([config, path, image, '--no-detect', '--out',
               str(tmp_path / 'map.png')])
    export(config, path, str(tmp_path / 'new.pth'))  # the safe re-export
    assert 'config_json' in torch.load(tmp_path / 'new.pth')['meta']
    cfg = quickstart_cfg(tmp_path / 'work', synthetic_rafdb)
    cfg.model.clip.pretrained = clip
    cfg.model.head.classnames = CLASSNAMES
    Runner.from_cfg(dict(cfg, load_from=path)).test()  # tools/test.py
    resumed = dict(cfg, load_from=path, resume=True)
    with pytest.raises(CheckpointMismatchError, match='cannot be resumed'):
        Runner.from_cfg(resumed).train()
    assert not marker.exists()
    # the opt-in does run it: the checks above could have seen it
    init_model(path, trust_export_code=True)
    assert marker.read_text() == 'ran'

"""Prompts-only export: kilobytes, weights_only-loadable, and a model
rebuilt from it predicts exactly like the full model."""
import glob
import json
import os
import shutil

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner, load_checkpoint
from mmpretrain.registry import MODELS

from mpafer_plugin.apis import init_model
from mpafer_plugin.export import config_from_checkpoint, is_prompts_export
from mpafer_plugin.export.prompts_export import UnsafeExportError
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
    with pytest.raises(
            CheckpointMismatchError,
            match=f'{dropped}: missing from the checkpoint'):
        fresh.load_state_dict(state, strict=False)  # strict or not


def test_export_config_is_plain_data_read_without_executing(trained, tmp_path):
    _, config, full = trained
    out = str(tmp_path / 'prompts.pth')
    export(config, full, out)
    meta = torch.load(out, weights_only=True)['meta']
    assert 'config' not in meta  # MMEngine's resume executes meta['config']
    plain = json.loads(meta['config_json'])
    assert plain['model']['clip']['model_name'] == 'mpafer-tiny-vit-64'
    cfg = config_from_checkpoint(out)
    assert cfg.model.to_dict() == Config.fromfile(config).model.to_dict()


def test_export_refuses_to_overwrite_its_input(trained, tmp_path):
    _, config, full = trained
    before = open(full, 'rb').read()
    with pytest.raises(SystemExit) as info:
        export(config, full, full)
    assert 'is CHECKPOINT' in str(info.value)
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
    with pytest.raises(SystemExit, match='error: .*EXECUTES'):
        infer([
            image, '--prompts', path, '--no-detect', '--out',
            str(tmp_path / 'infer')
        ])
    from tools.visualization.visualize_similarity import main as visualize
    visualize([
        config, path, image, '--no-detect', '--out',
        str(tmp_path / 'map.png')
    ])
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


@pytest.fixture
def moved_export(trained, tmp_path, monkeypatch):
    """An export made in folder ``made/`` from a config naming its CLIP
    file relatively (``tiny_clip.pt``), then moved with that file to
    ``moved/``; ``made/`` is gone and the working directory is ``elsewhere/``.
    Returns ``(model, export path, CLIP path)``."""
    model, config, full = trained
    made, moved = tmp_path / 'made', tmp_path / 'moved'
    made.mkdir(), moved.mkdir(), (tmp_path / 'elsewhere').mkdir()
    shutil.copy(tmp_path / 'tiny_clip.pt', made / 'tiny_clip.pt')
    cfg = Config.fromfile(config)
    cfg.model.clip.pretrained = 'tiny_clip.pt'
    cfg.dump(str(made / 'config.py'))
    monkeypatch.chdir(made)
    export('config.py', full, 'prompts.pth')
    meta = torch.load('prompts.pth', weights_only=True)['meta']
    assert meta['clip_file']['given'] == 'tiny_clip.pt'
    assert meta['clip_file']['absolute'] == str(made / 'tiny_clip.pt')
    for name in ('prompts.pth', 'tiny_clip.pt'):
        shutil.move(str(made / name), str(moved / name))
    shutil.rmtree(made)
    monkeypatch.chdir(tmp_path / 'elsewhere')
    return model, str(moved / 'prompts.pth'), str(moved / 'tiny_clip.pt')


def predicts_like(model, rebuilt):
    images = torch.rand(2, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(
            rebuilt(images, mode='tensor'), model(images, mode='tensor'))


def test_moved_export_finds_its_clip_file_beside_it(moved_export):
    model, path, clip = moved_export
    rebuilt = init_model(path)
    assert rebuilt._config.model.clip.pretrained == clip
    predicts_like(model, rebuilt)


def test_clip_override_is_used_and_checked(moved_export, tmp_path,
                                           synthetic_rafdb):
    model, path, clip = moved_export
    elsewhere = str(tmp_path / 'weights.pt')
    shutil.move(clip, elsewhere)
    predicts_like(model, init_model(path, clip_pretrained=elsewhere))
    image = sorted(glob.glob(f'{synthetic_rafdb}/Image/aligned/test_*'))[0]
    from tools.infer import main as infer
    infer([
        image, '--prompts', path, '--clip', elsewhere, '--no-detect',
        '--no-vis', '--out',
        str(tmp_path / 'infer')
    ])
    assert json.load(open(tmp_path / 'infer' / 'results.json'))


def test_missing_clip_file_names_every_path_tried(moved_export, tmp_path):
    _, path, clip = moved_export
    os.remove(clip)
    with pytest.raises(FileNotFoundError) as error:
        init_model(path)
    message = str(error.value)
    for tried in (tmp_path / 'made' / 'tiny_clip.pt', clip,
                  tmp_path / 'elsewhere' / 'tiny_clip.pt'):
        assert str(tried) in message
    assert '--clip PATH' in message and path in message


def test_another_clip_file_is_refused_by_fingerprint(moved_export):
    _, path, clip = moved_export
    torch.manual_seed(5)  # same architecture, other weights
    torch.save(load_clip(**TINY_CLIP_64).state_dict(), clip)
    for override in (None, clip):
        with pytest.raises(
                CheckpointMismatchError,
                match=r'fingerprint sha256:\w+; the CLIP built '
                r'.*has fingerprint sha256:\w+.*--clip PATH'):
            init_model(path, clip_pretrained=override)


def test_export_refuses_to_overwrite_the_configs_clip_file_or_config(
        trained, tmp_path):
    """Before: only the input checkpoint was guarded; --out equal to the
    config's CLIP file, or to the config, overwrote it."""
    from tools.model_converters.export_prompts import main
    _, config, full = trained
    clip = tmp_path / 'clip.pt'
    clip.write_bytes(b'weights')
    link = tmp_path / 'link.pt'
    os.symlink(clip, link)
    with pytest.raises(
            SystemExit,
            match=r'--out .*link.pt is '
            r'model.clip.pretrained of the config'):
        main([
            config, full, '--out',
            str(link), '--cfg-options', f'model.clip.pretrained={clip}'
        ])
    assert clip.read_bytes() == b'weights'
    before = open(config).read()
    with pytest.raises(SystemExit, match='is CONFIG'):
        main([config, full, '--out', config])
    assert open(config).read() == before

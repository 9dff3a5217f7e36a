"""Checkpoints without ``meta['mpafer']`` (a plain ``{'state_dict'}``, a
bare state dict, a ``.safetensors`` file: written by other code): every
loader takes the frozen CLIP from the checkpoint or the config's spec, says
in one line that nothing about the CLIP and classes is recorded, and
refuses where the frozen weights cannot be established (before: a random
CLIP, classifying at chance with exit 0)."""
import pytest
import torch
from mmengine.config import Config
from mmpretrain.registry import MODELS

from mpafer_plugin.apis import init_model
from mpafer_plugin.models import load_clip
from ..conftest import TINY_CLIP_64, quickstart_cfg
from ..datasets.fixtures import captured_log
from .loaders import LOADERS, load

NO_RECORD = ('carries no record of the CLIP and classes it was trained '
             'with')


@pytest.fixture(scope='module')
def trained(tmp_path_factory, synthetic_rafdb):
    """A model on a local CLIP file, prompts moved off their init; its
    config with that file, the same config with a random CLIP, and its
    trainable tensors alone in the three formats."""
    folder = tmp_path_factory.mktemp('no_contract')
    clip_file = folder / 'tiny_clip.pt'
    torch.manual_seed(0)
    torch.save(load_clip(**TINY_CLIP_64).state_dict(), clip_file)
    cfg = quickstart_cfg(folder / 'work', synthetic_rafdb)
    cfg.model.clip.pretrained = str(clip_file)
    model = MODELS.build(cfg.model).eval()
    torch.manual_seed(1)
    trainable = {}
    with torch.no_grad():
        for name, param in model.named_parameters():
            if param.requires_grad:
                param.normal_(std=0.5)
                trainable[name] = param.detach().clone()
    configs = dict(
        clip_file=str(folder / 'with_clip.py'),
        random=str(folder / 'random_clip.py'))
    cfg.dump(configs['clip_file'])
    cfg.model.clip.pretrained = None
    cfg.dump(configs['random'])
    files = dict(
        wrapped=folder / 'wrapped.pth',
        bare=folder / 'bare.pth',
        safetensors=folder / 'prompts.safetensors')
    torch.save(dict(state_dict=trainable), files['wrapped'])
    torch.save(trainable, files['bare'])
    from safetensors.torch import save_file
    save_file(trainable, str(files['safetensors']))
    full = folder / 'full_no_meta.pth'
    torch.save(dict(state_dict=model.state_dict()), full)
    files['full'] = full
    return model, configs, {k: str(v) for k, v in files.items()}


@pytest.mark.parametrize('fmt', ['wrapped', 'bare', 'safetensors'])
def test_clip_comes_from_the_spec_and_the_log_says_so(trained, fmt):
    model, configs, files = trained
    with captured_log() as log:
        loaded = init_model(configs['clip_file'], files[fmt])
    lines = [line for line in log.getvalue().splitlines() if NO_RECORD in line]
    assert len(lines) == 1 and files[fmt] in lines[0], log.getvalue()
    assert 'the CLIP of the config\'s spec' in lines[0]
    images = torch.rand(2, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(
            loaded(images, mode='tensor'), model(images, mode='tensor'))


@pytest.mark.parametrize(
    'loader', [loader for loader in LOADERS if loader != 'infer --prompts'
               ])  # --prompts takes an export, which always has the record
def test_random_clip_without_frozen_weights_is_refused(trained, loader,
                                                       tmp_path):
    _, configs, files = trained
    message = load(loader, configs['random'], files['wrapped'], tmp_path)
    assert message is not None, f'{loader} classified with a random CLIP'
    if loader == 'resume':  # refused first as no training checkpoint
        assert message.startswith(f'error: {files["wrapped"]} cannot be '
                                  f'resumed from'), message
        return
    assert message.startswith(f'error: Checkpoint {files["wrapped"]} holds '
                              f'no frozen CLIP weights and no record of the '
                              f'CLIP it was trained with'), message
    assert 'would classify at chance' in message


def test_full_checkpoint_without_record_keeps_its_own_clip(trained):
    model, configs, files = trained
    with captured_log() as log:
        loaded = init_model(configs['random'], files['full'])
    assert 'using its own frozen CLIP weights' in log.getvalue()
    for name, value in model.state_dict().items():
        assert torch.equal(loaded.state_dict()[name], value), name


def test_export_from_a_random_clip_is_refused(trained, tmp_path):
    _, configs, files = trained
    out = tmp_path / 'prompts.pth'
    message = load('export_prompts', configs['random'], files['full'],
                   tmp_path)
    assert message is not None and "names no pretrained weights" in message
    assert not (tmp_path / 'export_prompts.pth').exists()
    del out


def test_export_from_another_clip_than_the_spec_is_refused(trained, tmp_path):
    """A full checkpoint whose CLIP is not the one the config names: the
    export would take the config's CLIP when loaded."""
    _, configs, files = trained
    other = tmp_path / 'other_clip.pt'
    torch.manual_seed(5)
    torch.save(load_clip(**TINY_CLIP_64).state_dict(), other)
    cfg = Config.fromfile(configs['clip_file'])
    cfg.model.clip.pretrained = str(other)
    config = str(tmp_path / 'other.py')
    cfg.dump(config)
    message = load('export_prompts', config, files['full'], tmp_path)
    assert message is not None and 'differ from those of the config' in \
        message, message
    assert load('export_prompts', configs['clip_file'], files['full'],
                tmp_path) is None

"""Every CLIP weight format users have loads, with the weights of the file.

Each format is written from a random-weight tiny CLIP; a scripted module
with CLIP's state-dict names stands in for OpenAI's TorchScript release.
"""
import json
import os
import warnings

import open_clip
import pytest
import torch
import torch.nn as nn

from mpafer_plugin.models import load_clip
from mpafer_plugin.models.utils.clip_loader import CONFIG_DIR
from mpafer_plugin.models.utils.clip_weights import is_torchscript_archive
from ..conftest import TINY_CLIP
from ..datasets.fixtures import captured_log


class _Node(nn.Module):
    """A bare module holding some of the archive's tensors."""


class _OpenAIArchive(nn.Module):
    """Stands in for OpenAI's scripted CLIP: the same tensor names, plus
    the scalars OpenAI's model keeps beside them."""

    def __init__(self, state_dict):
        super().__init__()
        for name, value in state_dict.items():
            *path, leaf = name.split('.')
            module = self
            for part in path:
                if not hasattr(module, part):
                    module.add_module(part, _Node())
                module = getattr(module, part)
            module.register_parameter(
                leaf, nn.Parameter(value.clone(), requires_grad=False))
        for name, value in (('input_resolution', 224), ('context_length', 77),
                            ('vocab_size', 49408)):
            self.register_buffer(name, torch.tensor(value))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x


@pytest.fixture
def source():
    """A random-weight tiny CLIP's state dict (seed 7)."""
    torch.manual_seed(7)
    return load_clip(**TINY_CLIP).state_dict()


def _save_openai_archive(state_dict, path):
    torch.jit.save(torch.jit.script(_OpenAIArchive(state_dict)), str(path))


def _save_safetensors(state_dict, path):
    from safetensors.torch import save_file
    save_file({k: v.contiguous() for k, v in state_dict.items()}, str(path))


def _write(fmt, state_dict, tmp_path):
    """Write ``state_dict`` as ``fmt``; returns the path to pass."""
    if fmt == 'openai_torchscript':
        path = tmp_path / 'ViT-B-16.pt'
        _save_openai_archive(state_dict, path)
    elif fmt == 'state_dict':
        path = tmp_path / 'clip.pth'
        torch.save(state_dict, path)
    elif fmt == 'wrapped_ddp_state_dict':
        path = tmp_path / 'epoch_32.pt'
        torch.save(
            dict(
                epoch=32,
                state_dict={
                    f'module.{k}': v
                    for k, v in state_dict.items()
                }), path)
    elif fmt == 'open_clip_bin':
        path = tmp_path / 'open_clip_pytorch_model.bin'
        torch.save(state_dict, path)
    elif fmt == 'safetensors':
        path = tmp_path / 'open_clip_model.safetensors'
        _save_safetensors(state_dict, path)
    else:  # a Hugging Face snapshot folder
        path = tmp_path / 'snapshot'
        path.mkdir()
        weights = 'open_clip_pytorch_model.bin'
        if fmt == 'hf_snapshot_safetensors':
            weights = 'open_clip_model.safetensors'
            _save_safetensors(state_dict, path / weights)
        else:
            torch.save(state_dict, path / weights)
        config = dict(
            model_cfg=open_clip.get_model_config(TINY_CLIP['model_name']),
            preprocess_cfg={})
        (path / 'open_clip_config.json').write_text(json.dumps(config))
    return str(path)


@pytest.mark.parametrize('fmt', [
    'openai_torchscript', 'state_dict', 'wrapped_ddp_state_dict',
    'open_clip_bin', 'safetensors', 'hf_snapshot_bin',
    'hf_snapshot_safetensors'
])
def test_every_weight_format_loads_the_files_weights(fmt, source, tmp_path):
    path = _write(fmt, source, tmp_path)
    torch.manual_seed(123)  # a model built without the file would differ
    with captured_log() as log:
        loaded = load_clip(TINY_CLIP['model_name'], path).state_dict()
    assert loaded.keys() == source.keys()
    for key, value in source.items():
        assert torch.equal(loaded[key], value), key
    assert path in log.getvalue() and 'random' not in log.getvalue()


def test_openai_archive_is_recognised(source, tmp_path):
    path = _write('openai_torchscript', source, tmp_path)
    assert is_torchscript_archive(path)
    with pytest.raises(RuntimeError, match='TorchScript'):
        torch.load(path, weights_only=True)  # not a torch.save file
    torch.save(source, tmp_path / 'plain.pt')
    assert not is_torchscript_archive(str(tmp_path / 'plain.pt'))


@pytest.fixture(scope='module')
def tiny_gelu(tmp_path_factory):
    """``mpafer-tiny-vit`` with GELU instead of QuickGELU."""
    folder = tmp_path_factory.mktemp('gelu_config')
    config = dict(
        open_clip.get_model_config(TINY_CLIP['model_name']), quick_gelu=False)
    (folder / 'mpafer-tiny-vit-gelu.json').write_text(json.dumps(config))
    open_clip.add_model_config(str(folder))
    return 'mpafer-tiny-vit-gelu'


def test_openai_archive_needs_a_quickgelu_architecture(source, tmp_path,
                                                       tiny_gelu):
    path = _write('openai_torchscript', source, tmp_path)
    with pytest.raises(ValueError) as info:
        load_clip(tiny_gelu, path)
    message = str(info.value)
    assert path in message and 'mpafer-tiny-vit-gelu-quickgelu' in message


def test_snapshot_config_must_agree_on_quickgelu(source, tmp_path, tiny_gelu):
    path = _write('hf_snapshot_bin', source, tmp_path)  # says quick_gelu
    with pytest.raises(ValueError, match='quick_gelu=True'):
        load_clip(tiny_gelu, path)
    config = os.path.join(path, 'open_clip_config.json')
    with open(config, 'w') as f:
        json.dump(dict(model_cfg=dict(quick_gelu=False)), f)
    with pytest.raises(ValueError, match='quick_gelu=False but'):
        load_clip('mpafer-tiny-vit', path)


def test_file_named_openai_warns_with_a_gelu_architecture(
        source, tmp_path, tiny_gelu):
    path = tmp_path / 'ViT-B-16-openai.pth'  # a plain state dict
    torch.save(source, path)
    with pytest.warns(UserWarning, match='QuickGELU'):
        load_clip(tiny_gelu, str(path))
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        load_clip('mpafer-tiny-vit', str(path))


def test_weights_of_another_architecture_name_both_shapes(tmp_path):
    torch.manual_seed(0)
    path = tmp_path / 'wide.pt'
    torch.save(load_clip('mpafer-tiny-vit-64').state_dict(), path)
    with pytest.raises(ValueError) as info:
        load_clip('mpafer-tiny-vit', str(path))
    message = str(info.value)
    assert str(path) in message and 'visual.positional_embedding' in message
    assert '(65, 64)' in message and '(197, 64)' in message


class _Payload:
    pass


def test_pickle_with_objects_is_refused_naming_the_file(tmp_path):
    path = tmp_path / 'clip.pt'
    torch.save(dict(state_dict=_Payload()), path)
    with pytest.raises(ValueError, match=str(path)):
        load_clip('mpafer-tiny-vit', str(path))


def test_snapshot_folder_without_weights_names_the_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match=str(tmp_path)):
        load_clip('mpafer-tiny-vit', str(tmp_path))


def test_missing_relative_clip_file_names_the_working_directory(
        tmp_path, monkeypatch):
    """The quick-start config's CLIP file is relative: run from another
    folder, the error says where it was looked for and the way out."""
    monkeypatch.chdir(tmp_path)
    relative = 'work_dirs/quickstart/tiny_clip_synthetic.pt'
    with pytest.raises(FileNotFoundError) as error:
        load_clip('mpafer-tiny-vit', relative)
    message = str(error.value)
    assert f'working directory {tmp_path}' in message
    assert str(tmp_path / relative) in message
    assert '--clip PATH' in message and 'absolute' in message
    with pytest.raises(FileNotFoundError) as error:
        load_clip('mpafer-tiny-vit', str(tmp_path / 'absent.pt'))
    assert 'working directory' not in str(error.value)
    assert '--clip PATH' in str(error.value)


SHIPPED = sorted(os.listdir(CONFIG_DIR))


@pytest.mark.parametrize('file', SHIPPED)
def test_shipped_architectures_build_as_their_files_say(file):
    """Each small architecture in ``resources/open_clip_configs`` builds
    (random weights) with the tower its file describes, and QuickGELU."""
    with open(os.path.join(CONFIG_DIR, file)) as f:
        spec = json.load(f)
    clip = load_clip(file[:-len('.json')], None)
    vision, text = spec['vision_cfg'], spec['text_cfg']
    assert clip.visual.conv1.out_channels == vision['width']
    assert len(clip.visual.transformer.resblocks) == vision['layers']
    assert clip.visual.conv1.kernel_size == (vision['patch_size'], ) * 2
    assert clip.visual.proj.shape == (vision['width'], spec['embed_dim'])
    assert clip.transformer.width == text['width']
    assert len(clip.transformer.resblocks) == text['layers']
    assert isinstance(clip.visual.transformer.resblocks[0].mlp.gelu,
                      open_clip.transformer.QuickGELU)

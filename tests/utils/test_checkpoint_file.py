"""The one reader of checkpoints, exports, CLIP weight files and the
prototype cache: what each kind of file gives, and that nothing stored in a
file runs while it is read."""
import json
import os
import pickle
from typing import Tuple

import pytest
import torch
import torch.nn as nn

from mpafer_plugin.utils import (CheckpointFileError, UnsafeCheckpointError,
                                 read_checkpoint, read_torch_file)
from mpafer_plugin.utils.torchscript_archive import read_torchscript_state_dict


class _PrintsWhenLoaded(nn.Module):
    """Its TorchScript ``__setstate__`` prints: ``torch.jit.load`` runs it."""

    def __init__(self):
        super().__init__()
        self.hidden = torch.arange(4.)

    def forward(self, x):
        return x

    @torch.jit.export
    def __getstate__(self) -> Tuple[torch.Tensor, bool]:
        return (self.hidden, self.training)

    @torch.jit.export
    def __setstate__(self, state: Tuple[torch.Tensor, bool]) -> None:
        print('ARCHIVE CODE RAN')
        self.hidden = state[0]
        self.training = state[1]


class _CraftedArchive(nn.Module):

    def __init__(self):
        super().__init__()
        self.inner = _PrintsWhenLoaded()
        self.proj = nn.Linear(3, 2)
        self.register_buffer('scale', torch.tensor([2.5]))
        self.not_a_buffer = torch.ones(2, 2)  # a plain tensor attribute

    def forward(self, x):
        return self.proj(self.inner(x)) * self.scale + self.not_a_buffer.sum()


@pytest.fixture
def crafted_archive(tmp_path):
    torch.manual_seed(0)
    module = torch.jit.script(_CraftedArchive())
    path = str(tmp_path / 'ViT-B-16.pt')
    torch.jit.save(module, path)
    return path, module


def test_torchscript_archive_is_read_without_running_it(
        crafted_archive, capfd):
    path, module = crafted_archive
    torch.jit.load(path)  # what the loader did: the archive's code runs
    assert 'ARCHIVE CODE RAN' in capfd.readouterr().out
    state_dict = read_torchscript_state_dict(path)
    assert 'ARCHIVE CODE RAN' not in capfd.readouterr().out
    expected = module.state_dict()  # parameters and buffers, not the rest
    assert list(state_dict) == list(expected) == [
        'scale', 'proj.weight', 'proj.bias'
    ]
    for name, value in expected.items():
        assert torch.equal(state_dict[name], value), name


def test_clip_loader_never_calls_torch_jit_load(crafted_archive, monkeypatch):
    from mpafer_plugin.models.utils.clip_weights import read_clip_weights

    def refuse(*args, **kwargs):
        raise AssertionError('torch.jit.load called')

    monkeypatch.setattr(torch.jit, 'load', refuse)
    weights = read_clip_weights(crafted_archive[0])
    assert weights.kind == 'OpenAI TorchScript archive'
    assert set(weights.state_dict) == {'scale', 'proj.weight', 'proj.bias'}


@pytest.fixture
def code_in_a_pickle(tmp_path):
    """An object whose unpickling runs ``touch <marker>``, and the marker
    (which a refused read leaves absent)."""
    marker = tmp_path / 'touched'

    class RunsCode:

        def __reduce__(self):
            return (os.system, (f'touch {marker}', ))

    return RunsCode(), marker


def test_archive_with_a_foreign_global_is_refused(tmp_path, code_in_a_pickle):
    """A data.pkl that names any callable but tensor rebuilding."""
    import zipfile
    path = str(tmp_path / 'evil.pt')
    runs_code, marker = code_in_a_pickle
    with zipfile.ZipFile(path, 'w') as archive:
        archive.writestr('evil/data.pkl', pickle.dumps(runs_code, 2))
        archive.writestr('evil/constants.pkl', pickle.dumps((), 2))
        archive.writestr('evil/code/__torch__.py', '')
    with pytest.raises(
            CheckpointFileError,
            match=f'{path}: refusing the pickled global '
            f'(posix|os).system'):
        read_torch_file(path, torchscript=True)
    assert not marker.exists()


def test_plain_pickles_are_read_as_data_only(tmp_path, code_in_a_pickle):
    runs_code, marker = code_in_a_pickle
    evil = tmp_path / 'evil.pkl'
    evil.write_bytes(pickle.dumps(dict(state_dict=runs_code)))
    with pytest.raises(
            CheckpointFileError,
            match='refusing the pickled '
            'global (posix|os).system'):
        read_checkpoint(str(evil))
    assert not marker.exists()
    listed = tmp_path / 'list.pkl'
    listed.write_bytes(pickle.dumps([1, 2]))
    with pytest.raises(
            CheckpointFileError,
            match=f'{listed} is not a checkpoint: it holds a list'):
        read_checkpoint(str(listed))


@pytest.mark.parametrize(
    'content, message',
    [(b'', 'is truncated or corrupt \\(it is empty, 0 bytes\\)'),
     (b'PK\x03\x04' + b'\x00' * 40, 'is truncated or corrupt \\(a zip '
      'archive without its central directory'),
     (json.dumps({
         'a': 1
     }).encode(), 'is not a checkpoint: it is a text '
      'file \\(JSON\\?\\) starting \'{"a": 1}\''),
     (b'<html><body>404</body></html>', 'is not a checkpoint: it is a text '
      'file \\(HTML\\?\\)'),
     (b'\x00\x01\x02garbage', 'is not a checkpoint: it starts with the '
      'bytes')])
def test_damaged_or_foreign_files_are_named(tmp_path, content, message):
    path = tmp_path / 'model.pth'
    path.write_bytes(content)
    with pytest.raises(CheckpointFileError, match=f'{path} {message}'):
        read_checkpoint(str(path))


def test_checkpoint_kinds_that_load(tmp_path):
    from safetensors.torch import save_file
    state = {'w': torch.arange(3.)}
    torch.save(dict(state_dict=state), tmp_path / 'new.pth')
    torch.save(
        state, tmp_path / 'legacy.pth', _use_new_zipfile_serialization=False)
    save_file(state, str(tmp_path / 'bare.safetensors'))
    for name in ('new.pth', 'legacy.pth', 'bare.safetensors'):
        loaded = read_checkpoint(str(tmp_path / name))
        assert torch.equal(loaded.get('state_dict', loaded)['w'], state['w'])
    torch.save(dict(meta={}, epoch=3), tmp_path / 'no_tensors.pth')
    with pytest.raises(CheckpointFileError, match='a dict without tensors'):
        read_checkpoint(str(tmp_path / 'no_tensors.pth'))
    with pytest.raises(FileNotFoundError, match='gone.pth does not exist'):
        read_checkpoint(str(tmp_path / 'gone.pth'))


def test_damaged_clip_weight_file_is_named(tmp_path):
    from mpafer_plugin.models import load_clip
    path = tmp_path / 'clip.pt'
    path.write_bytes(b'')
    with pytest.raises(
            CheckpointFileError, match=f'{path} is truncated or corrupt'):
        load_clip('mpafer-tiny-vit', str(path))


def test_unsafe_pickle_in_a_torch_zip(tmp_path, code_in_a_pickle):
    runs_code, marker = code_in_a_pickle
    path = tmp_path / 'evil.pth'
    torch.save(dict(state_dict={'w': torch.ones(1)}, meta=runs_code), path)
    with pytest.raises(UnsafeCheckpointError, match=f'{path}: refusing'):
        read_checkpoint(str(path))
    assert not marker.exists()

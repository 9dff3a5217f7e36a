"""A damaged or foreign file given to any of the ten loaders stops it
with one error that names the file and says what it is, as
docs/bad_inputs.md quotes (before: EOFError, OSError [Errno 22], a text
file reported as possible malicious code, AttributeError)."""
import json
import pickle

import pytest
import torch
from mmpretrain.registry import MODELS

from ..conftest import quickstart_cfg
from .loaders import LOADERS, load

DAMAGES = {
    'empty': 'is truncated or corrupt (it is empty, 0 bytes)',
    'half_written': 'is truncated or corrupt (a zip archive without its '
    'central directory',
    'json': 'is not a checkpoint: it is a text file (JSON?) starting',
    'pickled_list': 'is not a checkpoint: it holds a list',
    'torch_saved_list': 'is not a checkpoint: it holds a list',
}


@pytest.fixture(scope='module')
def config(tmp_path_factory, synthetic_rafdb):
    folder = tmp_path_factory.mktemp('damaged')
    cfg = quickstart_cfg(folder / 'work', synthetic_rafdb)
    path = str(folder / 'config.py')
    cfg.dump(path)
    return path


def damaged(kind, config, tmp_path):
    path = tmp_path / f'{kind}.pth'
    if kind == 'empty':
        path.write_bytes(b'')
    elif kind == 'half_written':
        from mmengine.config import Config
        torch.manual_seed(0)
        model = MODELS.build(Config.fromfile(config).model)
        torch.save(dict(meta={}, state_dict=model.state_dict()), path)
        path.write_bytes(path.read_bytes()[:path.stat().st_size // 2])
    elif kind == 'json':
        path.write_text(json.dumps({'state_dict': {'w': [1.0]}}))
    elif kind == 'pickled_list':
        path.write_bytes(pickle.dumps([1, 2, 3]))
    else:
        torch.save([torch.ones(2)], path)
    return str(path)


@pytest.mark.parametrize('loader', LOADERS)
@pytest.mark.parametrize('kind', list(DAMAGES))
def test_each_loader_names_the_damaged_file(loader, kind, config, tmp_path):
    path = damaged(kind, config, tmp_path)
    message = load(loader, config, path, tmp_path)
    assert message is not None, f'{loader} accepted {kind}'
    assert message.startswith('error: ' + path) or \
        message.startswith(f'CheckpointFileError: {path}'), message
    assert DAMAGES[kind] in message, message
    for wrong in ('EOFError', 'Errno 22', 'malicious', 'AttributeError'):
        assert wrong not in message, message

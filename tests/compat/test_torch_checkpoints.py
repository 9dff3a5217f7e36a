import os
import pickle
import zipfile

import pytest
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner.checkpoint import _load_checkpoint

import mpafer_plugin  # noqa: F401  registers the safe globals
from mpafer_plugin.utils import CheckpointFileError


def test_mmengine_state_loads_with_weights_only(tmp_path):
    buffer = HistoryBuffer()
    for value in (1.0, 2.0, 4.0):
        buffer.update(value)
    state = dict(
        message_hub=dict(log_scalars={'train/loss': buffer}),
        meta=dict(best=buffer.mean(), epoch=3),
        state_dict=dict(w=torch.ones(2)))
    path = tmp_path / 'ckpt.pth'
    torch.save(state, path)
    with zipfile.ZipFile(path) as archive:  # what mmengine's pickle holds
        pickled = archive.read(
            next(n for n in archive.namelist() if n.endswith('data.pkl')))
    assert b'getattr' in pickled and b'HistoryBuffer' in pickled
    loaded = torch.load(path, weights_only=True)
    restored = loaded['message_hub']['log_scalars']['train/loss']
    assert restored.mean() == pytest.approx(7 / 3)
    assert restored.statistics('max') == 4.0
    assert _load_checkpoint(str(path))['meta']['epoch'] == 3


class RunsCode:

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f'touch {self.marker}', )


class ReachesAttribute:

    def __reduce__(self):
        return getattr, (HistoryBuffer, '__init__')


def test_checkpoint_that_runs_code_is_refused(tmp_path):
    marker = tmp_path / 'pwned'
    path = tmp_path / 'evil.pth'
    torch.save(dict(state_dict={}, meta=RunsCode(marker)), path)
    with pytest.raises(pickle.UnpicklingError, match='system'):
        _load_checkpoint(str(path))
    assert not marker.exists()


def test_getattr_is_allowed_only_for_statistics_methods(tmp_path):
    path = tmp_path / 'evil.pth'
    torch.save(dict(meta=ReachesAttribute()), path)
    with pytest.raises(
            pickle.UnpicklingError, match=r"Refusing getattr\(.*'__init__'\)"):
        torch.load(path, weights_only=True)


@pytest.fixture
def evil_checkpoint(tmp_path):
    marker = tmp_path / 'pwned'
    path = tmp_path / 'evil.pth'
    torch.save(dict(state_dict={}, meta=RunsCode(marker)), path)
    return path, marker


@pytest.mark.parametrize('entry', ['load_from', 'resume', 'tools/test.py'])
def test_runner_refuses_code_naming_the_file(tmp_path, synthetic_rafdb,
                                             evil_checkpoint, entry):
    from mmengine.runner import Runner

    from mpafer_plugin.engine import UnsafeCheckpointError
    from ..conftest import quickstart_cfg
    path, marker = evil_checkpoint
    cfg = quickstart_cfg(tmp_path / 'work', synthetic_rafdb)
    cfg.load_from = str(path)
    cfg.resume = entry == 'resume'
    runner = Runner.from_cfg(cfg)
    run = runner.test if entry == 'tools/test.py' else runner.train
    with pytest.raises(UnsafeCheckpointError) as info:
        run()  # what tools/train.py and tools/test.py call
    message = str(info.value)
    assert str(path) in message and 'posix.system' in message
    assert 'weights_only=True' in message
    assert not marker.exists()


def test_inference_loader_refuses_code_naming_the_file(evil_checkpoint):
    """init_model (FERInferencer, tools/infer.py, visualize_similarity.py,
    export_prompts.py) loads through the same checked loader."""
    from mpafer_plugin.apis import init_model
    from mpafer_plugin.engine import UnsafeCheckpointError

    path, marker = evil_checkpoint
    with pytest.raises(UnsafeCheckpointError, match=str(path)):
        init_model(str(path))
    assert not marker.exists()


def test_truncated_checkpoint_is_named(tmp_path):
    path = tmp_path / 'epoch_3.pth'
    torch.save(dict(state_dict=dict(w=torch.ones(100))), path)
    path.write_bytes(path.read_bytes()[:300])
    with pytest.raises(
            CheckpointFileError, match=rf'{path} is truncated or corrupt'):
        _load_checkpoint(str(path))


def test_installed_loader_replaces_mmengines_own(tmp_path):
    """``force=True`` replaces MMEngine's local loader by ours, which
    loads exactly what MMEngine's loads."""
    from mmengine.runner.checkpoint import CheckpointLoader

    from mpafer_plugin.compat import torch_checkpoints
    assert CheckpointLoader._get_checkpoint_loader('x.pth') is \
        torch_checkpoints.load_from_local
    path = tmp_path / 'plain.pth'
    torch.save(dict(state_dict=dict(w=torch.arange(3.))), path)
    ours = torch_checkpoints.load_from_local(str(path))
    theirs = torch_checkpoints._MMENGINE_LOAD_FROM_LOCAL(str(path), None)
    assert torch.equal(ours['state_dict']['w'], theirs['state_dict']['w'])

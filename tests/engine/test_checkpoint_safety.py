import os
import pickle
import zipfile

import pytest
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner.checkpoint import _load_checkpoint

import mpafer_plugin  # noqa: F401  registers the safe globals


def test_mmengine_state_loads_with_weights_only(tmp_path):
    buffer = HistoryBuffer()
    for value in (1.0, 2.0, 4.0):
        buffer.update(value)
    state = dict(message_hub=dict(log_scalars={'train/loss': buffer}),
                 meta=dict(best=buffer.mean(), epoch=3),
                 state_dict=dict(w=torch.ones(2)))
    path = tmp_path / 'ckpt.pth'
    torch.save(state, path)
    with zipfile.ZipFile(path) as archive:  # what mmengine's pickle holds
        pickled = archive.read(next(n for n in archive.namelist()
                                    if n.endswith('data.pkl')))
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
    with pytest.raises(pickle.UnpicklingError,
                       match=r"Refusing getattr\(.*'__init__'\)"):
        torch.load(path, weights_only=True)

"""The Runner's private checkpoint request, read and redirected."""
from mmengine.runner import Runner

from mpafer_plugin.compat import (runner_checkpoint_request,
                                  set_runner_checkpoint)
from ..conftest import quickstart_cfg


def test_request_is_read_and_redirected(tmp_path, synthetic_rafdb):
    cfg = quickstart_cfg(tmp_path / 'work', synthetic_rafdb)
    cfg.load_from, cfg.resume = str(tmp_path / 'absent.pth'), True
    runner = Runner.from_cfg(cfg)
    assert runner_checkpoint_request(runner) == (cfg.load_from, True)
    set_runner_checkpoint(runner, None, resume=False)
    assert runner_checkpoint_request(runner) == (None, False)
    runner.load_or_resume()  # reads what was set: nothing to load

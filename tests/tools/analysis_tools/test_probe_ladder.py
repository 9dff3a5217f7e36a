"""tools/analysis_tools/probe_ladder.py: the training log of a run read over
its resumed sessions (the probe of real checkpoints is tested with the
ladder, tests/tools/analysis_tools/test_ablation_ladder.py)."""
import json

import pytest

from tools.analysis_tools.probe_ladder import training_log


def _session(folder, name, entries):
    path = folder / name / 'vis_data'
    path.mkdir(parents=True)
    (path / 'scalars.json').write_text(''.join(
        json.dumps(e) + '\n' for e in entries))


def test_training_log_reads_every_session_once_per_step(tmp_path):
    """A run killed after step 40 and resumed from its epoch-1 checkpoint
    logs steps 30-40 again: each step counts once, as logged last."""

    def step(n, norm, loss):
        return dict(
            step=n,
            epoch=1 + n // 40,
            grad_norm=norm,
            loss=loss,
            loss_cls=loss)

    _session(tmp_path, '20260101_000000', [
        step(10, 1.0, 3.0),
        step(20, 2.0, 2.0),
        step(30, 100.0, 9.0),
        dict(step=1, epoch=1, **{'accuracy/top1': 10.0})
    ])
    _session(tmp_path, '20260101_010000',
             [step(30, 3.0, 1.0),
              step(40, 4.0, 0.5),
              step(50, 5.0, 0.25)])
    log = training_log(str(tmp_path))
    assert log['grad_norm_median'] == 3.0  # of 1, 2, 3, 4, 5
    # the last epoch (2) holds steps 40 and 50
    assert log['last_epoch_losses'] == pytest.approx(
        dict(loss=0.375, loss_cls=0.375))
    assert training_log(str(tmp_path / 'nothing')) == {}

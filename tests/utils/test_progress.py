import io
import logging

from mmengine.logging import MMLogger
from mmengine.utils import ProgressBar

from mpafer_plugin.utils import progress as progress_module
from mpafer_plugin.utils.progress import LogProgress, progress_bar


class Terminal(io.StringIO):

    def isatty(self):
        return True


def test_piped_output_gets_a_line_per_tenth_not_a_redraw_per_item():
    out = io.StringIO()
    progress = progress_bar(910, 'encoding', file=out)
    assert isinstance(progress, LogProgress)
    for _ in range(910):
        progress.update()
    lines = out.getvalue().splitlines()
    assert '\r' not in out.getvalue()
    assert len(lines) == 10  # 91, 182, ... 910
    assert lines[0].startswith('encoding: 91/910 (10%)')
    assert lines[-1].startswith('encoding: 910/910 (100%)')


def test_batched_updates_and_a_last_partial_step_end_with_a_final_line():
    out = io.StringIO()
    progress = progress_bar(25, 'prototypes', file=out)
    for _ in range(3):
        progress.update(8)  # 8, 16, 24
    progress.update(1)
    lines = out.getvalue().splitlines()
    assert [line.split()[1]
            for line in lines] == ['8/25', '16/25', '24/25', '25/25']


def test_slow_work_logs_every_interval(monkeypatch):
    clock = iter(float(t) for t in [0, 5, 31, 40, 62])
    monkeypatch.setattr(progress_module.time, 'monotonic', lambda: next(clock))
    out = io.StringIO()
    progress = LogProgress(1000, 'video', every_seconds=30, file=out)
    for _ in range(4):  # at 5, 31, 40 and 62 s, 1 frame each
        progress.update()
    lines = out.getvalue().splitlines()
    assert [line.split(' s elapsed')[0] for line in lines
            ] == ['video: 2/1000 (0%), 31', 'video: 4/1000 (0%), 62']


def test_unknown_total_counts(monkeypatch):
    clock = iter(float(t) for t in [0, 31])
    monkeypatch.setattr(progress_module.time, 'monotonic', lambda: next(clock))
    out = io.StringIO()
    LogProgress(0, 'frames', file=out).update(7)
    assert out.getvalue() == 'frames: 7 done, 31 s elapsed\n'


def test_lines_go_to_the_given_mmlogger():
    logger = MMLogger.get_instance('test_progress_logger')
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger.addHandler(handler)
    out = io.StringIO()
    progress = progress_bar(4, 'hook', logger=logger, file=out)
    progress.update(4)
    logger.removeHandler(handler)
    assert [r.getMessage()
            for r in records] == ['hook: 4/4 (100%), 0 s elapsed, ETA 0 s']
    assert out.getvalue() == ''


def test_terminal_keeps_mmengine_bar():
    out = Terminal()
    progress = progress_bar(3, 'x', file=out)
    assert isinstance(progress, ProgressBar)
    progress.update()
    assert '\r' in out.getvalue()

"""Progress of a long loop: a bar on a terminal, a few log lines otherwise.

MMEngine's :class:`~mmengine.utils.ProgressBar` redraws itself with a
carriage return at every update: right on a terminal, but a piped or
redirected log (``tool.py > run.log``, a Slurm output file, CI) receives
every redraw, about 900 of them for 910 images. :func:`progress_bar` keeps
the bar for terminals and otherwise prints one line per ``every_percent`` of
the work or per ``every_seconds``, whichever comes first, and one at the end.
"""
import math
import sys
import time
from typing import Optional, TextIO, Union

from mmengine.logging import MMLogger, print_log
from mmengine.utils import ProgressBar


class LogProgress:
    """Progress as log lines, with :class:`ProgressBar`'s ``update`` API.

    Lines read ``DESC: 182/910 (20%), 3 s elapsed, ETA 12 s``.

    Args:
        total (int): number of tasks; 0 if unknown (lines then give the count
            and are written every ``every_seconds`` only).
        desc (str): what is being done, at the start of each line.
        logger: where lines go, as :func:`mmengine.logging.print_log` takes
            it (``None`` prints to ``file``, ``'current'`` the current
            :class:`MMLogger`).
        every_percent (float): a line each time this much more is done.
        every_seconds (float): a line at least this often while updates come.
        file (TextIO, optional): the stream for ``logger=None``; defaults to
            ``sys.stdout`` at construction time.
    """

    def __init__(self,
                 total: int,
                 desc: str = 'progress',
                 logger: Union[MMLogger, str, None] = None,
                 every_percent: float = 10,
                 every_seconds: float = 30,
                 file: Optional[TextIO] = None):
        self.total = max(int(total), 0)
        self.desc = desc
        self.logger = logger
        self.every_percent = every_percent
        self.every_seconds = every_seconds
        self.file = file if file is not None else sys.stdout
        self.completed = 0
        self.start = self.last_time = time.monotonic()
        self.next_mark = 1  # the next line at every_percent * next_mark %

    def update(self, num_tasks: int = 1) -> None:
        finishing = 0 < self.total <= self.completed + num_tasks \
            and self.completed < self.total
        self.completed += num_tasks
        now = time.monotonic()
        if (self.total and self.completed >= self._mark(self.next_mark)) \
                or finishing \
                or now - self.last_time >= self.every_seconds:
            self._write(now)

    def _mark(self, index: int) -> int:
        """Tasks done at ``index * every_percent`` % (at least 1)."""
        return max(1, math.ceil(index * self.every_percent * self.total / 100))

    def _write(self, now: float) -> None:
        elapsed = now - self.start
        if self.total:
            fraction = min(self.completed / self.total, 1.0)
            eta = elapsed * (1 - fraction) / fraction if fraction else 0
            msg = (f'{self.desc}: {self.completed}/{self.total} '
                   f'({fraction:.0%}), {elapsed:.0f} s elapsed, '
                   f'ETA {eta:.0f} s')
            while self._mark(self.next_mark) <= self.completed:
                self.next_mark += 1
        else:
            msg = (f'{self.desc}: {self.completed} done, '
                   f'{elapsed:.0f} s elapsed')
        self.last_time = now
        if self.logger is None:
            print(msg, file=self.file, flush=True)
        else:
            print_log(msg, logger=self.logger)


def progress_bar(total: int,
                 desc: str = 'progress',
                 logger: Union[MMLogger, str, None] = None,
                 file: Optional[TextIO] = None,
                 **kwargs) -> Union[ProgressBar, LogProgress]:
    """MMEngine's :class:`ProgressBar` if ``file`` (default ``sys.stdout``)
    is a terminal, else a :class:`LogProgress` (``kwargs`` go to it). Both
    take ``update(num_tasks=1)``."""
    file = file if file is not None else sys.stdout
    if file.isatty():
        return ProgressBar(total, file=file)
    return LogProgress(total, desc, logger=logger, file=file, **kwargs)

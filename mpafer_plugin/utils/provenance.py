"""Where a measured figure comes from: the header of every results file
(docs/results/*.json) that the README's figures are generated from."""
import os
import platform
import shlex
import subprocess
import sys
from datetime import datetime, timezone
from typing import Optional, Sequence


def git_commit(cwd: Optional[str] = None) -> Optional[str]:
    """``git describe --always --dirty`` of ``cwd`` (``-dirty``: the
    working tree had uncommitted changes), or None outside a checkout."""
    try:
        return subprocess.run(['git', 'describe', '--always', '--dirty'],
                              cwd=cwd,
                              capture_output=True,
                              text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def provenance(command: Optional[Sequence[str]] = None,
               cwd: Optional[str] = None) -> dict:
    """``command`` (default: this process's ``python`` command line), UTC
    date, commit and machine, as a results file records them."""
    if command is None:
        command = ['python'] + sys.argv
    return dict(
        command=command if isinstance(command, str) else shlex.join(command),
        date=datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC'),
        commit=git_commit(cwd),
        machine=dict(cpus=os.cpu_count(), platform=platform.platform()))

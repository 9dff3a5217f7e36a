"""tools/install.sh refuses an interpreter torch 2.14.1 has no wheel for."""
import glob
import os
import os.path as osp
import shutil
import subprocess

import pytest

from ..conftest import REPO_ROOT


def old_python():
    """A working Python < 3.10 on this machine (PATH or pyenv), or None."""
    candidates = [shutil.which(f'python3.{minor}') for minor in (9, 8)]
    candidates += sorted(
        glob.glob(osp.expanduser('~/.pyenv/versions/3.[5-9].*/bin/python')))
    for candidate in filter(None, candidates):
        done = subprocess.run(
            [candidate, '-c', 'import sys; print(sys.version_info < (3, 10))'],
            capture_output=True,
            text=True)
        if done.returncode == 0 and done.stdout.strip() == 'True':
            return candidate
    return None


@pytest.mark.skipif(old_python() is None, reason='no Python < 3.10 here')
def test_old_python_is_refused_before_pip(tmp_path):
    venv = tmp_path / 'venv'
    subprocess.run([old_python(), '-m', 'venv', '--without-pip',
                    str(venv)],
                   check=True)
    done = subprocess.run(
        ['bash', osp.join(REPO_ROOT, 'tools', 'install.sh')],
        env=dict(os.environ, VENV=str(venv)),
        capture_output=True,
        text=True)
    assert done.returncode == 1
    assert 'torch 2.14.1 needs Python >= 3.10' in done.stderr
    assert f'{venv}/bin/python is Python 3.' in done.stderr
    assert not list(venv.glob('lib/python3.*/site-packages/*'))  # no pip run

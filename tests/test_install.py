"""``pip install "mpafer_plugin[faces]"`` gives the MTCNN landmark detector
with the tested stack: pip resolves the extra, from a wheel built here,
into a new environment that already has the tested stack (this one's
packages through a ``.pth`` line), to facenet-pytorch 2.5.3 and changes no
torch, torchvision or numpy (``pip install --dry-run --report``: exactly
what pip would install, nothing installed). facenet-pytorch 2.6.0 would
downgrade torch to < 2.3. Needs the package index pip is configured with;
skipped where it cannot be reached."""
import json
import os.path as osp
import subprocess
import sys
import sysconfig
from importlib.metadata import PackageNotFoundError, version

import pytest

from .test_packaging import build_wheel


def test_faces_extra_resolves_without_changing_the_tested_stack(tmp_path):
    wheel = build_wheel(tmp_path)
    venv = tmp_path / 'venv'
    subprocess.run([sys.executable, '-m', 'venv', '--without-pip',
                    str(venv)],
                   check=True)
    vpy = str(venv / 'bin' / 'python')
    site = subprocess.run([
        vpy, '-c', 'import sysconfig; print(sysconfig.get_paths()'
        '["purelib"])'
    ],
                          check=True,
                          capture_output=True,
                          text=True).stdout.strip()
    with open(osp.join(site, '_tested_stack.pth'), 'w') as f:
        f.write(sysconfig.get_paths()['purelib'] + '\n')
    report = tmp_path / 'report.json'
    run = subprocess.run([
        sys.executable, '-m', 'pip', '--python', vpy, 'install', '-q',
        '--dry-run', '--report',
        str(report), f'{wheel}[faces]'
    ],
                         capture_output=True,
                         text=True)
    if run.returncode and ('No matching distribution' in run.stderr
                           or 'connection' in run.stderr.lower()):
        pytest.skip(f'package index unreachable: {run.stderr[-300:]}')
    assert run.returncode == 0, run.stderr
    install = {
        item['metadata']['name'].lower().replace('_', '-'):
        item['metadata']['version']
        for item in json.loads(report.read_text())['install']
    }
    # 2.5.3 is installed, or already is in the tested stack (tools/install.sh
    # installs it from requirements.txt: pip then has nothing to add)
    try:
        present = version('facenet-pytorch')
    except PackageNotFoundError:
        present = None
    assert install.get('facenet-pytorch',
                       present) == '2.5.3', (install, present)
    assert not {'torch', 'torchvision', 'numpy', 'pillow'} & set(install), (
        f'pip would change the tested stack: {install}')
    assert set(install) <= {'facenet-pytorch', 'mpafer-plugin'}, install

"""Where a measured figure comes from: the header of every results file
(docs/results/*.json) that the README's figures are generated from."""
import json
import os
import platform
import shlex
import subprocess
import sys
from datetime import datetime, timezone
from importlib import metadata
from typing import Optional, Sequence

import torch

#: the folder of this package: its checkout is the code that ran
PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
#: the distributions whose code computes (torch, open_clip) or draws
#: (numpy, Pillow) a measured figure: a rebuilt environment that differs in
#: one of them can change a float's rounding, so records name their versions
PACKAGES = ('torch', 'open_clip_torch', 'numpy', 'Pillow', 'mmengine',
            'mmpretrain')


def cpu_model() -> Optional[str]:
    """The CPU's model name (``/proc/cpuinfo``; ``platform.processor()``
    elsewhere), or None: the kernels torch picks, and so rounding, can
    differ between CPU models of the same core count."""
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def package_versions() -> dict:
    """``{distribution: version}`` of :data:`PACKAGES` (None if absent)."""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def git_commit(cwd: Optional[str] = None) -> Optional[str]:
    """``git describe --always --dirty`` of ``cwd`` (default: the checkout
    this package is imported from, wherever the process runs; ``-dirty``:
    the working tree had uncommitted changes), or None outside a
    checkout."""
    try:
        return subprocess.run(['git', 'describe', '--always', '--dirty'],
                              cwd=cwd or PACKAGE_DIR,
                              capture_output=True,
                              text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def provenance(command: Optional[Sequence[str]] = None) -> dict:
    """``command`` (default: this process's ``python`` command line), UTC
    date, commit (of this package's checkout) and machine (its CPUs, the
    torch threads this process computes on, which can change a float's
    rounding, the platform, the CPU model and the versions of
    :data:`PACKAGES`), as a results file records them."""
    if command is None:
        command = ['python'] + sys.argv
    return dict(
        command=command if isinstance(command, str) else shlex.join(command),
        date=datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC'),
        commit=git_commit(),
        machine=dict(
            cpus=os.cpu_count(),
            threads=torch.get_num_threads(),
            platform=platform.platform(),
            cpu=cpu_model(),
            packages=package_versions()))


def record_path(output: str) -> str:
    """The JSON record written beside an output file that says how it was
    made (``weights.pt`` → ``weights.pt.json``)."""
    return f'{output}.json'


def read_record(output: Optional[str]) -> Optional[dict]:
    """The record beside the file ``output`` (:func:`record_path`), or
    None when there is none (a file made elsewhere, an open_clip tag, no
    file)."""
    if not output or not os.path.isfile(output) or not os.path.isfile(
            record_path(output)):
        return None
    with open(record_path(output)) as f:
        return json.load(f)

"""The wheel ships what `mim train/test mpafer_plugin` and users need.

Building a wheel from the checkout would rewrite its mpafer_plugin/.mim
(symbolic links of an editable install), so the wheel is built from a copy.
tools/misc/wheel_smoke_test.sh installs such a wheel outside the checkout and
trains and tests with it.
"""
import glob
import os.path as osp
import shutil
import subprocess
import sys
import zipfile

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def shipped(folder, patterns):
    return {
        osp.relpath(path, ROOT).replace(osp.sep, '/')
        for pattern in patterns
        for path in glob.glob(
            osp.join(ROOT, folder, '**', pattern), recursive=True)
    }


def build_wheel(tmp_path) -> str:
    """Build the wheel from a copy of the checkout into ``tmp_path/dist``;
    its path."""
    src = tmp_path / 'src'
    ignore = shutil.ignore_patterns('__pycache__', '*.pyc', '.mim')
    for name in ('mpafer_plugin', 'configs', 'tools'):
        shutil.copytree(osp.join(ROOT, name), src / name, ignore=ignore)
    for name in ('setup.py', 'README.md', 'LICENSE', 'NOTICE'):
        shutil.copy(osp.join(ROOT, name), src / name)
    subprocess.run([
        sys.executable, '-m', 'pip', 'wheel', '-q', '--no-deps',
        '--no-build-isolation',
        str(src), '-w',
        str(tmp_path / 'dist')
    ],
                   check=True)
    wheel, = glob.glob(str(tmp_path / 'dist' / 'mpafer_plugin-*.whl'))
    return wheel


def test_wheel_ships_configs_tools_and_resources(tmp_path):
    wheel = build_wheel(tmp_path)
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata, = [n for n in names if n.endswith('.dist-info/METADATA')]
        requires_python = [
            line for line in archive.read(metadata).decode().splitlines()
            if line.startswith('Requires-Python:')
        ]

    expected = shipped('configs', ['*.py']) | shipped('tools',
                                                      ['*.py', '*.sh'])
    assert 'configs/quickstart_synthetic_rafdb.py' in expected
    assert 'tools/train.py' in expected and 'tools/test.py' in expected
    missing = {f'mpafer_plugin/.mim/{name}' for name in expected} - names
    assert not missing, f'not in the wheel: {sorted(missing)}'
    resources = {
        f'mpafer_plugin/{osp.relpath(p, osp.join(ROOT, "mpafer_plugin"))}'
        for p in glob.glob(
            osp.join(ROOT, 'mpafer_plugin', 'resources', '**', '*.json'),
            recursive=True)
    }
    assert resources and resources <= names
    assert not [n for n in names if '__pycache__' in n or 'tests/' in n]
    # torch 2.14.1 has no wheel for Python 3.9
    assert requires_python == ['Requires-Python: >=3.10']
    # the console commands (mpafer_plugin/cli.py)
    entry_points, = [n for n in names if n.endswith('entry_points.txt')]
    with zipfile.ZipFile(wheel) as archive:
        commands = archive.read(entry_points).decode()
    assert 'mpafer-infer = mpafer_plugin.cli:infer' in commands
    # the licence and the third-party notice travel with the wheel
    for name, says in (('LICENSE', 'Apache License\n'), ('NOTICE',
                                                         'facenet-pytorch')):
        found = [
            n for n in names if n.endswith(f'.dist-info/{name}')
            or n.endswith(f'.dist-info/licenses/{name}')
        ]
        assert len(found) == 1, (name, sorted(names))
        with zipfile.ZipFile(wheel) as archive:
            text = archive.read(found[0]).decode()
        assert says in text and text == open(osp.join(ROOT, name)).read()

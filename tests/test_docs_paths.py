"""Every ``tools/...`` path that README.md and docs/ name exists, so a moved
or renamed tool cannot leave the documentation pointing at nothing.

Paths of test files (``tools/test_x.py``, as the tables of
docs/bad_inputs.md write them, or ``tests/tools/...``) are looked up under
tests/; ``*`` is a glob; placeholders in capitals (``NAME.py``) are
skipped."""
import glob
import os.path as osp
import re

from .conftest import REPO_ROOT

PATH = re.compile(r'(?<![\w./-])((?:tests/)?tools/[\w./*-]*\w\.(?:py|sh))')


def documented_tool_paths():
    docs = [osp.join(REPO_ROOT, 'README.md')] + sorted(
        glob.glob(osp.join(REPO_ROOT, 'docs', '**', '*.md'), recursive=True))
    for doc in docs:
        with open(doc, encoding='utf-8') as f:
            for line_no, line in enumerate(f, 1):
                for path in PATH.findall(line):
                    if not re.search(r'\b[A-Z]{2,}\b', path):
                        yield f'{osp.relpath(doc, REPO_ROOT)}:{line_no}', path


def resolves(path):
    if osp.basename(path).startswith(
            'test_') and not path.startswith('tests/'):
        path = 'tests/' + path
    return bool(glob.glob(osp.join(REPO_ROOT, path)))


def test_documented_tool_paths_exist():
    found = list(documented_tool_paths())
    assert len(found) > 20, found  # the pattern still finds the paths
    missing = [
        f'{where}: {path}' for where, path in found if not resolves(path)
    ]
    assert not missing, 'no such file:\n' + '\n'.join(missing)


def test_a_stale_path_is_reported():
    assert resolves('tools/train.py')
    assert resolves('tools/dist_*.sh')
    assert resolves('tools/misc/test_timed.py')
    assert not resolves('tools/benchmark.py')

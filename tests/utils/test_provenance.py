"""The header of a results file: the commit is that of the code that ran,
wherever the process was started."""
import subprocess

from mpafer_plugin.utils import git_commit, provenance
from mpafer_plugin.utils.provenance import PACKAGE_DIR


def test_commit_is_the_packages_checkout_from_any_folder(
        tmp_path, monkeypatch):
    expected = subprocess.run(['git', 'describe', '--always', '--dirty'],
                              cwd=PACKAGE_DIR,
                              capture_output=True,
                              text=True).stdout.strip() or None
    monkeypatch.chdir(tmp_path)  # not a checkout
    record = provenance(['python', 'tools/x.py', '--flag'])
    assert record['commit'] == expected
    assert record['command'] == 'python tools/x.py --flag'
    assert record['date'].endswith(' UTC') and record['machine']['cpus']
    assert git_commit(str(tmp_path)) is None

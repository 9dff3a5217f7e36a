"""The header of a results file: the commit is that of the code that ran,
wherever the process was started."""
import subprocess

import torch

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
    assert record['machine']['threads'] == torch.get_num_threads()
    assert git_commit(str(tmp_path)) is None


def test_record_is_read_only_beside_an_existing_file(tmp_path, monkeypatch):
    """A tag such as ``'openai'`` is not a file: a stray ``openai.json`` in
    the working folder is not its record."""
    from mpafer_plugin.utils import read_record, record_path
    monkeypatch.chdir(tmp_path)
    (tmp_path / 'openai.json').write_text('{"pairs": 1}')
    assert read_record('openai') is None
    weights = tmp_path / 'clip.pt'
    weights.write_bytes(b'weights')
    assert read_record(str(weights)) is None
    with open(record_path(str(weights)), 'w') as f:
        f.write('{"pairs": 2}')
    assert read_record(str(weights)) == {'pairs': 2}
    assert read_record(None) is None


def test_machine_names_the_cpu_model_and_the_computing_packages():
    """Rebuilt in another environment, a stand-in's weights can differ bit
    for bit (docs/proxy.md): the record says which versions computed it."""
    machine = provenance(['python'])['machine']
    assert machine['packages']['torch'].split('+')[0] == \
        torch.__version__.split('+')[0]
    assert set(machine['packages']) == {
        'torch', 'open_clip_torch', 'numpy', 'Pillow', 'mmengine', 'mmpretrain'
    }
    assert machine['packages']['Pillow'] is not None
    assert machine['cpu'] is None or isinstance(machine['cpu'], str)

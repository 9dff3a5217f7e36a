"""Every tool takes a packaged config by name, from any folder, as ``mim
train`` does; the console commands run the shipped tools."""
import os.path as osp
import re
import sys

import pytest

from mpafer_plugin import cli
from mpafer_plugin.utils import config_file
from mpafer_plugin.utils.packaged_files import tool_file
from ..conftest import REPO_ROOT


def test_a_config_name_resolves_from_any_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    found = config_file('quickstart_synthetic_rafdb.py')
    assert osp.samefile(
        found, osp.join(REPO_ROOT, 'configs', 'quickstart_synthetic_rafdb.py'))
    assert osp.samefile(
        config_file('_base_/datasets/rafdb.py'),
        osp.join(REPO_ROOT, 'configs', '_base_', 'datasets', 'rafdb.py'))
    # a file of that name here wins; other names pass through unchanged
    (tmp_path / 'quickstart_synthetic_rafdb.py').write_text('x = 1\n')
    assert config_file('quickstart_synthetic_rafdb.py') == \
        'quickstart_synthetic_rafdb.py'
    assert config_file('prompts.pth') == 'prompts.pth'
    assert config_file('no_such_config.py') == 'no_such_config.py'


def test_infer_takes_a_packaged_config_name(tmp_path, monkeypatch):
    """``mim run mpafer_plugin infer IMG --config quickstart_...py``
    failed: only train and test resolved packaged names."""
    monkeypatch.chdir(tmp_path)
    sys.path.insert(0, osp.join(REPO_ROOT, 'tools'))
    try:
        import infer
    finally:
        sys.path.remove(osp.join(REPO_ROOT, 'tools'))
    args = infer.parse_args([
        'photo.jpg', '--config', 'quickstart_synthetic_rafdb.py',
        '--checkpoint', 'x.pth', '--out', 'out'
    ])
    assert osp.isfile(args.config)


def test_console_commands_are_the_shipped_tools():
    with open(osp.join(REPO_ROOT, 'setup.py')) as f:
        scripts = dict(
            re.findall(r"'(mpafer-[a-z-]+)=mpafer_plugin\.cli:(\w+)'",
                       f.read()))
    assert set(scripts) == set(cli.COMMANDS)
    for command, function in scripts.items():
        assert getattr(cli, function).__name__ == command.replace('-', '_')
        assert osp.isfile(tool_file(cli.COMMANDS[command]))


def test_a_console_command_runs_its_tool(monkeypatch, capsys):
    monkeypatch.setattr(sys, 'argv', ['mpafer-infer', '--help'])
    with pytest.raises(SystemExit) as done:
        cli.infer()
    assert done.value.code == 0
    assert '--detector-device' in capsys.readouterr().out

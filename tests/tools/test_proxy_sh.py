"""tools/proxy.sh: each proxy it builds names the configs, data and
stand-in CLIP those configs read, so that its ladder runs on what it drew
and pretrained; an unknown proxy is refused before anything is made."""
import os
import re
import shutil
import subprocess

import pytest
from mmengine.config import Config

from ..conftest import REPO_ROOT

SCRIPT = os.path.join(REPO_ROOT, 'tools', 'proxy.sh')


def proxies():
    """``{PROXY: {'NAME': …, 'DATA': …, 'CLIP': …}}`` from the script's
    ``case``."""
    text = open(SCRIPT).read()
    cases = re.findall(r'^(\w+)\)\n(.*?)^    ;;', text, re.S | re.M)
    return {
        proxy: dict(re.findall(r'^    (NAME|DATA|CLIP)=(\S+)', body, re.M))
        for proxy, body in cases
    }


def test_both_proxies_are_listed():
    assert set(proxies()) == {'soft_namefreq', 'first'}


@pytest.mark.parametrize('proxy', sorted(proxies()))
def test_script_builds_what_the_configs_read(proxy):
    names = proxies()[proxy]
    for config in (f'configs/proxy/mpafer_{names["NAME"]}.py',
                   f'configs/proxy/finetune_image_encoder_{names["NAME"]}.py'):
        cfg = Config.fromfile(os.path.join(REPO_ROOT, config))
        clip = cfg.model.get('clip') or cfg.model.backbone.clip
        assert clip.pretrained == names['CLIP'], config
        for loader in ('train_dataloader', 'val_dataloader'):
            assert cfg[loader].dataset.data_root == names['DATA'], config


def test_unknown_proxy_is_refused_before_anything_is_made(tmp_path):
    result = subprocess.run(['bash', SCRIPT],
                            env=dict(os.environ, PROXY='second'),
                            capture_output=True,
                            text=True,
                            cwd=str(tmp_path))
    assert result.returncode == 2
    assert 'PROXY=second is not one of: soft_namefreq, first' in result.stderr


@pytest.mark.parametrize('script, env, clip_log', [
    ('proxy.sh', dict(LADDER='0'),
     'work_dirs/proxy_web/clip64_web3_cue03_namefreq_p25200.log'),
    ('quickstart.sh', dict(INSTALL='0', WORK_DIR='elsewhere'),
     'work_dirs/quickstart/tiny_clip_synthetic.log'),
])
def test_pretraining_log_is_kept_on_a_fresh_checkout(tmp_path, script, env,
                                                     clip_log):
    """On a checkout without ``work_dirs/``, ``| tee LOG`` opens the
    stand-in's pretraining log as the pipeline starts: its folder must be
    made first, or the script exits 1 after a successful pretraining. Run
    with a Python that does nothing, in a copy of the script."""
    (tmp_path / 'tools').mkdir()
    shutil.copy(os.path.join(REPO_ROOT, 'tools', script), tmp_path / 'tools')
    python = tmp_path / 'venv' / 'bin' / 'python'
    python.parent.mkdir(parents=True)
    python.write_text('#!/bin/sh\nexit 0\n')
    python.chmod(0o755)
    result = subprocess.run(['bash', str(tmp_path / 'tools' / script)],
                            env=dict(
                                os.environ, VENV=str(tmp_path / 'venv'),
                                **env),
                            capture_output=True,
                            text=True)
    assert f'tee: {clip_log}' not in result.stderr, result.stderr
    assert (tmp_path / clip_log).is_file()
    if script == 'proxy.sh':
        assert result.returncode == 0, result.stderr

"""Every code block of README.md runs, in README order, on a quick-start-
like folder (the quick start's configs and tools, a small generated
dataset, a random tiny CLIP file where the quick start pretrains one, and
a checkpoint in work_dirs/quickstart/last_checkpoint), or is marked

    <!-- readme-test: skip: REASON -->

on the line before its fence, with the reason it cannot run here (real
data, a camera, a server). ``$CKPT`` and ``$PHOTO`` are set as the
README's first inference block sets them."""
import os
import os.path as osp
import re
import subprocess
import sys

import pytest
import torch

from .conftest import REPO_ROOT, TINY_CLIP_64

BLOCK = re.compile(
    r'(?:^<!-- readme-test: skip: (?P<reason>[^\n]*?) -->\n)?'
    r'^```(?P<lang>\w*)\n(?P<code>.*?)^```\n', re.S | re.M)
PRELUDE = ('CKPT=$(cat work_dirs/quickstart/last_checkpoint)\n'
           'PHOTO=$(python -c "from matplotlib import cbook; '
           "print(cbook.get_sample_data('grace_hopper.jpg', "
           'asfileobj=False))")\n')


def readme_blocks():
    with open(osp.join(REPO_ROOT, 'README.md'), encoding='utf-8') as f:
        text = f.read()
    return [(text.count('\n', 0, m.start()) + 1, m['lang'], m['code'],
             m['reason']) for m in BLOCK.finditer(text)]


@pytest.fixture(scope='module')
def quickstart_folder(tmp_path_factory):
    """The quick start's outputs, small: what its README blocks read."""
    from mmengine.config import Config
    from mmpretrain.registry import MODELS

    from mpafer_plugin.models import load_clip
    from mpafer_plugin.testing import make_synthetic_rafdb
    root = tmp_path_factory.mktemp('readme')
    for name in ('configs', 'tools'):
        os.symlink(osp.join(REPO_ROOT, name), root / name)
    make_synthetic_rafdb(
        str(root / 'data' / 'synthetic_rafdb'),
        train_per_class=1,
        test_per_class=1,
        image_size=64,
        seed=0)
    work = root / 'work_dirs' / 'quickstart'
    work.mkdir(parents=True)
    torch.manual_seed(0)
    torch.save(
        load_clip(**TINY_CLIP_64).state_dict(),
        work / 'tiny_clip_synthetic.pt')
    cwd = os.getcwd()
    os.chdir(root)
    try:
        cfg = Config.fromfile('configs/quickstart_synthetic_rafdb.py')
        model = MODELS.build(cfg.model)
    finally:
        os.chdir(cwd)
    checkpoint = work / 'epoch_1.pth'
    torch.save(dict(meta={}, state_dict=model.state_dict()), checkpoint)
    (work / 'last_checkpoint').write_text(str(checkpoint))
    return root


def test_every_block_runs_or_says_why_not(quickstart_folder):
    blocks = readme_blocks()
    assert len(blocks) >= 10  # the pattern still finds the blocks
    env = dict(
        os.environ,
        PATH=osp.dirname(sys.executable) + os.pathsep + os.environ['PATH'],
        PYTHONPATH=REPO_ROOT,
        OMP_NUM_THREADS='1',
        MPLBACKEND='Agg')
    ran = 0
    for line, lang, code, reason in blocks:
        if reason is not None:
            assert len(reason) > 10, f'README.md:{line}: give the reason'
            continue
        assert lang in ('bash', 'python'), f'README.md:{line}: {lang!r}'
        command = (['bash', '-euo', 'pipefail', '-c', PRELUDE +
                    code] if lang == 'bash' else [sys.executable, '-c', code])
        run = subprocess.run(
            command,
            cwd=quickstart_folder,
            env=env,
            capture_output=True,
            text=True)
        assert run.returncode == 0, (
            f'README.md:{line} failed:\n{code}\n{run.stderr[-3000:]}')
        if 'FERInferencer(' in code:  # the photo has a face; crops are faces
            statuses = [
                out for out in run.stdout.splitlines()
                if out.split(' ')[0] in ('ok', 'no_face', 'unreadable')
            ]
            assert statuses[0].startswith('ok [(['), run.stdout
            assert statuses[-1] == 'ok', run.stdout
        ran += 1
    assert ran >= 5

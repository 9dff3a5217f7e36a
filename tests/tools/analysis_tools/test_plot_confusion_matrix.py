"""tools/test.py runs a zero-shot config without a checkpoint and dumps
results.pkl; tools/analysis_tools/plot_confusion_matrix.py draws it as a PNG
whose numbers are the run's."""
import os
import pickle
import re
import subprocess
import sys

import matplotlib.image
import pytest
import torch

from tools.analysis_tools.plot_confusion_matrix import main, row_percentages
from ...conftest import REPO_ROOT

ZERO_SHOT = os.path.join(REPO_ROOT, 'configs', 'zeroshot', 'zeroshot_rafdb.py')


@pytest.fixture(scope='module')
def results(tmp_path_factory, synthetic_rafdb):
    work = tmp_path_factory.mktemp('zeroshot')
    out = work / 'results.pkl'
    loader = 'test_dataloader'
    result = subprocess.run([
        sys.executable,
        os.path.join(REPO_ROOT, 'tools', 'test.py'), ZERO_SHOT, '--work-dir',
        str(work), '--out',
        str(out), '--cfg-options', 'model.clip.model_name=mpafer-tiny-vit',
        'model.clip.pretrained=None',
        f'{loader}.dataset.data_root={synthetic_rafdb}',
        f'{loader}.num_workers=0', f'{loader}.persistent_workers=False',
        f'{loader}.batch_size=28'
    ],
                            capture_output=True,
                            text=True,
                            cwd=REPO_ROOT,
                            timeout=600,
                            env=dict(os.environ, PYTHONPATH=REPO_ROOT))
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-3000:]
    accuracy = float(re.findall(r'accuracy/top1: ([\d.]+)', log)[-1])
    return out, accuracy


def test_zero_shot_test_run_without_checkpoint_dumps_results(results):
    out, _ = results
    with open(out, 'rb') as f:
        assert len(pickle.load(f)) == 28  # 7 classes x 4 test images


def test_plots_row_normalised_matrix_of_the_run(results, tmp_path, capsys):
    out, accuracy = results
    png = tmp_path / 'plots' / 'cm.png'
    main([ZERO_SHOT, str(out), '--out', str(png)])
    pixels = matplotlib.image.imread(str(png))
    assert min(pixels.shape[:2]) > 300 and pixels.std() > 0.05  # drawn
    printed = capsys.readouterr().out
    assert f'{png}: 7 classes, 28 images, accuracy {accuracy:.2f} %' \
        in printed


def test_row_percentages():
    matrix = torch.tensor([[3, 1], [0, 0]])
    assert row_percentages(matrix).tolist() == [[75, 25], [0, 0]]


def test_bad_results_file_is_named(tmp_path):
    bad = tmp_path / 'bad.pkl'
    bad.write_bytes(pickle.dumps({'not': 'a list'}))
    with pytest.raises(SystemExit, match='bad.pkl: expected a non-empty'):
        main([ZERO_SHOT, str(bad), '--out', str(tmp_path / 'cm.png')])
    assert not (tmp_path / 'cm.png').exists()

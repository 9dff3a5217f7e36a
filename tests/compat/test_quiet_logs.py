"""Each line printed is true: mmcv-lite's MultiScaleDeformableAttention
warning is gone, and open_clip's "Model initialized randomly" is dropped
only when weights are loaded right after building."""
import logging
import subprocess
import sys
import warnings

import torch

from mpafer_plugin.compat.quiet_logs import weights_loaded_after_build
from mpafer_plugin.models import load_clip
from ..conftest import TINY_CLIP
from ..datasets.fixtures import captured_log


def test_importing_the_plugin_and_mmpretrain_models_warns_nothing_of_mmcv():
    code = ('import warnings; warnings.simplefilter("always"); '
            'import mpafer_plugin, mmpretrain.models, mmcv.cnn.bricks.'
            'transformer')
    run = subprocess.run([sys.executable, '-c', code],
                         capture_output=True,
                         text=True,
                         check=True)
    assert 'MultiScaleDeformableAttention' not in run.stderr, run.stderr


def test_only_that_mmcv_warning_is_silenced():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('default')
        import mpafer_plugin.compat as compat
        compat.silence_deformable_attention_warning()
        warnings.warn_explicit(
            'Fail to import ``MultiScaleDeformableAttention`` from x',
            UserWarning, 'transformer.py', 1, 'mmcv.cnn.bricks.transformer')
        warnings.warn_explicit('another mmcv warning', UserWarning,
                               'transformer.py', 2,
                               'mmcv.cnn.bricks.transformer')
    assert [str(w.message) for w in caught] == ['another mmcv warning']


def test_clip_build_logs_only_the_true_source_of_its_weights(tmp_path, caplog):
    """open_clip's "initialized randomly" is dropped; load_clip's own line
    names the weights: the file loaded, or random initialisation."""
    torch.manual_seed(0)
    weights = tmp_path / 'tiny_clip.pt'
    torch.save(load_clip(**TINY_CLIP).state_dict(), weights)
    caplog.set_level(logging.INFO)
    caplog.clear()
    with captured_log() as log:
        load_clip(TINY_CLIP['model_name'], str(weights))
        load_clip(**TINY_CLIP)
    assert 'initialized randomly' not in caplog.text
    first, second = [
        line for line in log.getvalue().splitlines()
        if line.startswith('Loaded CLIP')
    ]
    assert str(weights) in first
    assert 'random initialisation' in second


def test_filter_drops_that_record_alone(caplog):
    with weights_loaded_after_build():
        logging.warning("No pretrained weights loaded for model 'm'. "
                        'Model initialized randomly.')
        logging.warning('Model m initialized partially.')
    assert 'initialized randomly' not in caplog.text
    assert 'initialized partially' in caplog.text
    logging.warning("No pretrained weights loaded for model 'm'. "
                    'Model initialized randomly.')
    assert 'initialized randomly' in caplog.text

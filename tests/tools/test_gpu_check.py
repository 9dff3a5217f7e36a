"""tools/gpu_check.py's arithmetic, and its reading of the benchmark's
report (the GPU run itself: `bash tools/gpu_check.sh --dry-run` on CPU)."""
import contextlib
import importlib.util
import io
import os

import pytest
import torch

from ..conftest import REPO_ROOT


def load_tool(path):
    """The module of ``tools/<path>.py``."""
    name = path.replace('/', '_')
    spec = importlib.util.spec_from_file_location(
        f'mpafer_{name}_tool', os.path.join(REPO_ROOT, 'tools', f'{path}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gpu_check = load_tool('gpu_check')


@pytest.mark.parametrize(
    'peak, free, cap, expected',
    [
        (1.0e9, 100e9, 512, 512),  # 2560 would fit: the cap
        (4.0e9, 100e9, 4096, 512),  # 640 fits: the power of two below
        (4.0e9, 100e9, 300, 256),  # a cap that is no power of two
        (30e9, 20e9, 512, 32),  # not even the measured batch: keep it
        (None, 100e9, 512, 512),  # unknown peak (CPU, or not measured)
    ])
def test_largest_batch(peak, free, cap, expected):
    assert gpu_check.largest_batch(peak, 32, free, cap) == expected


def test_projection_counts_the_epoch_120_times_and_the_rest_once():
    timing = dict(
        before_train_s=9.0,
        epochs=[
            dict(
                train_s=20.0,
                after_epoch_s=1.0,
                val_s=4.0,
                data_wait_fraction=0.25)
        ])
    p = gpu_check.projection(timing, wall_s=45.0)
    assert p['per_epoch_s'] == 25.0 and p['once_s'] == 20.0
    assert p['total_s'] == 20.0 + 120 * 25.0
    assert p['epoch_shares'] == dict(
        train_s=0.8, checkpoint_s=0.04, val_s=0.16)
    assert p['data_wait_fraction'] == 0.25


def test_pytest_counts():
    log = 'x\nSKIPPED [5] t.py:1: needs CUDA\n3 passed, 5 skipped, ' \
        '600 deselected, 2 warnings in 9.1s\n'
    assert gpu_check.pytest_counts(log) == dict(
        passed=3, skipped=5, deselected=600)
    assert gpu_check.pytest_counts('') == {}


def test_lr_scale_from_the_runner_log():
    log = ('11/30 03:59:35 - mmengine - INFO - LR is set based on batch size '
           'of 32 and the current batch size is 512. Scaling the original LR '
           'by 16.0.\n')
    assert gpu_check.lr_scale(log) == 16.0
    assert gpu_check.lr_scale(log.replace('16.0.', '0.5.')) == 0.5
    assert gpu_check.lr_scale('no scaling') is None


def test_figures_from_a_real_benchmark_report(tmp_path):
    threads = torch.get_num_threads()
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            result = load_tool('analysis_tools/benchmark').main([
                os.path.join(REPO_ROOT,
                             gpu_check.CONFIG), '--arch', gpu_check.TINY_ARCH,
                '--device', 'cpu', '--batch-size', '2', '--repeats', '1',
                '--threads', '1', '--descriptions-per-class', ''
            ])
    finally:
        torch.set_num_threads(threads)
    figures = gpu_check.benchmark_figures(result)
    assert figures['batch'] == 2 and figures['amp'] is False
    assert figures['train_over_floor'] == result['targets']['train']['ratio']
    assert figures['train_images_per_s'] == pytest.approx(
        2 / result['train']['train_step']['median_s'])
    assert figures['infer_images_per_s'] == pytest.approx(
        2 / result['infer']['predict']['median_s'])
    assert figures['train_peak_mib'] > 0

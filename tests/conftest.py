"""Shared fixtures: a tiny random-weight CLIP and a generated RAF-DB tree."""
import logging
import os
import shutil
import tempfile

import pytest
import torch
from mmengine.registry import DefaultScope
from mmengine.utils import ManagerMixin
from mmpretrain.structures import DataSample

import mpafer_plugin  # noqa: F401  registers every component
from mpafer_plugin.models import load_clip

TINY_CLIP = dict(model_name='mpafer-tiny-vit', pretrained=None)
# The quick start's architecture (64 px), with random weights.
TINY_CLIP_64 = dict(model_name='mpafer-tiny-vit-64', pretrained=None)
CLASSNAMES = [
    'surprise', 'fear', 'disgust', 'happiness', 'sadness', 'anger', 'neutral'
]
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# A test parametrised over devices runs its 'cuda' case only with a GPU;
# `pytest -m cuda` selects those cases (tools/gpu_check.sh runs them).
CUDA = pytest.param(
    'cuda',
    marks=[
        pytest.mark.cuda,
        pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA')
    ])


def pytest_configure(config):
    config.addinivalue_line(
        'markers', 'cuda: runs on a CUDA GPU (skipped without one); select '
        'with `pytest -m cuda`')


def pytest_terminal_summary(terminalreporter, config):
    """Print the free disk space where the tests write: a machine that runs
    out of it fails every later test at setup (each passing test's
    ``tmp_path`` is removed at its teardown, setup.cfg [tool:pytest])."""
    where = config.option.basetemp or tempfile.gettempdir()
    while not os.path.exists(where):
        where = os.path.dirname(where)
    free = shutil.disk_usage(where).free / 2**30
    terminalreporter.write_line(
        f'free disk space where the tests write ({where}): {free:.1f} GiB')


def _run_globals(cls=ManagerMixin):
    """MMEngine's global instances a Runner makes by its experiment's name:
    loggers, message hubs, visualizers (not the default scope)."""
    for sub in cls.__subclasses__():
        if sub is not DefaultScope:
            yield sub
            yield from _run_globals(sub)


@pytest.fixture(autouse=True)
def _fresh_run_globals():
    """Drop the loggers, message hubs and visualizers a test made. A Runner
    names them after its timestamp, to the second, and reuses one of that
    name: a test whose Runner starts in the same second as the previous
    test's would log into that test's folder, removed by then."""
    before = {cls: set(cls._instance_dict) for cls in _run_globals()}
    yield
    for cls, names in before.items():
        for name in set(cls._instance_dict) - names:
            instance = cls._instance_dict.pop(name)
            for handler in getattr(instance, 'handlers', []):
                if isinstance(handler, logging.FileHandler):
                    handler.close()


@pytest.fixture(autouse=True)
def _prototype_cache(tmp_path, monkeypatch):
    """Keep every test's prototype cache out of the user's home."""
    monkeypatch.setattr(
        'mpafer_plugin.engine.hooks.prototype_hook.DEFAULT_CACHE_DIR',
        str(tmp_path / 'prototype_cache'))


@pytest.fixture
def tiny_clip():
    torch.manual_seed(0)
    return load_clip(**TINY_CLIP)


@pytest.fixture(scope='session')
def synthetic_rafdb(tmp_path_factory):
    """A small RAF-DB-layout tree: 7 classes x (12 train, 4 test) images."""
    from mpafer_plugin.testing import make_synthetic_rafdb
    root = tmp_path_factory.mktemp('rafdb')
    make_synthetic_rafdb(
        str(root), train_per_class=12, test_per_class=4, image_size=64, seed=0)
    return str(root)


def quickstart_cfg(work_dir, data_root, **model_head):
    """The quick-start config, on ``data_root``, small and single-process,
    with a random-weight CLIP instead of the quick start's pretrained one."""
    from mmengine.config import Config
    cfg = Config.fromfile(
        os.path.join(REPO_ROOT, 'configs', 'quickstart_synthetic_rafdb.py'))
    cfg.work_dir = str(work_dir)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].update(
            num_workers=0, persistent_workers=False, batch_size=8)
        cfg[loader].dataset.data_root = data_root
    cfg.model.clip = TINY_CLIP_64
    cfg.model.head.update(model_head)
    return cfg


def parameter_snapshot(model):
    """Copies of ``model``'s ``(frozen, trainable)`` parameters, by name:
    what a step must leave bit-identical, and what it must move."""
    frozen, trainable = {}, {}
    for name, param in model.named_parameters():
        side = trainable if param.requires_grad else frozen
        side[name] = param.detach().clone()
    return frozen, trainable


def random_batch(n=4):
    """``n`` random 64-px uint8 images with labels ``i % 7``, as a data
    loader gives them to ``train_step`` / ``val_step``."""
    gen = torch.Generator().manual_seed(0)
    return dict(
        inputs=list(
            torch.randint(
                0, 255, (n, 3, 64, 64), generator=gen, dtype=torch.uint8)),
        data_samples=[DataSample().set_gt_label(i % 7) for i in range(n)])

import functools
import random
from types import SimpleNamespace
from unittest.mock import MagicMock

import numpy as np
import pytest
import torch
from mmpretrain.registry import HOOKS

from mpafer_plugin.engine.hooks.epoch_seed_hook import epoch_seed
from ..conftest import REPO_ROOT


def draws(seed, epoch):
    """What augmentation would draw in epoch ``epoch`` after the hook."""
    hook = HOOKS.build(dict(type='EpochSeedHook'))
    hook.before_train_epoch(SimpleNamespace(seed=seed, epoch=epoch))
    return (random.random(), float(np.random.rand()), torch.rand(1).item())


def test_draws_depend_only_on_seed_and_epoch():
    first = draws(0, 3)
    random.seed(123)  # whatever ran before (validation, a resume...)
    np.random.seed(123)
    torch.manual_seed(123)
    torch.rand(5)
    assert draws(0, 3) == first
    assert draws(0, 4) != first  # each epoch augments differently
    assert draws(1, 3) != first  # and each seed


def test_epoch_seed_separates_ranks_and_fits_32_bits():
    seeds = {
        epoch_seed(0, epoch, rank)
        for epoch in range(50)
        for rank in range(4)
    }
    assert len(seeds) == 200
    assert all(0 <= s < 2**32 for s in seeds)


@pytest.mark.parametrize('workers, persistent, warned', [(2, True, True),
                                                         (2, False, False),
                                                         (0, False, False)])
def test_warns_about_persistent_workers(workers, persistent, warned):
    logger = MagicMock()
    loader = SimpleNamespace(
        num_workers=workers, persistent_workers=persistent)
    runner = SimpleNamespace(train_dataloader=loader, logger=logger)
    HOOKS.build(dict(type='EpochSeedHook')).before_train(runner)
    assert logger.warning.called == warned
    if warned:
        assert 'persistent_workers=False' in logger.warning.call_args[0][0]


def test_in_the_default_runtime_and_train_workers_not_persistent():
    from mmengine.config import Config
    cfg = Config.fromfile(f'{REPO_ROOT}/configs/mpafer_rafdb.py')
    assert cfg.default_hooks.epoch_seed.type == 'EpochSeedHook'
    assert cfg.train_dataloader.persistent_workers is False
    assert cfg.train_dataloader.worker_init_fn.type == 'epoch_worker_init_fn'


class RandomDraws(torch.utils.data.Dataset):
    """Each item is what an augmentation would draw in the worker."""

    def __len__(self):
        return 4

    def __getitem__(self, index):
        return (random.random(), float(np.random.rand()), torch.rand(1).item())


def worker_draws(epoch, worker_init_fn):
    """One epoch through 2 fresh (non-persistent) workers."""
    loader = torch.utils.data.DataLoader(
        RandomDraws(),
        batch_size=None,
        num_workers=2,
        worker_init_fn=worker_init_fn)
    HOOKS.build(dict(type='EpochSeedHook')).before_train_epoch(
        SimpleNamespace(seed=0, epoch=epoch))
    return list(loader)


def test_workers_draw_per_epoch_and_reproducibly():
    from mmengine.dataset import worker_init_fn as mmengine_init
    from mmengine.registry import FUNCTIONS
    init = FUNCTIONS.get('epoch_worker_init_fn')
    first = worker_draws(1, init)
    assert worker_draws(1, init) == first  # as after a resume
    assert worker_draws(2, init) != first
    # MMEngine's default: the same draws every epoch
    fixed = functools.partial(mmengine_init, num_workers=2, rank=0, seed=0)
    assert worker_draws(1, fixed) == worker_draws(2, fixed)

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
    seeds = {epoch_seed(0, epoch, rank)
             for epoch in range(50) for rank in range(4)}
    assert len(seeds) == 200
    assert all(0 <= s < 2**32 for s in seeds)


@pytest.mark.parametrize('workers, persistent, warned', [
    (2, True, True), (2, False, False), (0, False, False)])
def test_warns_about_persistent_workers(workers, persistent, warned):
    logger = MagicMock()
    loader = SimpleNamespace(num_workers=workers,
                             persistent_workers=persistent)
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

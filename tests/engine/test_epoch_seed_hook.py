import random
from types import SimpleNamespace

import numpy as np
import torch
from mmpretrain.registry import HOOKS

from mpafer_plugin.engine.hooks.epoch_seed_hook import epoch_seed


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

"""Reseed the global random generators at the start of every training
epoch, so that a resumed run draws what an uninterrupted one would."""
import random

import numpy as np
import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.registry import FUNCTIONS
from mmpretrain.registry import HOOKS


def epoch_seed(seed: int, epoch: int, rank: int) -> int:
    """A 32-bit seed derived from ``(seed, epoch, rank)`` by numpy's
    ``SeedSequence`` (distinct, well-mixed streams for nearby triples)."""
    state = np.random.SeedSequence([seed, epoch, rank]).generate_state(1)
    return int(state[0])


@HOOKS.register_module()
class EpochSeedHook(Hook):
    """Before each training epoch ``e``, seed python's ``random``, numpy's
    global generator and torch (CPU and every CUDA device) with
    ``epoch_seed(runner.seed, e, rank)``.

    MMEngine's resume restores the model, optimizer, schedulers, message hub
    and the sampler's per-epoch shuffle, but not the global generators that
    data augmentation (random crop, flip, erasing) and the data loader's
    worker seeds draw from: without this hook a resumed run augments
    differently from an uninterrupted one from the resumed epoch on. With it
    every epoch's draws depend only on ``(seed, epoch, rank)``, so resuming
    from the checkpoint of epoch ``e`` reproduces epochs ``e+1...`` exactly
    (what happened in between, e.g. validation or the prototype pass, no
    longer matters).

    Exact for the main process (``num_workers=0``) and for workers that
    start afresh each epoch (``persistent_workers=False``), best with
    ``worker_init_fn=dict(type='epoch_worker_init_fn')`` so that they too
    draw from ``(seed, epoch, rank, worker id)``. Persistent workers keep
    their generators across epochs, which a new process cannot reproduce:
    the hook warns about them before training.
    """

    priority = 'VERY_HIGH'

    def before_train(self, runner) -> None:
        loader = runner.train_dataloader
        if loader.num_workers > 0 and loader.persistent_workers:
            runner.logger.warning(
                'EpochSeedHook: train_dataloader has persistent workers, '
                'whose random generators carry over from epoch to epoch: '
                'after --resume augmentation will differ from an '
                'uninterrupted run. Set train_dataloader.persistent_workers'
                '=False for exact resumes.')

    def before_train_epoch(self, runner) -> None:
        seed = epoch_seed(runner.seed, runner.epoch, get_rank())
        random.seed(seed)
        np.random.seed(seed)
        torch.manual_seed(seed)  # seeds every CUDA device too


@FUNCTIONS.register_module()
def epoch_worker_init_fn(worker_id: int) -> None:
    """A data-loader ``worker_init_fn`` that keeps torch's own worker seeds.

    Torch seeds ``random``, numpy and torch in worker ``worker_id`` from a
    base seed drawn from the main process's torch generator when the
    epoch's iterator is created (which :class:`EpochSeedHook` has just
    seeded from ``(seed, epoch, rank)``) plus ``worker_id``, so each
    epoch's workers draw differently, and reproducibly. MMEngine's default
    ``worker_init_fn`` would reseed every worker with ``seed + worker_id``,
    the same streams every epoch. Nothing needs doing here: giving a
    ``worker_init_fn`` only stops MMEngine from installing its own.
    """

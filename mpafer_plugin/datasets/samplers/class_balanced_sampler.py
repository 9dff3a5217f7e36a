"""Sample every class equally often, as imbalanced FER sets need."""
import math
from typing import Iterator, Optional

import numpy as np
from mmengine.dist import get_dist_info, sync_random_seed
from mmpretrain.registry import DATA_SAMPLERS
from torch.utils.data import Sampler


def _class_labels(dataset) -> np.ndarray:
    """One class index per sample, from ``get_gt_labels()`` or else
    ``get_cat_ids(i)`` (which must hold exactly one class)."""
    if hasattr(dataset, 'get_gt_labels'):
        return np.asarray(dataset.get_gt_labels(), dtype=np.int64)
    labels = []
    for i in range(len(dataset)):
        cat_ids = dataset.get_cat_ids(i)
        if len(cat_ids) != 1:
            raise ValueError(f'Sample {i} has the classes {cat_ids}: '
                             f'ClassBalancedSampler needs single-label '
                             f'data.')
        labels.append(cat_ids[0])
    return np.asarray(labels, dtype=np.int64)


@DATA_SAMPLERS.register_module()
class ClassBalancedSampler(Sampler):
    """Draw indices with replacement, each with probability proportional to
    ``1 / count(its class)``, so every class present is drawn equally often.

    Each epoch draws ``num_samples`` indices (rounded up to a multiple of the
    world size) from a generator seeded with ``seed + epoch``, the same on
    every rank; rank ``r`` takes ``indices[r::world_size]``, so ranks get
    disjoint shares of one common draw. ``len(sampler)`` is one rank's share.
    The runner calls :meth:`set_epoch` before each epoch.

    Args:
        dataset: a single-label dataset with ``get_gt_labels()`` or
            ``get_cat_ids(i)``.
        num_samples (int, optional): indices per epoch over all ranks;
            default ``len(dataset)``.
        seed (int, optional): default a random seed shared by all ranks
            (``mmengine.dist.sync_random_seed``).
        rank (int, optional): default from ``mmengine.dist.get_dist_info``.
        world_size (int, optional): likewise.
    """

    def __init__(self,
                 dataset,
                 num_samples: Optional[int] = None,
                 seed: Optional[int] = None,
                 rank: Optional[int] = None,
                 world_size: Optional[int] = None):
        dist_rank, dist_world_size = get_dist_info()
        self.rank = dist_rank if rank is None else rank
        self.world_size = (
            dist_world_size if world_size is None else world_size)
        if not 0 <= self.rank < self.world_size:
            raise ValueError(f'rank {self.rank} is not in 0..'
                             f'{self.world_size - 1}.')
        labels = _class_labels(dataset)
        if labels.size == 0:
            raise ValueError('ClassBalancedSampler got an empty dataset.')
        weights = 1.0 / np.bincount(labels)[labels]
        self.weights = weights / weights.sum()
        total = len(labels) if num_samples is None else num_samples
        if total <= 0:
            raise ValueError(f'num_samples must be positive, got {total}.')
        self.num_samples = math.ceil(total / self.world_size)
        self.total_size = self.num_samples * self.world_size
        self.seed = sync_random_seed() if seed is None else seed
        self.epoch = 0

    def __iter__(self) -> Iterator[int]:
        rng = np.random.default_rng(self.seed + self.epoch)
        indices = rng.choice(
            len(self.weights),
            size=self.total_size,
            replace=True,
            p=self.weights)
        return iter(indices[self.rank::self.world_size].tolist())

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Draw epoch ``epoch``'s indices next (same on every rank)."""
        self.epoch = epoch

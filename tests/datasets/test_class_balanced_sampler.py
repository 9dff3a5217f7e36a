import numpy as np
import pytest
from mmpretrain.registry import DATA_SAMPLERS
from torch.utils.data import DataLoader

from mpafer_plugin.datasets import RAFDB, ClassBalancedSampler

LABELS = [0] * 90 + [1] * 9 + [2] * 1  # 90 : 9 : 1


class GtLabels:
    """A dataset answering ``get_gt_labels()``, like MMPretrain's."""

    def __init__(self, labels):
        self.labels = list(labels)

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        return i

    def get_gt_labels(self):
        return np.array(self.labels)


class CatIds:
    """A dataset answering only ``get_cat_ids(i)``."""

    def __init__(self, labels):
        self.labels = list(labels)

    def __len__(self):
        return len(self.labels)

    def get_cat_ids(self, i):
        return [self.labels[i]] if self.labels[i] >= 0 else [0, 1]


def frequencies(sampler, labels):
    return np.bincount(
        np.asarray(labels)[list(sampler)], minlength=3) / len(sampler)


@pytest.mark.parametrize('dataset_type', [GtLabels, CatIds])
def test_classes_are_drawn_uniformly(dataset_type):
    sampler = ClassBalancedSampler(
        dataset_type(LABELS), num_samples=30000, seed=0)
    assert len(sampler) == 30000
    np.testing.assert_allclose(
        frequencies(sampler, LABELS), [1 / 3] * 3, atol=0.02)
    # Within a class, samples are drawn alike: all 9 of class 1 appear.
    assert set(
        np.asarray(
            list(sampler))[np.asarray(LABELS)[list(sampler)] == 1]) == set(
                range(90, 99))


def test_default_length_and_seed():
    sampler = ClassBalancedSampler(GtLabels(LABELS))
    assert len(sampler) == len(LABELS) == len(list(sampler))
    assert isinstance(sampler.seed, int)
    assert all(0 <= i < len(LABELS) for i in sampler)


def test_deterministic_per_seed_and_epoch():

    def draw(seed, epoch):
        sampler = ClassBalancedSampler(GtLabels(LABELS), seed=seed)
        sampler.set_epoch(epoch)
        return list(sampler)

    assert draw(1, 0) == draw(1, 0)
    assert draw(1, 3) == draw(1, 3)
    assert draw(1, 0) != draw(1, 1)
    assert draw(1, 0) != draw(2, 0)
    sampler = ClassBalancedSampler(GtLabels(LABELS), seed=1)
    assert list(sampler) == list(sampler)  # same epoch, same draw


def test_ranks_take_disjoint_shares_of_one_draw():
    world_size, num_samples = 3, 100
    shares = []
    for rank in range(world_size):
        sampler = ClassBalancedSampler(
            GtLabels(LABELS),
            num_samples,
            seed=5,
            rank=rank,
            world_size=world_size)
        sampler.set_epoch(2)
        assert len(sampler) == 34  # ceil(100 / 3)
        shares.append(list(sampler))
    single = ClassBalancedSampler(
        GtLabels(LABELS), 102, seed=5, rank=0, world_size=1)
    single.set_epoch(2)
    interleaved = [shares[i % world_size][i // world_size] for i in range(102)]
    assert interleaved == list(single)  # rank r has positions r, r + 3...
    with pytest.raises(ValueError, match=r'rank 3 is not in 0..2'):
        ClassBalancedSampler(GtLabels(LABELS), rank=3, world_size=3)


def test_bad_inputs():
    with pytest.raises(ValueError, match='single-label'):
        ClassBalancedSampler(CatIds([0, -1]), seed=0)
    with pytest.raises(ValueError, match='empty dataset'):
        ClassBalancedSampler(GtLabels([]), seed=0)
    with pytest.raises(ValueError, match='num_samples must be positive'):
        ClassBalancedSampler(GtLabels([0]), num_samples=0, seed=0)


def test_built_from_registry_with_runner_defaults(synthetic_rafdb):
    dataset = RAFDB(synthetic_rafdb, split='test')
    sampler = DATA_SAMPLERS.build(
        dict(type='ClassBalancedSampler', num_samples=14),
        default_args=dict(dataset=dataset, seed=0))
    assert isinstance(sampler, ClassBalancedSampler)
    loader = DataLoader(
        dataset, batch_size=7, sampler=sampler, collate_fn=list)
    batches = list(loader)
    assert [len(batch) for batch in batches] == [7, 7]
    assert all(info['gt_label'] == dataset.get_gt_labels()[info['sample_idx']]
               for batch in batches for info in batch)

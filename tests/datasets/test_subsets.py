"""ClassSubset and StratifiedHoldout: what they keep, and their refusals."""
import numpy as np
import pytest
from mmpretrain.registry import DATASETS

from mpafer_plugin.datasets import holdout_indices
from .fixtures import write_ferplus_csv


def rafdb(root, **kwargs):
    return dict(type='RAFDB', data_root=root, split='train', **kwargs)


def labels(dataset):
    return [dataset.get_data_info(i)['gt_label'] for i in range(len(dataset))]


def test_class_subset_keeps_and_relabels(synthetic_rafdb):
    full = DATASETS.build(rafdb(synthetic_rafdb))
    subset = DATASETS.build(
        dict(
            type='ClassSubset',
            classes=['happiness', 'SURPRISE'],
            dataset=rafdb(synthetic_rafdb)))
    assert type(subset).__name__ == 'RAFDB'  # the dataset, not a wrapper
    assert subset.metainfo['classes'] == ('Happiness', 'Surprise')
    paths = {
        full.get_data_info(i)['img_path']: full.get_data_info(i)['gt_label']
        for i in range(len(full))
    }
    kept = [subset.get_data_info(i) for i in range(len(subset))]
    assert len(kept) == sum(1 for v in paths.values() if v in (0, 3))
    for info in kept:  # Happiness (3) -> 0, Surprise (0) -> 1
        assert {3: 0, 0: 1}[paths[info['img_path']]] == info['gt_label']
    assert subset.get_subset([0, 1]).metainfo['classes'] == ('Happiness',
                                                             'Surprise')


def test_class_subset_refuses_unknown_and_repeated_names(synthetic_rafdb):
    with pytest.raises(ValueError, match=r"\['joy'\] are not classes"):
        DATASETS.build(
            dict(
                type='ClassSubset',
                classes=['joy', 'fear'],
                dataset=rafdb(synthetic_rafdb)))
    with pytest.raises(ValueError, match='twice'):
        DATASETS.build(
            dict(
                type='ClassSubset',
                classes=['fear', 'Fear'],
                dataset=rafdb(synthetic_rafdb)))


def test_class_subset_refuses_soft_targets(tmp_path):
    write_ferplus_csv(tmp_path)
    with pytest.raises(ValueError, match='soft targets'):
        DATASETS.build(
            dict(
                type='ClassSubset',
                classes=['Sadness'],
                dataset=dict(
                    type='FERPlus',
                    data_root=str(tmp_path),
                    label_mode='probability')))


def test_holdout_indices_are_stratified_and_seeded():
    y = np.repeat(np.arange(3), [10, 20, 1])
    held = holdout_indices(y, 0.1, seed=0)
    assert np.bincount(y[held], minlength=3).tolist() == [1, 2, 0]
    assert holdout_indices(y, 0.1, seed=0).tolist() == held.tolist()
    assert holdout_indices(y, 0.1, seed=1).tolist() != held.tolist()


def test_holdout_parts_are_disjoint_and_complete(synthetic_rafdb):
    parts = {
        part:
        DATASETS.build(
            dict(
                type='StratifiedHoldout',
                part=part,
                ratio=0.25,
                seed=3,
                dataset=rafdb(synthetic_rafdb)))
        for part in ('train', 'val')
    }
    full = DATASETS.build(rafdb(synthetic_rafdb))
    paths = {
        part: {d.get_data_info(i)['img_path']
               for i in range(len(d))}
        for part, d in parts.items()
    }
    assert not paths['train'] & paths['val']
    assert len(paths['train'] | paths['val']) == len(full)
    # 12 train images per class in the fixture: 3 held out of each
    assert np.bincount(labels(parts['val'])).tolist() == [3] * 7
    assert parts['val'].holdout == dict(part='val', ratio=0.25, seed=3)


@pytest.mark.parametrize('kwargs, match',
                         [(dict(part='test'), 'part'),
                          (dict(part='val', ratio=1.0), 'ratio')])
def test_holdout_refuses_bad_arguments(synthetic_rafdb, kwargs, match):
    with pytest.raises(ValueError, match=match):
        DATASETS.build(
            dict(
                type='StratifiedHoldout',
                dataset=rafdb(synthetic_rafdb),
                **kwargs))


def test_lazy_init_datasets_are_restricted_too(synthetic_rafdb):
    subset = DATASETS.build(
        dict(
            type='ClassSubset',
            classes=['fear'],
            dataset=rafdb(synthetic_rafdb, lazy_init=True)))
    assert len(subset) == 12 and set(labels(subset)) == {0}

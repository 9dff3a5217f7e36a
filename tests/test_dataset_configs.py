"""Each benchmark config builds its train and evaluation datasets, sampler
and pipelines from a fixture in the owners' layout; class counts agree
between dataset and head."""
import os

import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.registry import init_default_scope
from mmpretrain.registry import DATA_SAMPLERS, DATASETS

from .conftest import REPO_ROOT
from .datasets import fixtures

CASES = {
    'mpafer_rafdb.py': (lambda root: fixtures.write_rafdb_folders(root), 7),
    'mpafer_ferplus.py': (lambda root: fixtures.write_ferplus_csv(root), 8),
    'mpafer_affectnet7.py':
    (lambda root: fixtures.write_affectnet_csv(root), 7),
    'mpafer_affectnet8.py':
    (lambda root: fixtures.write_affectnet_csv(root), 8),
}


@pytest.mark.parametrize('name', sorted(CASES))
@pytest.mark.parametrize('arch', ['', '_vitl14'])
def test_config_builds_datasets_from_the_official_layout(name, arch, tmp_path):
    init_default_scope('mmpretrain')  # as the Runner does
    write, num_classes = CASES[name]
    root = write(tmp_path)
    cfg = Config.fromfile(
        os.path.join(REPO_ROOT, 'configs', name.replace('.py', f'{arch}.py')))
    assert len(cfg.model.head.classnames) == num_classes
    for loader in ('train_dataloader', 'test_dataloader'):
        dataset_cfg = cfg[loader].dataset
        dataset_cfg.data_root = root
        dataset = DATASETS.build(dataset_cfg)
        assert len(dataset) > 0
        assert len(dataset.metainfo['classes']) == num_classes
        labels = dataset.get_gt_labels()
        assert 0 <= labels.min() and labels.max() < num_classes
        sample = dataset[0]
        assert sample['inputs'].shape == (3, 224, 224)
        assert sample['inputs'].dtype == torch.uint8
    sampler = cfg.train_dataloader.sampler
    if 'affectnet' in name:
        assert sampler.type == 'ClassBalancedSampler'
    built = DATA_SAMPLERS.build(sampler, default_args=dict(dataset=dataset))
    assert len(list(iter(built))) > 0
    Compose(cfg.test_pipeline)  # the pipeline PrototypeHook uses

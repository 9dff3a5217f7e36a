"""Every protocol config builds its model, and each cross-dataset config's
classes map onto its test set's."""
import glob
import os

import pytest
from mmengine.config import Config
from mmpretrain.registry import DATASETS, MODELS

from mpafer_plugin.evaluation import map_classes
from .conftest import REPO_ROOT, TINY_CLIP

PROTOCOLS = os.path.join(REPO_ROOT, 'configs', 'protocols')
CONFIGS = sorted(
    glob.glob(os.path.join(PROTOCOLS, '**', '*.py'), recursive=True))
UNSEEN = {
    'rafdb_to_ferplus.py': ['Contempt'],
    'rafdb_to_affectnet7.py': [],
    'rafdb_to_affectnet8.py': ['Contempt'],
    'affectnet7_to_rafdb.py': [],
    'ferplus_to_rafdb.py': [],
}


@pytest.mark.parametrize(
    'path', CONFIGS, ids=[os.path.relpath(p, PROTOCOLS) for p in CONFIGS])
def test_protocol_config_builds_its_model(path):
    cfg = Config.fromfile(path)
    cfg.model.clip = TINY_CLIP
    model = MODELS.build(cfg.model)
    assert sum(p.requires_grad for p in model.parameters()) >= 1


@pytest.mark.parametrize('name', sorted(UNSEEN))
def test_cross_dataset_classes_map(name):
    cfg = Config.fromfile(os.path.join(PROTOCOLS, 'cross_dataset', name))
    dataset = cfg.test_dataloader.dataset
    target = DATASETS.get(dataset.type).METAINFO['classes']
    target = list(target[:dataset.get('num_classes', len(target))])
    [metric] = cfg.test_evaluator
    assert metric.source_classes == cfg.model.head.classnames
    plan = map_classes(metric.source_classes, target)
    assert [target[i] for i in plan['unseen']] == UNSEEN[name]
    assert cfg.default_hooks.class_names_check.type == \
        'CrossDatasetCheckHook'

"""Repository configs shrunk for CPU test runs on generated fixtures."""
import os

from mmengine.config import Config

from .conftest import REPO_ROOT, TINY_CLIP_64

LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def _small_pipeline(pipeline):
    """The pipeline at 64 px, without random erasing."""
    small = []
    for step in pipeline:
        step = dict(step)
        if step['type'] == 'RandomErasing':
            continue
        if step['type'] == 'Resize':
            step['scale'] = (64, 64)
        if step['type'] == 'RandomResizedCrop':
            step['scale'] = 64
        small.append(step)
    return small


def _datasets(loader_cfg):
    """The dataset config of a loader and those it wraps."""
    dataset = loader_cfg.dataset
    while dataset is not None:
        yield dataset
        dataset = dataset.get('dataset')


def tiny_config(config, work_dir, data_root=None, epochs=1):
    """``configs/<config>`` with the tiny random-weight CLIP at 64 px,
    single-process loaders of batch 8, ``epochs`` epochs of AdamW and, with
    ``data_root``, every dataset reading it."""
    cfg = Config.fromfile(os.path.join(REPO_ROOT, 'configs', config))
    cfg.work_dir = str(work_dir)
    cfg.model.clip = dict(TINY_CLIP_64)
    for name in LOADERS:
        loader = cfg.get(name)
        if loader is None:
            continue
        loader.update(
            num_workers=0,
            persistent_workers=False,
            pin_memory=False,
            batch_size=8)
        for dataset in _datasets(loader):
            if 'pipeline' in dataset:
                dataset.pipeline = _small_pipeline(dataset.pipeline)
            if data_root is not None and 'data_root' in dataset:
                dataset.data_root = str(data_root)
    for name in ('train_pipeline', 'test_pipeline'):
        if name in cfg:
            cfg[name] = _small_pipeline(cfg[name])
    cfg.train_cfg.max_epochs = epochs
    cfg.optim_wrapper = dict(
        optimizer=dict(type='AdamW', lr=0.01, weight_decay=0.0))
    cfg.param_scheduler = []
    cfg.default_hooks.logger.interval = 1
    return cfg

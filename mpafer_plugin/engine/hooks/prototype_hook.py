"""Decide when the class prototypes of ``L_v`` are computed, and cache them."""
import os
import os.path as osp
from typing import List, Optional, Sequence

import numpy as np
from mmengine.dataset import Compose
from mmengine.dist import broadcast_object_list, is_main_process
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner
from mmpretrain.registry import HOOKS, TRANSFORMS

from ..prototype_cache import PrototypeCache

# The cache folder: $MPAFER_CACHE/prototypes, by default
# ~/.cache/mpafer_plugin/prototypes (read when the plugin is imported).
DEFAULT_CACHE_DIR = osp.join(
    os.environ.get('MPAFER_CACHE', osp.expanduser('~/.cache/mpafer_plugin')),
    'prototypes')


@HOOKS.register_module()
class PrototypeHook(Hook):
    """Before the first epoch, make the head's prototypes those of the data
    being trained on; :meth:`MPAFER.compute_prototypes` computes them.

    The pass reads the training set the runner built (no second build, no
    second check of its files) with the evaluation pipeline (no
    augmentation), through a loader that :meth:`Runner.build_dataloader`
    builds with a ``DefaultSampler`` (every rank a disjoint shard, no
    padding).

    Prototypes belong to their data: the key of :class:`PrototypeCache`
    (image files by absolute path, size and mtime; labels; class list;
    pipeline; preprocessor; frozen encoder weights) is stored in the meta
    of every checkpoint. Prototypes loaded with a checkpoint (``load_from``,
    ``resume``) are kept only when the checkpoint's key equals the key of
    the current data; otherwise (other data, classes or encoder, or a
    checkpoint without a key) they are replaced from the cache or computed.

    The cache folder is ``cache_dir``, by default ``$MPAFER_CACHE/
    prototypes`` (``~/.cache/mpafer_plugin/prototypes``). Under distributed
    training rank 0 computes the key and reads the cache, and broadcasts
    both; on a miss every rank encodes its shard, and rank 0 alone writes.

    Args:
        pipeline (list[dict], optional): pipeline of the pass; defaults to
            the config's ``test_pipeline``, else the val dataloader's.
        num_per_class (int, optional): use a random subset of at most this
            many images per class; ``None`` = all. Defaults to None.
        seed (int): seed of the subset draw. Defaults to 0.
        batch_size (int): batch size of the pass. Defaults to 64.
        num_workers (int, optional): loader workers; defaults to the train
            dataloader's.
        cache_dir (str, optional): the cache folder (see above).
    """

    priority = 'VERY_HIGH'

    def __init__(self,
                 pipeline: Optional[Sequence[dict]] = None,
                 num_per_class: Optional[int] = None,
                 seed: int = 0,
                 batch_size: int = 64,
                 num_workers: Optional[int] = None,
                 cache_dir: Optional[str] = None):
        if num_per_class is not None and num_per_class < 1:
            raise ValueError(f'num_per_class={num_per_class} must be >= 1.')
        self.pipeline = pipeline
        self.num_per_class = num_per_class
        self.seed = seed
        self.batch_size = batch_size
        self.num_workers = num_workers
        self.cache = PrototypeCache(cache_dir or DEFAULT_CACHE_DIR)
        # The cache key of the head's prototypes: set by this hook, or read
        # from the checkpoint they were loaded with; saved with checkpoints.
        self.key = None

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        self.key = checkpoint.get('meta', {}).get('prototype_key')

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        if self.key is not None:
            checkpoint.setdefault('meta', {})['prototype_key'] = self.key

    def before_train(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        head = model.head
        if getattr(head, 'prototype_align_loss', None) is None:
            runner.logger.info('PrototypeHook: prototype alignment is off.')
            return
        dataset, pipeline = self._dataset(runner)
        classes = list(dataset.metainfo.get('classes') or [])
        if len(classes) != head.num_classes:
            raise ValueError(
                f'The training set has {len(classes)} classes {classes} but '
                f'the head has {head.num_classes} {head.classnames}.')
        # Rank 0 alone computes the key and looks the cache up, and sends
        # what it found, so every rank takes the same branch (the same
        # collectives: no deadlock) and other nodes need no shared disk.
        found = [None, False, None]
        if is_main_process():
            key = self.cache.key(dataset, pipeline,
                                 runner.cfg.model.get('data_preprocessor'),
                                 model.backbone.visual)
            keep = self._keep_loaded(head, key, runner.logger)
            found = [
                key, keep, None if keep else self.cache.load(
                    key, classes, head.prototypes.shape[1])
            ]
        broadcast_object_list(found)
        key, keep, prototypes = found
        if keep:
            return
        if prototypes is None:
            runner.logger.info(f'PrototypeHook: encoding {len(dataset)} '
                               f'training images with the frozen CLIP')
            prototypes = model.compute_prototypes(
                self._dataloader(runner, dataset), classes)
            if is_main_process():
                self.cache.save(key, prototypes, classes)
        head.set_prototypes(prototypes.to(head.prototypes))
        self.key = key

    def _keep_loaded(self, head, key: str, logger) -> bool:
        """Whether the head's prototypes (from a checkpoint) are those of
        the data keyed ``key``."""
        if not bool(head.prototypes_ready):
            return False
        if self.key == key and head.prototypes.isfinite().all():
            logger.info('PrototypeHook: the prototypes loaded with the '
                        'checkpoint are those of this training data; kept.')
            return True
        why = ('has no prototype key (older checkpoint or export)'
               if self.key is None else
               'computed them on other data, classes or encoder weights'
               if self.key != key else 'holds non-finite ones')
        logger.warning(f'PrototypeHook: the checkpoint\'s prototypes are '
                       f'replaced by those of this training data: the '
                       f'checkpoint {why}.')
        return False

    def _dataset(self, runner):
        """The training set as the runner built it, restricted to the
        subset, with the pass's pipeline; and that pipeline."""
        dataset = runner.train_dataloader.dataset
        while not hasattr(dataset, 'pipeline') and hasattr(dataset, 'dataset'):
            dataset = dataset.dataset  # dataset wrappers
        if not hasattr(dataset, 'pipeline'):
            raise TypeError(
                f'PrototypeHook: the training set ({type(dataset).__name__}) '
                f'has no pipeline of its own to replace by the evaluation '
                f'pipeline; train on one dataset (or one wrapped dataset).')
        pipeline = self.pipeline or runner.cfg.get('test_pipeline') or \
            runner.cfg.val_dataloader.dataset.pipeline
        subset = dataset.get_subset(self._subset(dataset))
        subset.pipeline = Compose([TRANSFORMS.build(t) for t in pipeline])
        return subset, pipeline

    def _subset(self, dataset) -> List[int]:
        labels = np.asarray(dataset.get_gt_labels())
        if self.num_per_class is None:
            return list(range(len(labels)))
        rng = np.random.default_rng(self.seed)
        chosen = []
        for label in np.unique(labels):
            members = np.flatnonzero(labels == label)
            chosen.extend(rng.permutation(members)[:self.num_per_class])
        return sorted(int(i) for i in chosen)

    def _dataloader(self, runner, dataset):
        workers = self.num_workers
        if workers is None:
            workers = runner.cfg.train_dataloader.get('num_workers', 0)
        return Runner.build_dataloader(
            dict(
                dataset=dataset,
                sampler=dict(
                    type='DefaultSampler', shuffle=False, round_up=False),
                batch_size=self.batch_size,
                num_workers=workers,
                collate_fn=dict(type='pseudo_collate')),
            seed=runner.seed)

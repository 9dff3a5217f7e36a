"""Compute the class prototypes of ``L_v`` once, before training."""
import copy
import hashlib
import json
import os
import os.path as osp
from typing import List, Optional, Sequence

import numpy as np
import torch
from mmengine.dataset import pseudo_collate
from mmengine.dist import (all_reduce, broadcast_object_list, get_rank,
                           get_world_size, is_main_process)
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmpretrain.registry import DATASETS, HOOKS
from torch.utils.data import DataLoader, Subset

from ...utils import atomic_torch_save, progress_bar

DEFAULT_CACHE_DIR = osp.join(
    os.environ.get('MPAFER_CACHE', osp.expanduser('~/.cache/mpafer_plugin')),
    'prototypes')


def _weights_digest(module: torch.nn.Module) -> str:
    """SHA-1 of a module's state dict (names and bytes)."""
    digest = hashlib.sha1()
    for name, tensor in module.state_dict().items():
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().view(-1).view(
            torch.uint8).numpy().tobytes())
    return digest.hexdigest()


@HOOKS.register_module()
class PrototypeHook(Hook):
    """Set ``p_c`` = mean frozen, un-prompted CLIP global feature of class
    ``c``'s training images (no augmentation), before the first epoch.

    The result is cached on disk under a key made of the training set (its
    config, image list and labels), the evaluation pipeline and
    preprocessor, the subset, and a digest of the image-encoder weights, so
    it is computed once per dataset and backbone. Prototypes restored with a
    checkpoint (resume) are kept as they are. Under distributed training
    rank 0 looks the cache up and broadcasts what it found; on a miss each
    rank encodes a disjoint shard, the sums are all-reduced (every rank ends
    with the same prototypes) and rank 0 alone writes the cache.

    Args:
        pipeline (list[dict], optional): pipeline of the pass; defaults to
            the config's ``test_pipeline``, else the val dataloader's.
        num_per_class (int, optional): use a random subset of at most this
            many images per class; ``None`` = all. Defaults to None.
        seed (int): seed of the subset draw. Defaults to 0.
        batch_size (int): batch size of the pass. Defaults to 64.
        num_workers (int, optional): loader workers; defaults to the train
            dataloader's.
        cache_dir (str, optional): where prototypes are cached; defaults to
            ``$MPAFER_CACHE/prototypes`` (``~/.cache/mpafer_plugin``).
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
        self.cache_dir = cache_dir or DEFAULT_CACHE_DIR

    def before_train(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        head = model.head
        if getattr(head, 'prototype_align_loss', None) is None:
            runner.logger.info('PrototypeHook: prototype alignment is off.')
            return
        if bool(head.prototypes_ready):
            runner.logger.info('PrototypeHook: prototypes restored from the '
                               'checkpoint.')
            return
        dataset_cfg = self._dataset_cfg(runner)
        dataset = DATASETS.build(dataset_cfg)
        classes = dataset.metainfo.get('classes') or []
        if len(classes) != head.num_classes:
            raise ValueError(
                f'The training set has {len(classes)} classes {classes} but '
                f'the head has {head.num_classes} {head.classnames}.')
        indices = self._subset(dataset)
        # Rank 0 alone looks the cache up and sends what it found, so every
        # rank takes the same branch (the same collectives: no deadlock) and
        # other nodes need no shared disk.
        path = cached = None
        if is_main_process():
            key = self._cache_key(dataset_cfg, dataset, indices, runner,
                                  model)
            path = osp.join(self.cache_dir, f'{key}.pth')
            cached = self._load(path, runner.logger)
        found = [cached]
        broadcast_object_list(found)
        prototypes = found[0]
        if prototypes is None:
            prototypes = self._compute(model, dataset, indices, classes,
                                       runner)
            if is_main_process():
                self._save(path, prototypes, classes)
                runner.logger.info(f'PrototypeHook: cached prototypes in '
                                   f'{path}')
        head.set_prototypes(prototypes.to(head.prototypes))

    def _dataset_cfg(self, runner) -> dict:
        cfg = copy.deepcopy(runner.cfg.train_dataloader.dataset)
        while 'pipeline' not in cfg and 'dataset' in cfg:  # dataset wrappers
            cfg = cfg['dataset']
        pipeline = self.pipeline or runner.cfg.get('test_pipeline') or \
            runner.cfg.val_dataloader.dataset.pipeline
        cfg['pipeline'] = copy.deepcopy(pipeline)
        return cfg

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

    def _cache_key(self, dataset_cfg, dataset, indices, runner, model) -> str:
        entries = hashlib.sha1()
        for i in indices:
            info = dataset.get_data_info(i)
            entries.update(f'{info["img_path"]}\t{info["gt_label"]}\n'.encode())
        content = dict(
            dataset=str(dataset_cfg),
            entries=entries.hexdigest(),
            preprocessor=str(runner.cfg.model.get('data_preprocessor')),
            backbone=type(model.backbone).__name__,
            weights=_weights_digest(model.backbone.visual))
        blob = json.dumps(content, sort_keys=True).encode()
        return hashlib.sha1(blob).hexdigest()[:20]

    @torch.no_grad()
    def _compute(self, model, dataset, indices, classes,
                 runner) -> torch.Tensor:
        shard = indices[get_rank()::get_world_size()]
        workers = self.num_workers
        if workers is None:
            workers = runner.cfg.train_dataloader.get('num_workers', 0)
        loader = DataLoader(Subset(dataset, shard), self.batch_size,
                            num_workers=workers, collate_fn=pseudo_collate)
        device = next(model.parameters()).device
        dim = model.head.prototypes.shape[1]
        sums = torch.zeros(len(classes), dim, device=device,
                           dtype=torch.float64)
        counts = torch.zeros(len(classes), device=device, dtype=torch.float64)
        runner.logger.info(f'PrototypeHook: encoding {len(indices)} training '
                           f'images with the frozen CLIP')
        progress = progress_bar(len(shard), 'PrototypeHook', 'current') \
            if is_main_process() else None
        was_training = model.training
        model.eval()
        for batch in loader:
            data = model.data_preprocessor(batch, False)
            _, feats = model.backbone(data['inputs'], use_prompts=False)
            labels = torch.cat([s.gt_label for s in data['data_samples']
                                ]).to(device)
            sums.index_add_(0, labels, feats.double())
            counts.index_add_(0, labels,
                              torch.ones_like(labels, dtype=sums.dtype))
            if progress is not None:
                progress.update(len(labels))
        model.train(was_training)
        all_reduce(sums, op='sum')
        all_reduce(counts, op='sum')
        empty = [classes[i] for i in torch.nonzero(counts == 0).flatten()]
        if empty:
            raise ValueError(f'PrototypeHook: no training image of class(es)'
                             f' {empty}; cannot build their prototypes.')
        return (sums / counts.unsqueeze(1)).float().cpu()

    @staticmethod
    def _load(path: str, logger) -> Optional[torch.Tensor]:
        """The cached prototypes, or ``None`` when there is no readable cache
        file (an unreadable one is recomputed and overwritten)."""
        if not osp.isfile(path):
            return None
        try:
            prototypes = torch.load(path, map_location='cpu',
                                    weights_only=True)['prototypes']
        except Exception as err:  # noqa: BLE001  any damage: recompute
            logger.warning(f'PrototypeHook: cannot read the cached '
                           f'prototypes {path} ({err!r}); computing them '
                           f'again.')
            return None
        logger.info(f'PrototypeHook: loaded cached prototypes {path}')
        return prototypes

    @staticmethod
    def _save(path: str, prototypes: torch.Tensor, classes) -> None:
        """Write atomically, so an interrupted run leaves no half file."""
        atomic_torch_save(
            dict(prototypes=prototypes, classes=list(classes)), path)

"""Test-only hook for tests/tools/test_dist_train.py, imported by the
launched ranks through ``custom_imports``: each rank writes what it saw."""
import os.path as osp

import torch
from mmengine.dist import get_rank, get_world_size
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmpretrain.registry import HOOKS

from mpafer_plugin.engine.hooks import PrototypeHook


@HOOKS.register_module()
class DistProbeHook(Hook):
    """Writes ``probe_rank{r}.pth`` in the work dir: the trainable tensors
    before and after training, the image paths of every training batch,
    the prototypes, and the prototypes of a second :class:`PrototypeHook`
    pass (a cache hit, after rank 0 wrote the cache)."""

    priority = 'LOW'  # after PrototypeHook

    def before_train(self, runner) -> None:
        model = self._model(runner)
        self.record = dict(
            rank=get_rank(),
            world_size=get_world_size(),
            initial=self._trainable(model),
            img_paths=[],
            prototypes=model.head.prototypes.clone())
        model.head.prototypes.zero_()
        model.head.prototypes_ready.fill_(False)
        hook = next(h for h in runner.hooks if isinstance(h, PrototypeHook))
        hook.before_train(runner)
        self.record['cached_prototypes'] = model.head.prototypes.clone()

    def after_train_iter(self,
                         runner,
                         batch_idx,
                         data_batch=None,
                         outputs=None) -> None:
        self.record['img_paths'] += [
            s.img_path for s in data_batch['data_samples']
        ]

    def after_train(self, runner) -> None:
        self.record['final'] = self._trainable(self._model(runner))
        torch.save(self.record,
                   osp.join(runner.work_dir, f'probe_rank{get_rank()}.pth'))

    @staticmethod
    def _model(runner):
        model = runner.model
        return model.module if is_model_wrapper(model) else model

    @staticmethod
    def _trainable(model) -> dict:
        return {
            name: param.detach().clone()
            for name, param in model.named_parameters() if param.requires_grad
        }

"""Where a run's wall-clock time goes, epoch by epoch, in ``timing.json``."""
import json
import os.path as osp
import time
from typing import Optional

import torch
from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmpretrain.registry import HOOKS

from ...utils import atomic_write


@HOOKS.register_module()
class EpochTimingHook(Hook):
    """Write where the wall-clock time goes to ``<log_dir>/timing.json``
    (rank 0), after every train and val epoch.

    With the lowest priority its marks fall after every other hook's work
    at the same point:

    * ``before_train_s``: ``before_run`` to the end of ``before_train``:
      weight init, resume and the ``before_train`` hooks, i.e. the
      prototype pass of :class:`PrototypeHook` (or loading its cache);
    * per epoch, ``train_s``: ``before_train_epoch`` to the end of the last
      iteration (loader start-up included), with ``iterations``, ``images``
      and ``images_per_s = images / train_s``; ``data_wait_s`` and
      ``iter_s``: the sums of :class:`~mmengine.hooks.IterTimerHook`'s
      ``data_time`` (waiting for the loader) and ``time`` (the whole
      iteration) over the epoch, ``data_wait_fraction`` their ratio;
    * ``after_epoch_s``: end of the last iteration to the end of
      ``after_train_epoch``, i.e. the epoch checkpoint
      (:class:`~mmengine.hooks.CheckpointHook`);
    * ``val_s`` and ``val_images``: ``before_val_epoch`` to the end of
      ``after_val_epoch`` (the loader, the forward passes, the metrics and
      the best checkpoint when it improved);
    * ``max_memory_mib``: the peak of CUDA memory allocated (``None`` on
      CPU).

    Add it with ``default_hooks.timing=dict(type='EpochTimingHook')``, or
    ``--cfg-options default_hooks.timing.type=EpochTimingHook``.
    """

    priority = 'LOWEST'

    def __init__(self) -> None:
        self.timing = dict(before_train_s=None, epochs=[], max_memory_mib=None)
        self._mark = self._last_iter_end = None
        self._epoch: Optional[dict] = None  # the current epoch's record
        self._val = dict(val_images=0)

    def before_run(self, runner) -> None:
        self._mark = time.perf_counter()

    def before_train(self, runner) -> None:
        self.timing['before_train_s'] = time.perf_counter() - self._mark

    def before_train_epoch(self, runner) -> None:
        self._epoch = dict(
            epoch=runner.epoch + 1,
            iterations=0,
            images=0,
            data_wait_s=0.0,
            iter_s=0.0)
        self.timing['epochs'].append(self._epoch)
        self._mark = time.perf_counter()

    def after_train_iter(self,
                         runner,
                         batch_idx,
                         data_batch=None,
                         outputs=None) -> None:
        self._last_iter_end = time.perf_counter()
        hub, epoch = runner.message_hub, self._epoch
        epoch['iterations'] += 1
        epoch['images'] += len(data_batch['inputs'])
        epoch['data_wait_s'] += hub.get_scalar('train/data_time').current()
        epoch['iter_s'] += hub.get_scalar('train/time').current()

    def after_train_epoch(self, runner) -> None:
        now, epoch = time.perf_counter(), self._epoch
        epoch['train_s'] = self._last_iter_end - self._mark
        epoch['images_per_s'] = epoch['images'] / epoch['train_s']
        epoch['data_wait_fraction'] = (epoch['data_wait_s'] / epoch['iter_s'])
        epoch['after_epoch_s'] = now - self._last_iter_end
        self._write(runner)

    def before_val_epoch(self, runner) -> None:
        self._val = dict(val_images=0)
        self._mark = time.perf_counter()

    def after_val_iter(self,
                       runner,
                       batch_idx,
                       data_batch=None,
                       outputs=None) -> None:
        self._val['val_images'] += len(data_batch['inputs'])

    def after_val_epoch(self, runner, metrics=None) -> None:
        self._val['val_s'] = time.perf_counter() - self._mark
        if self._epoch is None:  # a val-only run
            self.timing['epochs'].append(dict(epoch=None))
            self._epoch = self.timing['epochs'][-1]
        self._epoch.update(self._val)
        self._write(runner)

    def _write(self, runner) -> None:
        if torch.cuda.is_available():
            self.timing['max_memory_mib'] = \
                torch.cuda.max_memory_allocated() / 2**20
        if not is_main_process():
            return
        text = json.dumps(self.timing, indent=2)

        def write(path):
            with open(path, 'w') as f:
                f.write(text)

        atomic_write(osp.join(runner.log_dir, 'timing.json'), write)

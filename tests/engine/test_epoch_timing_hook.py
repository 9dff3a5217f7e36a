"""EpochTimingHook attributes time to the right phase: a run whose loader,
checkpoint and setup are slowed by known sleeps reports them there."""
import json
import time

from mmengine.hooks import Hook
from mmengine.runner import Runner
from mmpretrain.registry import HOOKS

from ..conftest import quickstart_cfg

DATA_SLEEP, SAVE_SLEEP, SETUP_SLEEP = 0.05, 0.3, 0.2


@HOOKS.register_module(force=True)
class SlowPhasesHook(Hook):
    """Sleeps where data loading (before IterTimerHook reads the data
    time), the epoch checkpoint and the prototype pass happen."""

    priority = 'VERY_HIGH'

    def before_train(self, runner):
        time.sleep(SETUP_SLEEP)

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        time.sleep(DATA_SLEEP)

    def after_train_epoch(self, runner):
        time.sleep(SAVE_SLEEP)


def test_phases_land_where_they_happen(tmp_path, synthetic_rafdb):
    cfg = quickstart_cfg(tmp_path, synthetic_rafdb)
    cfg.train_cfg.max_epochs = 1
    cfg.train_dataloader.dataset.indices = 20  # 3 iterations of 8
    cfg.val_dataloader.dataset.indices = 6
    cfg.default_hooks.timing = dict(type='EpochTimingHook')
    cfg.custom_hooks.append(dict(type='SlowPhasesHook'))
    runner = Runner.from_cfg(cfg)
    runner.train()
    with open(f'{runner.log_dir}/timing.json') as f:
        timing = json.load(f)

    assert timing["before_train_s"] >= SETUP_SLEEP
    assert timing['max_memory_mib'] is None  # CPU
    (epoch, ) = timing['epochs']
    assert epoch['epoch'] == 1
    assert epoch['images'] == 20 and epoch['iterations'] == 3
    assert epoch['val_images'] == 6 and epoch['val_s'] > 0
    assert epoch['data_wait_s'] >= DATA_SLEEP * epoch['iterations']
    assert 0 < epoch['data_wait_fraction'] < 1
    assert epoch['data_wait_fraction'] == \
        epoch['data_wait_s'] / epoch['iter_s']
    assert epoch['iter_s'] <= epoch['train_s'] * 1.05
    assert epoch['images_per_s'] == epoch['images'] / epoch['train_s']
    # the sleep, plus the real checkpoint, land after the last iteration,
    # not in the training time (which would then exceed the iterations'
    # time by the sleep); they may take longer than the 3 short iterations
    assert SAVE_SLEEP <= epoch['after_epoch_s']
    assert epoch['train_s'] < epoch['iter_s'] + SAVE_SLEEP

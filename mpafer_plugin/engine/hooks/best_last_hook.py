"""Report the last-epoch and the best-epoch value of every metric, and on
which split the best one was selected."""
import json
import math
import os.path as osp
from typing import Dict, Optional

from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmpretrain.registry import HOOKS

from ...compat import runner_checkpoint_request
from ...utils import atomic_write

META_KEY = 'best_last'
TRAIN_FILE = 'best_last.json'
TEST_FILE = 'test_best_last.json'
LOWER_IS_BETTER = ('rmse', 'loss', 'error')


def _scalars(metrics: Optional[Dict]) -> Dict[str, float]:
    return {
        name: float(value)
        for name, value in (metrics or {}).items()
        if isinstance(value, (int, float)) and not isinstance(value, bool)
    }


def better(name: str, new: float, old: float) -> bool:
    """Whether ``new`` beats ``old`` for metric ``name``: lower for names
    holding ``rmse``, ``loss`` or ``error``, higher otherwise; NaN never
    beats a number, and a tie keeps the earlier epoch."""
    if math.isnan(new):
        return False
    if math.isnan(old):
        return True
    lower = any(word in name.lower() for word in LOWER_IS_BETTER)
    return new < old if lower else new > old


def describe_split(loader) -> str:
    """``'RAFDB test'``, ``'RAFDB train, held-out part val (ratio 0.1,
    seed 0)'``…: the dataset a loader evaluates."""
    dataset = getattr(loader, 'dataset', None)
    text = f'{type(dataset).__name__} {getattr(dataset, "split", "")}'.strip()
    holdout = getattr(dataset, 'holdout', None)
    if holdout:
        text += (f', held-out part {holdout["part"]} (ratio '
                 f'{holdout["ratio"]}, seed {holdout["seed"]})')
    return text


@HOOKS.register_module()
class BestLastHook(Hook):
    """Track, for every scalar metric of the validations of a training run,
    its **last** value (the last epoch's) and its **best** value (and
    epoch), and say which split selected the best one.

    FER repositories often report the best epoch *on the test split*, an
    optimistic number; this hook reports both, labelled:

    * after each validation it logs ``<metric>: last X (epoch e) | best Y
      (epoch b)`` and writes ``<work_dir>/best_last.json``::

        {"selection_split": "RAFDB test",
         "selection_is_test_split": true,
         "metrics": {"accuracy/top1": {"last": .., "last_epoch": ..,
                                        "best": .., "best_epoch": ..}},
         "epochs": {"1": {...}, ...}}

      ``selection_is_test_split`` is true when the validation loader's
      dataset is the test loader's (the configs' default): the *best* value
      was then chosen on the data it is reported on, the *last* one was
      not. A held-out validation split (:func:`StratifiedHoldout`) makes it
      false.
    * the record rides in every checkpoint (``meta['best_last']``), so a
      resumed run continues it, and a test of a checkpoint
      (``tools/test.py``) writes ``<work_dir>/test_best_last.json``: the
      test metrics, the checkpoint's epoch, whether it is the ``last`` or
      the ``best`` one (``best_*.pth``) and the training record (the
      ``best_last.json`` beside the checkpoint, else the checkpoint's).

    Lower is better for metrics named ``*rmse*``, ``*loss*``, ``*error*``,
    higher for the others.
    """

    priority = 'LOW'
    # it reads the run and changes nothing of it: a ladder record made
    # without it is the same run (tools/analysis_tools/ablation_ladder.py)
    observes_only = True

    def __init__(self):
        self.record = dict(metrics={}, epochs={})
        self._loaded_meta: dict = {}

    # ------------------------------------------------------------ training
    def after_val_epoch(self, runner, metrics=None) -> None:
        values = _scalars(metrics)
        if not values:
            return
        epoch = runner.epoch
        test_cfg = runner.cfg.get('test_dataloader')
        val_cfg = runner.cfg.get('val_dataloader')
        self.record['selection_split'] = describe_split(runner.val_dataloader)
        self.record['selection_is_test_split'] = bool(
            test_cfg is not None and val_cfg is not None
            and val_cfg.get('dataset') == test_cfg.get('dataset'))
        self.record['epochs'][str(epoch)] = values
        lines = []
        for name, value in values.items():
            entry = self.record['metrics'].setdefault(
                name, dict(best=value, best_epoch=epoch))
            if better(name, value, entry['best']):
                entry.update(best=value, best_epoch=epoch)
            entry.update(last=value, last_epoch=epoch)
            lines.append(f'{name}: last {value:.4g} (epoch {epoch}) | best '
                         f'{entry["best"]:.4g} (epoch {entry["best_epoch"]})')
        where = self.record['selection_split'] + (
            ' = the test split: the best values are optimistic'
            if self.record['selection_is_test_split'] else '')
        runner.logger.info(f'BestLastHook (best selected on {where}):\n  ' +
                           '\n  '.join(lines))
        self._write(runner, TRAIN_FILE, self.record)

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint.setdefault('meta', {})[META_KEY] = self.record

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        meta = checkpoint.get('meta', {})
        self._loaded_meta = dict(meta)
        _, resume = runner_checkpoint_request(runner)
        if resume and meta.get(META_KEY):
            self.record = meta[META_KEY]

    # ------------------------------------------------------------- testing
    def after_test_epoch(self, runner, metrics=None) -> None:
        values = _scalars(metrics)
        if not values:
            return
        load_from, _ = runner_checkpoint_request(runner)
        meta = self._loaded_meta
        epoch = meta.get('epoch')
        training, source = self._training_record(load_from, meta)
        max_epochs = (runner.cfg.get('train_cfg') or {}).get('max_epochs')
        name = osp.basename(load_from) if load_from else None
        if name and name.startswith('best_'):
            kind = 'best'
        elif epoch is not None and epoch == max_epochs:
            kind = 'last'
        elif epoch is not None:
            kind = f'epoch {epoch} of {max_epochs}'
        else:
            kind = 'unknown (no training checkpoint)'
        result = dict(
            checkpoint=load_from,
            checkpoint_epoch=epoch,
            checkpoint_is=kind,
            test_split=describe_split(runner.test_dataloader),
            runtime_classes=runner.message_hub.get_info('runtime_classes'),
            metrics=values,
            training=training,
            training_record_from=source)
        runner.logger.info(
            f'BestLastHook: test metrics of {name or "the model"} '
            f'(checkpoint: {kind}); the training run\'s last and best '
            f'validation values are in {TEST_FILE}.')
        self._write(runner, TEST_FILE, result)

    @staticmethod
    def _training_record(load_from: Optional[str], meta: dict):
        """The training run's record and where it came from: the
        ``best_last.json`` beside the checkpoint (complete), else the
        checkpoint's meta (a checkpoint is saved before its epoch's
        validation, so that record ends one validation earlier)."""
        beside = osp.join(osp.dirname(load_from), TRAIN_FILE) \
            if load_from else None
        if beside and osp.isfile(beside):
            with open(beside, encoding='utf-8') as f:
                return json.load(f), beside
        if meta.get(META_KEY):
            return meta[META_KEY], 'checkpoint meta (validations before ' \
                'the checkpoint was saved)'
        return {}, None

    @staticmethod
    def _write(runner, file: str, content: dict) -> None:
        if not is_main_process():
            return
        path = osp.join(runner.work_dir, file)

        def write(tmp):
            with open(tmp, 'w', encoding='utf-8') as f:
                json.dump(content, f, indent=2)

        atomic_write(path, write)

"""Lean, self-describing training checkpoints, checked before use."""
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmpretrain.registry import HOOKS

from ...compat import runner_checkpoint_request, set_runner_checkpoint
from ..checkpoint_contract import (newest_valid_checkpoint, stamp_checkpoint,
                                   verify_checkpoint)


@HOOKS.register_module()
class CheckpointContractHook(Hook):
    """Apply :mod:`mpafer_plugin.engine.checkpoint_contract` to the
    Runner's checkpoints.

    * ``before_run``: ``resume=True`` without a file (``tools/train.py
      --resume``) resumes from the newest *valid* ``epoch_N.pth`` of the
      Runner's work dir (not from the absolute path MMEngine's
      ``last_checkpoint`` holds, which points into the original folder of a
      copied work dir and at deleted files).
    * ``before_save_checkpoint``: records ``meta['mpafer']`` and leaves the
      frozen CLIP weights out when the CLIP spec can rebuild them.
    * ``after_load_checkpoint`` (``load_from``, ``--resume``,
      ``tools/test.py``): refuses, naming the file, a checkpoint that is
      corrupt or does not fit the model, the classes, the CLIP or (to
      resume) the optimizer.
    """

    priority = 'VERY_HIGH'

    def __init__(self):
        self._fingerprint = None  # the frozen weights never change

    def before_run(self, runner) -> None:
        load_from, resume = runner_checkpoint_request(runner)
        if resume and load_from is None:
            newest = newest_valid_checkpoint(runner.work_dir, runner.logger)
            if newest is None:
                runner.logger.warning(
                    f'--resume: no epoch_N.pth / iter_N.pth in '
                    f'{runner.work_dir}; training starts from scratch.')
            set_runner_checkpoint(runner, newest, resume=newest is not None)

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        model = self._model(runner)
        if model is None:
            return
        if self._fingerprint is None and model.clip_spec.get('pretrained'):
            self._fingerprint = model.frozen_fingerprint()
        stamp_checkpoint(model, checkpoint, runner.optim_wrapper,
                         self._fingerprint)

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        if self._model(runner) is None:
            return
        load_from, resume = runner_checkpoint_request(runner)
        verify_checkpoint(
            runner.model,
            checkpoint,
            load_from,
            resume=resume,
            optim_wrapper=runner.optim_wrapper)

    @staticmethod
    def _model(runner):
        """The MPA-FER model of ``runner``, or ``None`` for other models
        (left to MMEngine)."""
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        return model if hasattr(model, 'frozen_fingerprint') else None

"""Lean, self-describing training checkpoints, checked before use."""
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmpretrain.registry import HOOKS

from ...compat import runner_checkpoint_request, set_runner_checkpoint
from ..checkpoint_contract import (last_checkpoint_of_run, stamp_checkpoint,
                                   verify_checkpoint)


@HOOKS.register_module()
class CheckpointContractHook(Hook):
    """Apply :mod:`mpafer_plugin.engine.checkpoint_contract` to the
    Runner's checkpoints.

    * ``before_run``: ``resume=True`` without a file (``tools/train.py
      --resume``) resumes from the run's own last checkpoint, the one the
      work dir's ``last_checkpoint`` names, looked up in this work dir (a
      copied work dir resumes its copy); where that is missing or corrupt,
      from the newest *valid* ``epoch_N.pth``, saying which and why
      (:func:`last_checkpoint_of_run`).
    * ``before_save_checkpoint`` also records the run's model, optimizer
      and schedule settings; a resume whose config differs in them is
      refused, naming every differing key.
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
            newest = last_checkpoint_of_run(runner.work_dir, runner.logger)
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
        stamp_checkpoint(
            model,
            checkpoint,
            runner.optim_wrapper,
            self._fingerprint,
            config=runner.cfg)

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        if self._model(runner) is None:
            return
        load_from, resume = runner_checkpoint_request(runner)
        verify_checkpoint(
            runner.model,
            checkpoint,
            load_from,
            resume=resume,
            optim_wrapper=runner.optim_wrapper,
            config=runner.cfg)

    @staticmethod
    def _model(runner):
        """The MPA-FER model of ``runner``, or ``None`` for other models
        (left to MMEngine)."""
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        return model if hasattr(model, 'frozen_fingerprint') else None

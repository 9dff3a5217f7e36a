"""Test-only hook (imported by the resume test's config through
``custom_imports``): SIGKILL the training process after a given iteration,
as a power cut or an OOM killer would."""
import os
import signal

from mmengine.hooks import Hook
from mmpretrain.registry import HOOKS


@HOOKS.register_module()
class KillAtIterHook(Hook):
    """Kill the process after global (0-based) iteration ``iteration``."""

    def __init__(self, iteration: int):
        self.iteration = iteration

    def after_train_iter(self,
                         runner,
                         batch_idx,
                         data_batch=None,
                         outputs=None) -> None:
        if runner.iter == self.iteration:
            os.kill(os.getpid(), signal.SIGKILL)

"""MMEngine 0.10.7 ``Runner``: the checkpoint it will load.

``Runner`` keeps the file to load and whether to resume in private
attributes (``_load_from``, ``_resume``) with no public accessor; its
``load_or_resume`` reads them after the hooks' ``before_run``, so a hook
can redirect it there. Used by ``CheckpointContractHook``.

``Runner.epoch`` (and ``iter``, ``max_epochs``) *builds* the train loop,
and with it the training dataset, when it is still a config: a hook that
reads it after a test (``tools/test.py``) needs the training split on disk.
:func:`built_train_loop_epoch` reads the epoch without building anything
(MMEngine's ``LogProcessor`` does the same through ``_train_loop``).
"""
from typing import Optional, Tuple


def runner_checkpoint_request(runner) -> Tuple[Optional[str], bool]:
    """``(load_from, resume)`` of ``runner``: the file it loads (``None``:
    none, or the newest one of its work dir when resuming) and whether it
    resumes."""
    return runner._load_from, bool(runner._resume)


def set_runner_checkpoint(runner, load_from: Optional[str],
                          resume: bool) -> None:
    """Make ``runner`` load (``resume=False``) or resume from
    ``load_from`` (``None``: nothing) at its next ``load_or_resume``."""
    runner._load_from, runner._resume = load_from, resume


def built_train_loop_epoch(runner) -> int:
    """The epoch of ``runner``'s train loop if it has been built (training,
    resuming), else 0 (a test or inference run): the training data is never
    built for it."""
    loop = getattr(runner, '_train_loop', None)
    if loop is None or isinstance(loop, dict):
        return 0
    return loop.epoch

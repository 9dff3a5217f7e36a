"""MMEngine 0.10.7 ``Runner``: the checkpoint it will load.

``Runner`` keeps the file to load and whether to resume in private
attributes (``_load_from``, ``_resume``) with no public accessor; its
``load_or_resume`` reads them after the hooks' ``before_run``, so a hook
can redirect it there. Used by ``CheckpointContractHook``.
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

"""Every place this plugin relies on a private or version-specific detail
of its dependencies, each documented and tested on its own
(``tests/test_compat.py``). When a dependency changes, this is the one
file to read.

MMEngine 0.10.7 ``Runner``:
    :func:`runner_checkpoint_request` / :func:`set_runner_checkpoint` read
    and set the checkpoint the Runner will load (``Runner._load_from``,
    ``Runner._resume``; no public accessor exists). Used by
    :class:`~mpafer_plugin.engine.hooks.CheckpointContractHook`.
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

"""Write a file, or a set of files and folders, so that an interrupted run
never leaves half of it, nor a mix of two runs."""
import os
import os.path as osp
import shutil
import stat
import sys
import uuid
from typing import Callable

import torch


def _create_like_open(path: str, tmp: str) -> None:
    """Create ``tmp`` with the mode ``open(path, 'w')`` would leave
    ``path`` with: that of ``path`` if it exists, else 0o666 less the
    umask (``os.open`` applies it; ``tempfile.mkstemp`` would give 0o600)."""
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    if osp.exists(path):
        os.chmod(tmp, stat.S_IMODE(os.stat(path).st_mode))


def atomic_write(path: str, write: Callable[[str], None]) -> None:
    """Call ``write(tmp)`` on a temporary file in ``path``'s folder (created
    if needed), then rename it to ``path`` atomically. If ``write`` raises,
    ``path`` is left as it was and the temporary file is removed. The file
    gets the mode a plain ``open(path, 'w')`` would give it."""
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    tmp = osp.join(folder, f'.{osp.basename(path)}.{uuid.uuid4().hex}.tmp')
    _create_like_open(path, tmp)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)


def _torch_save_stable(obj, tmp: str) -> None:
    # Through a file object: torch names the records inside the zip archive
    # 'archive/...' then, not after the (random) temporary file's name, so
    # equal objects give byte-identical files.
    with open(tmp, 'wb') as f:
        torch.save(obj, f)


def atomic_torch_save(obj, path: str) -> None:
    """``torch.save(obj, path)`` through :func:`atomic_write`; the same
    ``obj`` gives the same bytes whatever ``path`` and the temporary file
    are called."""
    atomic_write(path, lambda tmp: _torch_save_stable(obj, tmp))


class StagedOutputs:
    """A set of outputs (files and folders) written under a temporary
    folder and moved into place together at the end, so that a run that is
    killed or crashes leaves the previous complete set as it was, and a run
    that ends leaves its own set only.

    ``folder/.staging-<uuid>/`` receives the outputs (``path(name)``);
    :meth:`commit` moves each of ``names`` into ``folder`` (a folder such as
    ``vis/`` is swapped as a whole: the old one is renamed aside, the new
    one renamed in, the old one deleted) and deletes every one of ``names``
    that this run did not write, so nothing of an earlier run stays beside
    the new results; it returns those deleted, for the caller to say.
    :meth:`discard` deletes the staging folder, first moving the files in
    ``keep`` (e.g. the rows of a crashed run) into ``folder``.

    Only ``names`` are touched in ``folder``; other files there are left
    alone. A staging folder left by a killed run is listed by
    :meth:`leftovers`.
    """

    PREFIX = '.staging-'

    def __init__(self, folder: str, names):
        self.given = folder  # as the user wrote it, for messages
        self.folder = osp.abspath(folder)
        self.names = list(names)
        os.makedirs(self.folder, exist_ok=True)
        self.stage = osp.join(self.folder, f'{self.PREFIX}{uuid.uuid4().hex}')
        os.makedirs(self.stage)

    @classmethod
    def leftovers(cls, folder: str):
        """Staging folders of earlier runs that were killed."""
        if not osp.isdir(folder):
            return []
        return sorted(
            osp.join(folder, name) for name in os.listdir(folder)
            if name.startswith(cls.PREFIX))

    @staticmethod
    def output_paths(folder: str, names, option: str = '--out'):
        """``{"<option>'s <name>": path}`` for each of ``names`` in
        ``folder``, and ``{option: folder}``: the outputs to hand to
        :func:`~mpafer_plugin.utils.output_guard.guard_outputs` before the
        run stages anything."""
        outputs = {
            f"{option}'s {name}": osp.join(folder, name)
            for name in names
        }
        outputs[option] = folder
        return outputs

    @classmethod
    def say_leftovers(cls, folder: str) -> None:
        """Print (stderr) a note on each staging folder of a killed run
        in ``folder``; they are left for the user (they hold its rows)."""
        for leftover in cls.leftovers(folder):
            print(
                f'note: {leftover} holds the outputs of an earlier run into '
                f'{folder} that was killed; delete it when you no longer '
                f'need it.',
                file=sys.stderr)

    def path(self, name: str) -> str:
        """Where to write output ``name`` (staged)."""
        return osp.join(self.stage, name)

    def commit(self):
        """Move the staged outputs into place; return the names of earlier
        outputs deleted because this run did not write them."""
        stale = []
        for name in self.names:
            new, old = self.path(name), osp.join(self.folder, name)
            if osp.lexists(new):
                _replace(new, old)
            elif osp.lexists(old):
                _remove(old)
                stale.append(name)
        shutil.rmtree(self.stage, ignore_errors=True)
        return stale

    def say_removed(self, stale, run: str = 'run', indent: str = '') -> None:
        """Print (stdout) the earlier outputs that :meth:`commit` deleted
        (``stale``, its return value), if any; ``run`` names what wrote
        them (``'run'``, ``'export'``)."""
        if stale:
            print(f'{indent}removed from {self.given} what an earlier {run} '
                  f'left and this one did not write: '
                  f'{", ".join(sorted(stale))}')

    def discard(self, keep=()) -> None:
        for name in keep:
            if osp.lexists(self.path(name)):
                _replace(self.path(name), osp.join(self.folder, name))
        shutil.rmtree(self.stage, ignore_errors=True)


def _remove(path: str) -> None:
    if osp.isdir(path) and not osp.islink(path):
        shutil.rmtree(path)
    else:
        os.remove(path)


def _replace(new: str, old: str) -> None:
    """Put ``new`` at ``old``; a folder is swapped by two renames."""
    if osp.isdir(new) and osp.lexists(old):
        aside = f'{old}.{uuid.uuid4().hex}.old'
        os.rename(old, aside)
        os.rename(new, old)
        _remove(aside)
    else:
        if osp.isdir(old) and not osp.islink(old):
            shutil.rmtree(old)
        os.replace(new, old)

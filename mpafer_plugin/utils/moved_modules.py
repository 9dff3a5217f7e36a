"""Old import paths of moved modules, kept importable with a warning.

:func:`alias_moved_modules` maps each old dotted name to the module that
now holds the code: ``import old.name`` (or ``from old.name import X``)
imports the new module, registers it in ``sys.modules`` under the old name
too (so it is the same module object: monkeypatching either name patches
both) and warns with a :class:`FutureWarning` naming the new path. No file
is left at the old path, so the move stays a pure rename in git history.
"""
import importlib
import importlib.abc
import importlib.util
import sys
import warnings
from typing import Dict


class _MovedModuleLoader(importlib.abc.Loader):

    def __init__(self, old: str, new: str):
        self.old, self.new = old, new

    def create_module(self, spec):
        warnings.warn(
            f'{self.old} moved to {self.new}; the old path will be removed '
            f'in a later release (see CHANGELOG.md).',
            FutureWarning,
            stacklevel=2)  # importlib's own frames are skipped
        return importlib.import_module(self.new)

    def exec_module(self, module):
        pass  # already executed when imported under its new name


class _MovedModuleFinder(importlib.abc.MetaPathFinder):

    def __init__(self, moved: Dict[str, str]):
        self.moved = moved

    def find_spec(self, fullname, path=None, target=None):
        new = self.moved.get(fullname)
        if new is None:
            return None
        return importlib.util.spec_from_loader(
            fullname, _MovedModuleLoader(fullname, new))


def alias_moved_modules(moved: Dict[str, str]) -> None:
    """Make each old dotted name of ``moved`` (``{old: new}``) import its
    new module with a :class:`FutureWarning` (see the module doc)."""
    sys.meta_path.insert(0, _MovedModuleFinder(dict(moved)))


def moved_attribute(package: str, moved: Dict[str, str], name: str):
    """Module ``__getattr__`` body for names that left ``package``: the
    attribute ``name`` of the module ``moved[name]``, with a
    :class:`FutureWarning`; :class:`AttributeError` for any other name."""
    if name not in moved:
        raise AttributeError(f'module {package!r} has no attribute {name!r}')
    warnings.warn(
        f'{package}.{name} moved to {moved[name]}.{name}; import it from '
        f'there (the old name will be removed in a later release, see '
        f'CHANGELOG.md).',
        FutureWarning,
        stacklevel=3)
    return getattr(importlib.import_module(moved[name]), name)

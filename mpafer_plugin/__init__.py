"""MPA-FER for MMPretrain: importing this package registers every component
in ``mmpretrain.registry`` (use ``custom_imports=dict(imports=
['mpafer_plugin'])`` in any mm config)."""
from .engine import register_local_checkpoint_loader, register_safe_globals
from .version import __version__

from . import apis, datasets, engine, evaluation, models  # noqa: F401,E402  isort:skip

register_safe_globals()
register_local_checkpoint_loader()

__all__ = ['__version__']

"""MPA-FER for MMPretrain: importing this package registers every component
in ``mmpretrain.registry`` (use ``custom_imports=dict(imports=
['mpafer_plugin'])`` in any mm config)."""
from . import compat
from .version import __version__

from . import apis, datasets, engine, evaluation, models  # noqa: F401,E402  isort:skip

compat.install()

__all__ = ['__version__']

"""MPA-FER for MMPretrain: importing this package registers every component
in ``mmpretrain.registry`` (use ``custom_imports=dict(imports=
['mpafer_plugin'])`` in any mm config)."""
from . import compat
from .version import __version__

# isort: split
from . import apis, datasets, engine, evaluation  # noqa: F401,E402

# isort: split
from . import export, faces, models  # noqa: F401,E402

compat.install()

__all__ = ['__version__']

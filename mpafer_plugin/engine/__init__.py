from .checkpoint_safety import register_safe_globals
from .hooks import *  # noqa: F401,F403
from .optimizers import *  # noqa: F401,F403

__all__ = ['register_safe_globals']

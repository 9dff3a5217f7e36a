from .checkpoint_safety import (UnsafeCheckpointError,
                                register_local_checkpoint_loader,
                                register_safe_globals)
from .hooks import *  # noqa: F401,F403
from .optimizers import *  # noqa: F401,F403

__all__ = [
    'UnsafeCheckpointError', 'register_local_checkpoint_loader',
    'register_safe_globals'
]

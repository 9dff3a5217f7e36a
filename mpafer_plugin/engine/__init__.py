from ..compat import (UnsafeCheckpointError, register_local_checkpoint_loader,
                      register_safe_globals)
from .checkpoint_contract import stamp_checkpoint, verify_checkpoint
from .hooks import *  # noqa: F401,F403
from .optimizers import *  # noqa: F401,F403

__all__ = [
    'UnsafeCheckpointError', 'register_local_checkpoint_loader',
    'register_safe_globals', 'stamp_checkpoint', 'verify_checkpoint'
]

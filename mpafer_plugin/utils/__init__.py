from .atomic_save import atomic_torch_save, atomic_write
from .checkpoint_file import (CheckpointError, CheckpointFileError,
                              UnsafeCheckpointError, read_checkpoint,
                              read_torch_file)
from .progress import LogProgress, progress_bar
from .provenance import git_commit, provenance

__all__ = [
    'atomic_torch_save', 'atomic_write', 'CheckpointError',
    'CheckpointFileError', 'git_commit', 'LogProgress', 'progress_bar',
    'provenance', 'read_checkpoint', 'read_torch_file', 'UnsafeCheckpointError'
]

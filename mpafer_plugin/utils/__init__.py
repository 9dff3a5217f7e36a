from .atomic_save import StagedOutputs, atomic_torch_save, atomic_write
from .checkpoint_file import (CheckpointError, CheckpointFileError,
                              UnsafeCheckpointError, read_checkpoint,
                              read_torch_file)
from .file_digest import file_sha256
from .packaged_files import config_file
from .progress import LogProgress, progress_bar
from .provenance import git_commit, provenance, read_record, record_path

__all__ = [
    'atomic_torch_save', 'atomic_write', 'CheckpointError',
    'CheckpointFileError', 'config_file', 'file_sha256', 'git_commit',
    'LogProgress', 'progress_bar', 'provenance', 'read_checkpoint',
    'read_record', 'read_torch_file', 'record_path', 'StagedOutputs',
    'UnsafeCheckpointError'
]

from .atomic_save import StagedOutputs, atomic_torch_save, atomic_write
from .packaged_files import config_file
from .progress import LogProgress, progress_bar
from .provenance import git_commit, provenance

__all__ = [
    'atomic_torch_save', 'atomic_write', 'StagedOutputs', 'config_file',
    'git_commit', 'LogProgress', 'progress_bar', 'provenance'
]

from .atomic_save import atomic_torch_save, atomic_write
from .progress import LogProgress, progress_bar

__all__ = ['atomic_torch_save', 'atomic_write', 'LogProgress', 'progress_bar']

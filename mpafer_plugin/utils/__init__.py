from .atomic_save import atomic_torch_save, atomic_write

__all__ = ['atomic_torch_save', 'atomic_write']

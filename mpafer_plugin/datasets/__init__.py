from .rafdb import RAFDB
from .synthetic_faces import make_synthetic_rafdb

__all__ = ['RAFDB', 'make_synthetic_rafdb']

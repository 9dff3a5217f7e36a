from .affectnet import AffectNet
from .ferplus import FERPlus, vote_label
from .rafdb import RAFDB
from .samplers import ClassBalancedSampler
from .synthetic_faces import make_synthetic_rafdb, rafdb_split_counts
from .transforms import CropFaceBox, LoadFERImage

__all__ = [
    'AffectNet', 'ClassBalancedSampler', 'CropFaceBox', 'FERPlus',
    'LoadFERImage', 'RAFDB', 'make_synthetic_rafdb', 'rafdb_split_counts',
    'vote_label'
]

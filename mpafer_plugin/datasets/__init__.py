from .affectnet import AffectNet
from .fer_dataset import FERDataset
from .ferplus import FERPlus, vote_distribution, vote_label
from .image_files import IMG_EXTENSIONS, is_image_name
from .rafdb import RAFDB
from .samplers import ClassBalancedSampler
from .subsets import ClassSubset, StratifiedHoldout, holdout_indices
from .transforms import CropFaceBox, LoadFERImage

__all__ = [
    'AffectNet', 'ClassBalancedSampler', 'ClassSubset', 'CropFaceBox',
    'FERDataset', 'FERPlus', 'IMG_EXTENSIONS', 'LoadFERImage', 'RAFDB',
    'StratifiedHoldout', 'holdout_indices', 'is_image_name',
    'vote_distribution', 'vote_label'
]

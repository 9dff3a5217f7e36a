from .class_names_check_hook import ClassNamesCheckHook
from .confusion_matrix_image_hook import ConfusionMatrixImageHook
from .epoch_seed_hook import EpochSeedHook
from .prototype_hook import PrototypeHook

__all__ = [
    'ClassNamesCheckHook', 'ConfusionMatrixImageHook', 'EpochSeedHook',
    'PrototypeHook'
]

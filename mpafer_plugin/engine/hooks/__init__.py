from .best_last_hook import BestLastHook
from .checkpoint_contract_hook import CheckpointContractHook
from .class_names_check_hook import ClassNamesCheckHook
from .confusion_matrix_image_hook import ConfusionMatrixImageHook
from .cross_dataset_check_hook import CrossDatasetCheckHook
from .epoch_seed_hook import EpochSeedHook
from .epoch_timing_hook import EpochTimingHook
from .prototype_hook import PrototypeHook
from .runtime_classes_hook import RuntimeClassesHook

__all__ = [
    'BestLastHook', 'CheckpointContractHook', 'ClassNamesCheckHook',
    'ConfusionMatrixImageHook', 'CrossDatasetCheckHook', 'EpochSeedHook',
    'EpochTimingHook', 'PrototypeHook', 'RuntimeClassesHook'
]

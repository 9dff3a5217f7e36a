from .base_to_new_accuracy import BaseToNewAccuracy
from .cross_dataset_accuracy import CrossDatasetAccuracy
from .label_space import BASIC_EXPRESSIONS, basic_expression, map_classes
from .per_class_accuracy import PerClassAccuracy, format_confusion_matrix

__all__ = [
    'BASIC_EXPRESSIONS', 'BaseToNewAccuracy', 'CrossDatasetAccuracy', 'PerClassAccuracy',
    'basic_expression', 'format_confusion_matrix', 'map_classes'
]

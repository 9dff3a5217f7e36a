from .base_to_new_accuracy import BaseToNewAccuracy
from .cross_dataset_accuracy import CrossDatasetAccuracy
from .label_space import BASIC_EXPRESSIONS, basic_expression, map_classes
from .per_class_accuracy import PerClassAccuracy, format_confusion_matrix
from .valence_arousal_metric import (ValenceArousalMetric,
                                     concordance_correlation,
                                     root_mean_square_error)

__all__ = [
    'BASIC_EXPRESSIONS', 'BaseToNewAccuracy', 'CrossDatasetAccuracy',
    'PerClassAccuracy', 'ValenceArousalMetric', 'basic_expression',
    'concordance_correlation', 'format_confusion_matrix', 'map_classes',
    'root_mean_square_error'
]

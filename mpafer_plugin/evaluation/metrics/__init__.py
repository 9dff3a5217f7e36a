from .per_class_accuracy import PerClassAccuracy, format_confusion_matrix

__all__ = ['PerClassAccuracy', 'format_confusion_matrix']

"""Per-class accuracy and the confusion matrix, logged at every evaluation."""
from typing import List, Optional, Sequence

import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger
from mmpretrain.registry import METRICS


def format_confusion_matrix(matrix: torch.Tensor,
                            classes: Sequence[str],
                            columns: Optional[Sequence[str]] = None) -> str:
    """A text table: rows are true classes, columns predictions (named
    ``columns``, by default ``classes``)."""
    names = [str(c)[:10] for c in classes]
    heads = names if columns is None else [str(c)[:10] for c in columns]
    width = max(6, *(len(n) for n in names + heads),
                len(str(int(matrix.max()) if matrix.numel() else 0)))
    header = ' ' * width + ' | ' + ' '.join(n.rjust(width) for n in heads)
    rows = [header, '-' * len(header)]
    for name, row in zip(names, matrix.tolist()):
        rows.append(
            name.rjust(width) + ' | ' +
            ' '.join(str(v).rjust(width) for v in row))
    return '\n'.join(rows)


@METRICS.register_module()
class PerClassAccuracy(BaseMetric):
    """Accuracy of each class (recall, in %), their mean (the *mean class
    accuracy* FER papers report, equal to macro recall) and the confusion
    matrix ``M[true, predicted]``.

    Results: ``<prefix>/<class name>`` (one scalar per class, printed in the
    log), ``<prefix>/mean`` and ``<prefix>/confusion_matrix`` (a list of
    lists, kept in the JSON log and visualizer backends). The matrix is also
    written to the log as a table. A class with no sample gets ``nan``.

    Args:
        num_classes (int, optional): defaults to the number of classes in the
            dataset's metainfo.
        collect_device, prefix: see :class:`mmengine.evaluator.BaseMetric`.
    """
    default_prefix = 'per_class_acc'

    def __init__(self,
                 num_classes: Optional[int] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.num_classes = num_classes

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            self.results.append(
                (int(sample['gt_label']), int(sample['pred_label'])))

    def _classes(self) -> List[str]:
        classes = (self.dataset_meta or {}).get('classes')
        num = self.num_classes or (len(classes) if classes else None)
        if num is None:
            raise ValueError('PerClassAccuracy needs num_classes or a '
                             'dataset with metainfo["classes"].')
        if classes is None or len(classes) != num:
            classes = [str(i) for i in range(num)]
        return list(classes)

    def compute_metrics(self, results: list) -> dict:
        classes = self._classes()
        num = len(classes)
        pairs = torch.tensor(results, dtype=torch.long).reshape(-1, 2)
        if pairs.numel() and int(pairs.max()) >= num:
            raise ValueError(f'PerClassAccuracy: label {int(pairs.max())} '
                             f'out of range for {num} classes.')
        matrix = torch.bincount(
            pairs[:, 0] * num + pairs[:, 1],
            minlength=num * num).reshape(num, num)
        support = matrix.sum(dim=1)
        accuracy = matrix.diag().double() / support.double() * 100
        metrics = {name: float(acc) for name, acc in zip(classes, accuracy)}
        metrics['mean'] = float(accuracy[support > 0].mean())
        metrics['confusion_matrix'] = matrix.tolist()
        MMLogger.get_current_instance().info(
            'Confusion matrix (rows: true class, columns: prediction):\n' +
            format_confusion_matrix(matrix, classes))
        return metrics

"""Accuracy of a model trained on one FER benchmark, on another."""
from typing import List, Mapping, Optional, Sequence

import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger
from mmpretrain.registry import METRICS

from .label_space import map_classes
from .per_class_accuracy import format_confusion_matrix


@METRICS.register_module()
class CrossDatasetAccuracy(BaseMetric):
    """Score a model whose classes are ``source_classes`` (those it was
    trained on, ``model.head.classnames``) on a test set with other classes
    (``dataset_meta['classes']``), through the basic-expression label space
    (:func:`~.label_space.map_classes`).

    The prediction is the model's own (arg-max over all of its classes),
    mapped to the target class of the same expression. Classes are never
    dropped or merged silently:

    - a target class the model has no class for (e.g. FERPlus's Contempt for
      a RAF-DB model) is **unseen**: its images cannot be right; they are
      left out of the accuracies, counted in ``unseen/<class>`` and shown in
      the confusion matrix;
    - a source class the target lacks (Contempt of an AffectNet-8 model on
      RAF-DB) is a wrong answer for every image, shown in its own
      confusion-matrix column (``+<class>`` in the logged table).

    Results (``<prefix>/…``):

    - ``accuracy``: share (%) of the images of shared classes predicted as
      their class;
    - ``mean_class_accuracy``: the mean over shared classes of their recall
      (%);
    - ``acc/<target class>``: each shared class's recall;
    - ``unseen/<target class>``: images of each unseen class;
    - ``confusion_matrix``: ``M[true, predicted]``, rows the target's
      classes in the target's order, columns the same then one per source
      class the target lacks (also logged as a table).

    Args:
        source_classes (Sequence[str]): the model's classes, in its label
            order (a config takes the source config's ``class_names``;
            :class:`CrossDatasetCheckHook` checks them against the model).
        mapping (dict, optional): class name -> basic expression (or
            ``None``) for names that are neither one nor an alias.
        collect_device, prefix: see :class:`mmengine.evaluator.BaseMetric`.
    """
    default_prefix = 'cross'

    def __init__(self,
                 source_classes: Sequence[str],
                 mapping: Optional[Mapping[str, Optional[str]]] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.source_classes = list(source_classes)
        self.mapping = dict(mapping or {})

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            self.results.append(
                (int(sample['gt_label']), int(sample['pred_label'])))

    def target_classes(self) -> List[str]:
        classes = (self.dataset_meta or {}).get('classes')
        if not classes:
            raise ValueError('CrossDatasetAccuracy needs a test set with '
                             'metainfo["classes"].')
        return list(classes)

    def compute_metrics(self, results: list) -> dict:
        target = self.target_classes()
        plan = map_classes(self.source_classes, target, self.mapping)
        extra = [
            i for i, t in enumerate(plan['source_to_target']) if t is None
        ]
        columns = target + [self.source_classes[i] for i in extra]
        column_of = [
            t if t is not None else len(target) + extra.index(i)
            for i, t in enumerate(plan['source_to_target'])
        ]
        pairs = torch.tensor(results, dtype=torch.long).reshape(-1, 2)
        if pairs.numel() and (int(pairs[:, 1].max()) >= len(column_of)
                              or int(pairs[:, 0].max()) >= len(target)):
            raise ValueError(
                f'CrossDatasetAccuracy: a label is out of range for '
                f'{len(target)} target and {len(column_of)} source classes '
                f'(source_classes={self.source_classes}).')
        predicted = torch.tensor(column_of, dtype=torch.long)[pairs[:, 1]]
        matrix = torch.bincount(
            pairs[:, 0] * len(columns) + predicted,
            minlength=len(target) * len(columns)).reshape(
                len(target), len(columns))
        support = matrix.sum(1)
        shared = torch.tensor(plan['shared'], dtype=torch.long)
        metrics = {}
        if len(shared) and int(support[shared].sum()):
            correct = matrix[shared, shared]
            metrics['accuracy'] = float(correct.sum() / support[shared].sum() *
                                        100)
            present = support[shared] > 0
            recalls = correct.double() / support[shared].clamp(min=1) * 100
            metrics['mean_class_accuracy'] = float(recalls[present].mean())
            for i, recall, has in zip(plan['shared'], recalls, present):
                metrics[f'acc/{target[i]}'] = float(recall) if has else \
                    float('nan')
        else:
            metrics['accuracy'] = metrics['mean_class_accuracy'] = float('nan')
        for i in plan['unseen']:
            metrics[f'unseen/{target[i]}'] = int(support[i])
        metrics['confusion_matrix'] = matrix.tolist()
        rows = [('*' if i in plan['unseen'] else '') + name
                for i, name in enumerate(target)]
        heads = target + [f'+{self.source_classes[i]}' for i in extra]
        unseen = [target[i] for i in plan['unseen']]
        MMLogger.get_current_instance().info(
            f'Cross-dataset: model classes {self.source_classes} -> test '
            f'classes {target}; shared {[target[i] for i in shared]}, never '
            f'seen by the model {unseen} '
            f'({sum(int(support[i]) for i in plan["unseen"])} images, left '
            f'out of the accuracies). Confusion matrix (rows: true class, '
            f'* never seen by the model; columns: prediction, + a model '
            f'class the test set lacks):\n' +
            format_confusion_matrix(matrix, rows, heads))
        return metrics

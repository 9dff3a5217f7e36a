"""Base-to-new accuracy, as the prompt-learning papers report it."""
from typing import List, Optional, Sequence

import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger
from mmpretrain.registry import METRICS


@METRICS.register_module()
class BaseToNewAccuracy(BaseMetric):
    """Accuracy on base classes (trained on), on new classes (never seen
    in training) and their harmonic mean, from one pass over a test set of
    all classes (CoOp/CoCoOp's base-to-new generalisation).

    With scores ``s`` over all ``C`` classes (``pred_score``, in the test
    set's order), ``B`` the base and ``N`` the new classes:

    - ``base``: over images of a base class, the share (%) with
      ``argmax_{c ∈ B} s_c`` their class (a base-only classifier, as if
      tested on the base classes alone);
    - ``new``: likewise over images of a new class, ``argmax_{c ∈ N}``;
    - ``harmonic_mean``: ``H = 2 · base · new / (base + new)``;
    - ``all``: over every image, ``argmax`` over all classes.

    Args:
        base_classes (Sequence[str]): names of the base classes (any case);
            the test set's other classes are the new ones.
        collect_device, prefix: see :class:`mmengine.evaluator.BaseMetric`.
    """
    default_prefix = 'base_to_new'

    def __init__(self,
                 base_classes: Sequence[str],
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.base_classes = [str(c).lower() for c in base_classes]

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            self.results.append(
                (int(sample['gt_label']), sample['pred_score'].float().cpu()))

    def _base_mask(self) -> torch.Tensor:
        classes: List[str] = list((self.dataset_meta or {}).get('classes'))
        lowered = [c.lower() for c in classes]
        unknown = [c for c in self.base_classes if c not in lowered]
        if unknown or not classes:
            raise ValueError(f'BaseToNewAccuracy: base classes {unknown} are '
                             f'not classes of the test set {classes}.')
        mask = torch.tensor([c in self.base_classes for c in lowered])
        if mask.all():
            raise ValueError(f'BaseToNewAccuracy: every class of the test '
                             f'set {classes} is a base class: no new class.')
        return mask

    def compute_metrics(self, results: list) -> dict:
        base = self._base_mask()
        labels = torch.tensor([label for label, _ in results])
        scores = torch.stack([score for _, score in results])
        metrics = {}
        for name, group in (('base', base), ('new', ~base)):
            rows = group[labels]
            restricted = scores[rows].masked_fill(~group, float('-inf'))
            right = restricted.argmax(1) == labels[rows]
            metrics[name] = float(right.double().mean() * 100) \
                if rows.any() else float('nan')
        b, n = metrics['base'], metrics['new']
        metrics['harmonic_mean'] = 2 * b * n / (b + n) if b + n else 0.0
        metrics['all'] = float(
            (scores.argmax(1) == labels).double().mean() * 100)
        MMLogger.get_current_instance().info(
            f'Base-to-new: base {b:.2f}, new {n:.2f}, harmonic mean '
            f'{metrics["harmonic_mean"]:.2f}, all {metrics["all"]:.2f} '
            f'(base classes {self.base_classes}).')
        return metrics

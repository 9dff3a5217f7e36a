"""Valence and arousal regression: concordance correlation and RMSE."""
from typing import Sequence

import torch
from mmengine.evaluator import BaseMetric
from mmpretrain.registry import METRICS

DIMENSIONS = ('valence', 'arousal')


def concordance_correlation(pred: torch.Tensor,
                            target: torch.Tensor) -> torch.Tensor:
    """Lin's concordance correlation coefficient along the first axis,

    .. math:: \\mathrm{CCC}(x, y) = \\frac{2 s_{xy}}{s_x^2 + s_y^2
        + (\\bar x - \\bar y)^2},

    with population (``1 / N``) variances and covariance: 1 for perfect
    agreement, 0 for none, -1 for perfect disagreement; a correlation
    that is also penalised for any shift or scale between ``x`` and ``y``.
    ``(N, ...)`` → ``(...)``; ``nan`` where both are constant and equal.
    """
    pred, target = pred.double(), target.double()
    mean_p, mean_t = pred.mean(0), target.mean(0)
    var_p = ((pred - mean_p)**2).mean(0)
    var_t = ((target - mean_t)**2).mean(0)
    cov = ((pred - mean_p) * (target - mean_t)).mean(0)
    return 2 * cov / (var_p + var_t + (mean_p - mean_t)**2)


def root_mean_square_error(pred: torch.Tensor,
                           target: torch.Tensor) -> torch.Tensor:
    """``sqrt(mean((pred - target)²))`` along the first axis."""
    return ((pred.double() - target.double())**2).mean(0).sqrt()


@METRICS.register_module()
class ValenceArousalMetric(BaseMetric):
    """CCC and RMSE of the predicted valence and arousal (``pred_va``, from
    :class:`ValenceArousalHead`) against AffectNet's (``gt_va``, from
    ``AffectNet(valence_arousal=True)``), each in ``[-1, 1]``.

    Results: ``<prefix>/valence_ccc``, ``arousal_ccc``, ``mean_ccc`` (their
    mean), ``valence_rmse``, ``arousal_rmse`` (see
    :func:`concordance_correlation`, :func:`root_mean_square_error`).

    Args:
        collect_device, prefix: see :class:`mmengine.evaluator.BaseMetric`.
    """
    default_prefix = 'va'

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            if 'gt_va' not in sample or 'pred_va' not in sample:
                raise KeyError(
                    'ValenceArousalMetric needs gt_va (AffectNet('
                    'valence_arousal=True) and PackInputs(algorithm_keys='
                    '("gt_va",))) and pred_va (model.head.type="MPAVAHead").')
            self.results.append((torch.as_tensor(sample['pred_va']).float(),
                                 torch.as_tensor(sample['gt_va']).float()))

    def compute_metrics(self, results: list) -> dict:
        pred = torch.stack([p for p, _ in results])
        target = torch.stack([t for _, t in results])
        ccc = concordance_correlation(pred, target)
        rmse = root_mean_square_error(pred, target)
        metrics = {}
        for i, name in enumerate(DIMENSIONS):
            metrics[f'{name}_ccc'] = float(ccc[i])
            metrics[f'{name}_rmse'] = float(rmse[i])
        metrics['mean_ccc'] = float(ccc.mean())
        return metrics

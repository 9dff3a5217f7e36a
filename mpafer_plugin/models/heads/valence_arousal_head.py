"""Valence and arousal regression on the prompted global image feature,
and the MPA-FER head that trains it jointly with the expressions."""
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from ...evaluation.metrics.valence_arousal_metric import \
    concordance_correlation
from .mpa_head import MPAHead, _autocast_off

LOSSES = ('mse', 'ccc')


@MODELS.register_module()
class ValenceArousalHead(BaseModule):
    """``(B, D)`` global image feature ``z^g`` → ``(B, 2)`` valence and
    arousal in ``[-1, 1]``: ``tanh(W z^g / ‖z^g‖ + b)``, ``W ∈ R^{2×D}``.

    Loss (``loss_va``), times ``loss_weight``: ``'mse'``, the mean squared
    error over both dimensions, or ``'ccc'``, ``1 - mean(CCC)`` over the
    batch (Lin's concordance, :func:`concordance_correlation`; needs
    batches of two or more images).

    Args:
        in_channels (int): ``D``.
        loss (str): ``'mse'`` or ``'ccc'``. Defaults to ``'mse'``.
        loss_weight (float): weight of ``loss_va``. Defaults to 1.0.
        init_cfg (dict, optional): as ``BaseModule``.
    """

    def __init__(self,
                 in_channels: int,
                 loss: str = 'mse',
                 loss_weight: float = 1.0,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        if loss not in LOSSES:
            raise ValueError(f'model.head.valence_arousal.loss must be one '
                             f'of {LOSSES}, got {loss!r}.')
        self.fc = nn.Linear(in_channels, 2)
        self.loss_type = loss
        self.loss_weight = loss_weight

    def forward(self, global_feat: torch.Tensor) -> torch.Tensor:
        feat = nn.functional.normalize(global_feat.float(), dim=-1)
        return torch.tanh(self.fc(feat))

    def loss(self, global_feat: torch.Tensor,
             data_samples: List[DataSample]) -> dict:
        pred = self(global_feat)
        target = torch.stack([
            torch.as_tensor(s.gt_va, dtype=torch.float32) for s in data_samples
        ]).to(pred.device)
        if self.loss_type == 'mse':
            value = ((pred - target)**2).mean()
        else:
            value = 1 - concordance_correlation(pred, target).mean().float()
        return dict(loss_va=self.loss_weight * value)

    def predict(self, global_feat: torch.Tensor,
                data_samples: List[DataSample]) -> List[DataSample]:
        for sample, va in zip(data_samples, self(global_feat).detach()):
            sample.set_field(va, 'pred_va')
        return data_samples


@MODELS.register_module()
class MPAVAHead(MPAHead):
    """:class:`MPAHead` trained jointly with a :class:`ValenceArousalHead`
    on the same prompted global feature ``z^g``: the loss adds ``loss_va``
    to the expression terms, and each prediction also carries ``pred_va``.
    ``model.head.type='MPAVAHead'`` is the switch
    (``configs/protocols/affectnet7_valence_arousal.py``); the data must
    give ``gt_va`` (``AffectNet(valence_arousal=True)``).

    Args:
        valence_arousal (dict): the regression head's config, built with
            ``in_channels`` = the CLIP embedding width. Defaults to
            ``dict(type='ValenceArousalHead')``.
        **kwargs: as :class:`MPAHead`.
    """

    def __init__(self,
                 classnames: Sequence[str],
                 valence_arousal: dict = dict(type='ValenceArousalHead'),
                 **kwargs):
        super().__init__(classnames, **kwargs)
        self.valence_arousal = MODELS.build(
            dict(valence_arousal, in_channels=self.text_encoder.output_dim))

    @_autocast_off
    def loss(self, feats: Tuple[torch.Tensor, ...],
             data_samples: List[DataSample], **kwargs) -> dict:
        losses = super().loss(feats, data_samples, **kwargs)
        losses.update(self.valence_arousal.loss(feats[-1], data_samples))
        return losses

    def predict(
            self,
            feats: Tuple[torch.Tensor, ...],
            data_samples: Optional[List[DataSample]] = None
    ) -> List[DataSample]:
        samples = super().predict(feats, data_samples)
        return self.valence_arousal.predict(feats[-1], samples)

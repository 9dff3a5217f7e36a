"""Prototype-guided visual alignment ``L_v`` (docs/method.md)."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.registry import MODELS

from .l1_distance import L1_REDUCTIONS, l1_distance


@MODELS.register_module()
class PrototypeAlignmentLoss(nn.Module):
    """``L_v = mean_i M(z^g_i, p_{y_i})``: pull each prompted global image
    feature towards the frozen-CLIP prototype of its class.

    Args:
        mode (str): ``M``: ``'cosine'`` (``1 − cos``) or ``'l1'`` (the L1
            distance of L2-normalised features). Defaults to ``'cosine'``.
        reduction (str): ``'l1'`` mode's ``'mean'`` (``‖ẑ − p̂‖₁ / D``, the
            mean over the ``D`` dimensions, as ``L_pa``'s) or ``'norm'``
            (``‖ẑ − p̂‖₁``, summed over them). Defaults to ``'mean'``.
        loss_weight (float): ``γ``. Defaults to 1.0.
    """

    def __init__(self,
                 mode: str = 'cosine',
                 reduction: str = 'mean',
                 loss_weight: float = 1.0):
        super().__init__()
        if mode not in ('cosine', 'l1'):
            raise ValueError(f"mode must be 'cosine' or 'l1', got {mode!r}.")
        if reduction not in L1_REDUCTIONS:
            raise ValueError(f'reduction must be one of {L1_REDUCTIONS}, '
                             f'got {reduction!r}.')
        self.mode = mode
        self.reduction = reduction
        self.loss_weight = loss_weight

    def forward(self, global_feats: torch.Tensor, prototypes: torch.Tensor,
                labels: torch.Tensor) -> torch.Tensor:
        """
        Args:
            global_feats: ``(B, D)`` prompted global features ``z^g``.
            prototypes: ``(C, D)`` class prototypes ``p_c`` (constant).
            labels: ``(B,)`` class indices ``y``.
        """
        z = F.normalize(global_feats, dim=-1)
        p = F.normalize(prototypes, dim=-1)[labels]
        if self.mode == 'cosine':
            loss = (1 - (z * p).sum(-1)).mean()
        else:
            loss = l1_distance(z, p, self.reduction).mean()
        return self.loss_weight * loss

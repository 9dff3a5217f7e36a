"""Prototype-guided visual alignment ``L_v`` (METHOD.md §3)."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.registry import MODELS


@MODELS.register_module()
class PrototypeAlignmentLoss(nn.Module):
    """``L_v = mean_i M(z^g_i, p_{y_i})``: pull each prompted global image
    feature towards the frozen-CLIP prototype of its class.

    Args:
        mode (str): ``M``: ``'cosine'`` (``1 − cos``) or ``'l1'`` (mean
            absolute difference of L2-normalised features). Defaults to
            ``'cosine'``.
        loss_weight (float): ``γ``. Defaults to 1.0.
    """

    def __init__(self, mode: str = 'cosine', loss_weight: float = 1.0):
        super().__init__()
        if mode not in ('cosine', 'l1'):
            raise ValueError(f"mode must be 'cosine' or 'l1', got {mode!r}.")
        self.mode = mode
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
            loss = F.l1_loss(z, p)
        return self.loss_weight * loss

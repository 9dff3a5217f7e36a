"""Token-level soft–hard alignment ``L_ta`` (docs/method.md)."""
import torch
import torch.nn as nn
from mmpretrain.registry import MODELS

from .soft_hard_contrastive import (check_loss_weight, check_temperature,
                                    soft_hard_contrastive)


@MODELS.register_module()
class TokenAlignmentLoss(nn.Module):
    """Contrast pooled soft- and hard-prompt token embeddings *before* the
    text encoder:
    ``L_ta = −(1/C) Σ_c (1/P_c) Σ_{h: y_h = c} log softmax_d(cos(s_d,
    h_h)/τ)[c]``: averaged over the ``P_c`` hard prompts of each class
    first, then over the classes, so that every class weighs the same
    whatever its number of descriptions.

    Args:
        pooling (str): how a prompt's content tokens (all but start/end of
            text and padding) become one vector: ``'mean'`` or ``'max'``
            (element-wise). Defaults to ``'mean'``.
        temperature (float): ``τ``, ``> 0``. Defaults to 0.07.
        loss_weight (float): the term's weight (part of ``β``).
    """

    def __init__(self,
                 pooling: str = 'mean',
                 temperature: float = 0.07,
                 loss_weight: float = 1.0):
        super().__init__()
        if pooling not in ('mean', 'max'):
            raise ValueError(f"pooling must be 'mean' or 'max', got "
                             f'{pooling!r}.')
        check_temperature(temperature)
        self.pooling = pooling
        self.temperature = temperature
        self.loss_weight = check_loss_weight(loss_weight)

    def pool(self, embeddings: torch.Tensor,
             mask: torch.Tensor) -> torch.Tensor:
        """``(P, L, W)`` embeddings, ``(P, L)`` content mask → ``(P, W)``."""
        mask = mask.unsqueeze(-1)
        if self.pooling == 'max':
            return embeddings.masked_fill(~mask, float('-inf')).amax(dim=1)
        mask = mask.to(embeddings.dtype)
        return (embeddings * mask).sum(1) / mask.sum(1).clamp(min=1)

    def forward(self, soft_embeddings: torch.Tensor, soft_mask: torch.Tensor,
                hard_pooled: torch.Tensor,
                hard_labels: torch.Tensor) -> torch.Tensor:
        """
        Args:
            soft_embeddings: ``(C, L, W)`` soft-prompt token embeddings.
            soft_mask: ``(C, L)`` their content mask.
            hard_pooled: ``(H, W)`` pooled hard prompts (constant, cached by
                the caller with :meth:`pool`).
            hard_labels: ``(H,)`` class of each hard prompt.
        """
        soft = self.pool(soft_embeddings, soft_mask)
        return self.loss_weight * soft_hard_contrastive(
            soft, hard_pooled, hard_labels, self.temperature)

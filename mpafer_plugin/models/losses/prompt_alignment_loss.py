"""Prompt-level soft–hard alignment ``L_pa`` (docs/method.md)."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.registry import MODELS

from .class_mean import class_mean
from .l1_distance import L1_REDUCTIONS, l1_distance
from .soft_hard_contrastive import check_temperature, soft_hard_contrastive


@MODELS.register_module()
class PromptAlignmentLoss(nn.Module):
    """Align the encoded soft prompts ``θ(t_c)`` with the encoded hard
    prompts ``θ(t*_c)`` after the text encoder.

    ``'l1'`` mode, on L2-normalised features ``θ̂``:
    ``L_pa = (1/(C·D)) Σ_c ‖θ̂(t_c) − θ̂(t*_c)‖₁`` (``reduction='mean'``, the
    default: the mean over all ``C × D`` elements, ``F.l1_loss``, as
    PromptSRC's and CEPrompt's L1 consistency terms). ``reduction='norm'``
    is ``D`` times that (the L1 distance per class, summed over the ``D``
    feature dimensions, then the mean over classes: about
    ``D^½ ‖Δ‖₂``, 19.5 on ViT-B/16 at initialisation against a
    cross-entropy of 2.5, so it dominates at ``β = 1``; docs/method.md).
    With ``target='each'`` the distance to every hard prompt is averaged
    within its class first, then over classes.

    Args:
        mode (str): ``'l1'`` or ``'contrastive'`` (the soft–hard contrastive
            form of ``L_ta`` on the encoded features). Defaults to ``'l1'``.
        target (str): with several hard prompts per class, align to their
            normalised ``'mean'`` or to ``'each'`` one. Defaults to
            ``'mean'``.
        reduction (str): ``'l1'`` mode's ``'mean'`` or ``'norm'`` (see
            above). Defaults to ``'mean'``.
        temperature (float): ``τ`` of the contrastive mode, ``> 0``.
        loss_weight (float): the term's weight (part of ``β``).
    """

    def __init__(self,
                 mode: str = 'l1',
                 target: str = 'mean',
                 reduction: str = 'mean',
                 temperature: float = 0.07,
                 loss_weight: float = 1.0):
        super().__init__()
        if mode not in ('l1', 'contrastive'):
            raise ValueError(f"mode must be 'l1' or 'contrastive', got "
                             f'{mode!r}.')
        if target not in ('mean', 'each'):
            raise ValueError(f"target must be 'mean' or 'each', got "
                             f'{target!r}.')
        if reduction not in L1_REDUCTIONS:
            raise ValueError(f'reduction must be one of {L1_REDUCTIONS}, '
                             f'got {reduction!r}.')
        if mode == 'contrastive':
            check_temperature(temperature)
        self.mode = mode
        self.target = target
        self.reduction = reduction
        self.temperature = temperature
        self.loss_weight = loss_weight

    def forward(self, soft_features: torch.Tensor, hard_features: torch.Tensor,
                hard_labels: torch.Tensor) -> torch.Tensor:
        """
        Args:
            soft_features: ``(C, D)`` encoded soft prompts.
            hard_features: ``(H, D)`` encoded hard prompts (constant).
            hard_labels: ``(H,)`` class of each hard prompt.
        """
        hard = F.normalize(hard_features, dim=-1)
        if self.target == 'mean':
            num_classes = soft_features.shape[0]
            sums = hard.new_zeros(num_classes, hard.shape[1]).index_add_(
                0, hard_labels, hard)
            hard = F.normalize(sums, dim=-1)
            hard_labels = torch.arange(num_classes, device=hard.device)
        if self.mode == 'contrastive':
            loss = soft_hard_contrastive(soft_features, hard, hard_labels,
                                         self.temperature)
        else:
            soft = F.normalize(soft_features, dim=-1)[hard_labels]
            loss = class_mean(
                l1_distance(soft, hard, self.reduction), hard_labels)
        return self.loss_weight * loss

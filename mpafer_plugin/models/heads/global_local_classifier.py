"""The cross-modal global-local classifier (docs/method.md §4)."""
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmpretrain.registry import MODELS

from ...utils.value_checks import CheckedNumber


@MODELS.register_module()
class GlobalLocalClassifier(BaseModule):
    """Logits of image features against one text feature per class.

    For global ``z^g`` ``(B, D)``, patches ``z^l`` ``(B, N, D)`` and text
    ``θ(t)`` ``(C, D)``, all L2-normalised:
    ``S_g = cos(z^g, θ(t_d))``, ``S_l = mean(topk_i cos(z^l_i, θ(t_d)))``
    with the top-k taken per class, and ``logit_d = s · (S_g + λ S_l)``.
    Computed in fp32 with autocast off (bf16 keeps 8 mantissa bits and the
    cosines are multiplied by ``s = 100``). Nothing here is learned.

    Args:
        local_topk (int): ``k``, patches per class, >= 1. Defaults to 16.
        local_weight (float): ``λ`` >= 0; 0 gives CoOp's global matching.
            Defaults to 1.0.
        logit_scale (float): ``s``, > 0. Defaults to 100.

    The three are checked (finite, in range) when set, at build time and
    by tools that change them later, naming the ``model.head`` key.
    """

    local_topk = CheckedNumber(
        'model.head.local_topk',
        1,
        integer=True,
        why='patches averaged per class')
    local_weight = CheckedNumber(
        'model.head.local_weight',
        0,
        why='the weight of the local score; a negative one ranks the '
        'classes by their least similar patches, NaN gives NaN logits')
    logit_scale = CheckedNumber(
        'model.head.logit_scale',
        0,
        low_open=True,
        why='0 ties every class, a negative one ranks them backwards')

    def __init__(self,
                 local_topk: int = 16,
                 local_weight: float = 1.0,
                 logit_scale: float = 100.0):
        super().__init__()
        self.local_topk = local_topk
        self.local_weight = local_weight
        self.logit_scale = logit_scale

    @staticmethod
    def global_text_similarity(global_feat: torch.Tensor,
                               text_feats: torch.Tensor) -> torch.Tensor:
        """``S_g``: ``(B, D)``, ``(C, D)`` → ``(B, C)``,
        ``cos(z^g, θ(t_c))``."""
        return (F.normalize(global_feat.float(), dim=-1) @ F.normalize(
            text_feats.float(), dim=-1).t())

    @staticmethod
    def patch_text_similarity(patch_feats: torch.Tensor,
                              text_feats: torch.Tensor) -> torch.Tensor:
        """The patch-text similarity map: ``(B, N, D)``, ``(C, D)`` →
        ``(B, C, N)``, ``cos(z^l_i, θ(t_c))`` for every class and patch."""
        return torch.einsum('bnd,cd->bcn',
                            F.normalize(patch_feats.float(), dim=-1),
                            F.normalize(text_feats.float(), dim=-1))

    def top_patches(
            self,
            similarity: torch.Tensor,
            k: Optional[int] = None) -> Tuple[torch.Tensor, torch.Tensor]:
        """The ``k`` most similar patches of each class: ``(B, C, N)`` →
        values and patch indices, both ``(B, C, k)``; ``k`` defaults to
        ``local_topk``, and ``S_l`` is then the mean of the values."""
        k = self.local_topk if k is None else k
        num_patches = similarity.shape[-1]
        if not 0 < k <= num_patches:
            raise ValueError(f'top-k with k={k} (local_topk='
                             f'{self.local_topk}): k must be in '
                             f'[1, {num_patches}] (number of patches).')
        top = similarity.topk(k, dim=-1)
        return top.values, top.indices

    def forward(self, patch_feats: torch.Tensor, global_feat: torch.Tensor,
                text_feats: torch.Tensor) -> torch.Tensor:
        """``(B, N, D)``, ``(B, D)``, ``(C, D)`` → ``(B, C)`` logits
        ``s · (S_g + λ S_l)``."""
        with torch.autocast(global_feat.device.type, enabled=False):
            scores = self.global_text_similarity(global_feat, text_feats)
            if self.local_weight:
                values, _ = self.top_patches(
                    self.patch_text_similarity(patch_feats, text_feats))
                scores = scores + self.local_weight * values.mean(dim=-1)
            return self.logit_scale * scores

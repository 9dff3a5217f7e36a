"""Zero-shot CLIP on hard prompts: the no-training baseline."""
from typing import Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.registry import MODELS

from .mpa_head import MPAHead


@MODELS.register_module()
class ZeroShotCLIPHead(MPAHead):
    """Frozen CLIP's zero-shot classifier, with :class:`MPAHead`'s hard
    prompts as the class texts and nothing to learn.

    The text feature of class ``c`` is the mean of the L2-normalised
    features of its ``P_c`` hard prompts (encoded once, with
    :class:`MPAHead`'s cached text path)::

        t_c = (1 / P_c) Σ_p θ(h_p) / ‖θ(h_p)‖

    and the logits are :meth:`MPAHead.global_local_logits`:
    ``s · (S_g + λ S_l)``. ``λ = 0`` (the default) is CLIP's zero-shot
    matching, ``cos(z^g, t_c)``; ``λ > 0`` adds the top-k patch similarity.
    Use it with ``PromptedCLIPViT(num_prompts=0)`` (the plain encoder).

    Args:
        classnames (Sequence[str]): class names, in label order.
        clip, clip_model: as :class:`MPAHead`.
        hard_prompt_variant (int): 1, 2 or 3 (see ``hard_prompts``).
            Defaults to 3 (template + class + description).
        descriptions, granularities: as :class:`MPAHead`.
        local_topk (int): ``k``. Defaults to 16.
        local_weight (float): ``λ``. Defaults to 0.
        logit_scale (float, optional): ``s``. Defaults to 100.
        loss (dict): unused (nothing is trained), kept for ``ClsHead``.
    """

    def __init__(self,
                 classnames: Sequence[str],
                 clip: Optional[dict] = None,
                 clip_model: Optional[nn.Module] = None,
                 hard_prompt_variant: int = 3,
                 descriptions: Optional[str] = None,
                 granularities: Optional[Sequence[str]] = None,
                 local_topk: int = 16,
                 local_weight: float = 0.0,
                 logit_scale: Optional[float] = 100.0,
                 **kwargs):
        super().__init__(
            classnames,
            clip=clip,
            clip_model=clip_model,
            num_context=0,
            local_topk=local_topk,
            local_weight=local_weight,
            logit_scale=logit_scale,
            token_align_loss=None,
            prompt_align_loss=None,
            prototype_align_loss=None,
            **kwargs)
        self.context.requires_grad_(False)  # (0, W): no soft prompt
        self._register_hard_prompts(hard_prompt_variant, descriptions,
                                    granularities)

    def text_features(self) -> torch.Tensor:
        """``(C, D)`` per-class mean of the normalised hard-prompt
        features, computed once per device and weights."""
        const = self._constants()
        if 'zero_shot_text' not in const:
            feats = F.normalize(const['hard_features'], dim=-1)
            sums = feats.new_zeros(self.num_classes, feats.shape[-1])
            sums.index_add_(0, self.hard_labels, feats)
            counts = torch.bincount(self.hard_labels,
                                    minlength=self.num_classes)
            const['zero_shot_text'] = sums / counts.unsqueeze(1).to(sums)
        return const['zero_shot_text']

    def loss(self, feats, data_samples, **kwargs) -> dict:
        raise RuntimeError(
            'ZeroShotCLIPHead has nothing to train: evaluate it with '
            '`python tools/test.py CONFIG` (no checkpoint needed).')

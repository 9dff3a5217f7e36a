"""Zero-shot CLIP on hard prompts: the no-training baseline."""
from typing import Optional, Sequence

import torch
import torch.nn as nn
from mmpretrain.registry import MODELS

from .clip_text_head import CLIPTextHead
from .hard_prompt_bank import HardPromptBank


@MODELS.register_module()
class ZeroShotCLIPHead(CLIPTextHead):
    """Frozen CLIP's zero-shot classifier, with a :class:`HardPromptBank` as
    the class texts and nothing to learn.

    The text feature of class ``c`` is the mean of the L2-normalised
    features of its ``P_c`` hard prompts (encoded once)::

        t_c = (1 / P_c) Σ_p θ(h_p) / ‖θ(h_p)‖

    and the logits are :class:`GlobalLocalClassifier`'s
    ``s · (S_g + λ S_l)``. ``λ = 0`` (the default) is CLIP's zero-shot
    matching, ``cos(z^g, t_c)``; ``λ > 0`` adds the top-k patch similarity.
    Use it with ``PromptedCLIPViT(num_prompts=0)`` (the plain encoder).

    Args:
        classnames (Sequence[str]): class names, in label order.
        clip, clip_model: as :class:`CLIPTextHead`.
        hard_prompt_variant (int): 1, 2 or 3 (see ``hard_prompts``).
            Defaults to 3 (template + class + description).
        descriptions, granularities: as :class:`HardPromptBank`.
        local_topk (int): ``k``. Defaults to 16.
        local_weight (float): ``λ``. Defaults to 0.
        logit_scale (float, optional): ``s``. Defaults to 100.
        **kwargs: as ``ClsHead`` (its ``loss`` is unused: nothing is
            trained).
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
            local_topk=local_topk,
            local_weight=local_weight,
            logit_scale=logit_scale,
            **kwargs)
        self.hard_prompts = HardPromptBank(self.classnames, self.text_encoder,
                                           hard_prompt_variant, descriptions,
                                           granularities)

    def text_features(self) -> torch.Tensor:
        """``(C, D)`` per-class mean of the normalised hard-prompt
        features, computed once per device and weights."""
        return self.hard_prompts.class_features(self.text_encoder)

    def loss(self, feats, data_samples, **kwargs) -> dict:
        raise RuntimeError(
            'ZeroShotCLIPHead has nothing to train: evaluate it with '
            '`python tools/test.py CONFIG` (no checkpoint needed).')

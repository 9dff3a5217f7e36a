"""Run-time class names for the inferencer: the model's learned prompts on
any list, and frozen CLIP's zero-shot classifier on the same list for
comparison."""
from typing import List, Sequence

import torch

from ..models.heads import ZeroShotCLIPHead, set_runtime_classes
from ..models.heads.runtime_classes import ZERO_SHOT_VARIANT


def parse_class_list(text: str) -> List[str]:
    """``'happy, sad,bored'`` → ``['happy', 'sad', 'bored']``."""
    return [name.strip() for name in text.split(',') if name.strip()]


def use_runtime_classes(model, classes: Sequence[str]) -> dict:
    """Make ``model`` (checkpoint loaded and checked) classify into
    ``classes``; see :func:`set_runtime_classes`. Returns the record."""
    return set_runtime_classes(model.head, classes)


def build_zero_shot_head(model, classes: Sequence[str]) -> ZeroShotCLIPHead:
    """Frozen CLIP's zero-shot head on ``classes``, sharing ``model``'s
    CLIP (hard prompt variant 2: there are no descriptions for arbitrary
    names; global matching, ``λ = 0``)."""
    head = ZeroShotCLIPHead(
        list(classes),
        clip_model=model.clip_model,
        hard_prompt_variant=ZERO_SHOT_VARIANT,
        local_weight=0.0)
    device = next(model.parameters()).device
    return head.to(device).eval()


@torch.no_grad()
def zero_shot_scores(model, head: ZeroShotCLIPHead,
                     batch: dict) -> torch.Tensor:
    """``(B, C)`` zero-shot class probabilities of a collated batch: the
    un-prompted image features (``use_prompts=False``) against ``head``'s
    class texts, softmax over ``head``'s classes."""
    data = model.data_preprocessor(batch, False)
    feats = model.backbone(data['inputs'], use_prompts=False)
    return head(feats).float().softmax(-1).cpu()

"""The soft–hard contrastive form shared by the token- and prompt-level
alignments (docs/method.md, "Soft–hard alignment")."""
import torch
import torch.nn.functional as F

from ...utils.value_checks import check_number
from .class_mean import class_mean


def check_temperature(temperature: float) -> float:
    """Refuse ``τ ≤ 0`` (and NaN, inf): the cosines are divided by it
    (``τ = 0`` gives a NaN loss, ``τ < 0`` rewards the wrong class)."""
    return check_number(
        temperature,
        'temperature',
        0,
        low_open=True,
        why='the cosines are divided by it (0 gives NaN, a negative one '
        'pushes each prompt away from its class)')


def check_loss_weight(loss_weight: float) -> float:
    """Refuse a loss weight that is negative, NaN or infinite."""
    return check_number(
        loss_weight,
        'loss_weight',
        0,
        why='a negative weight maximises the loss, NaN or inf poisons it')


def soft_hard_contrastive(soft: torch.Tensor, hard: torch.Tensor,
                          hard_labels: torch.Tensor,
                          temperature: float) -> torch.Tensor:
    """``(1/C) Σ_c (1/P_c) Σ_{h: y_h = c} −log P(c | h)`` with
    ``P(d | h) = exp(cos(s_d, h)/τ) / Σ_c exp(cos(s_c, h)/τ)``: averaged
    within each class, then over classes, so that a class with more hard
    prompts does not weigh more.

    Args:
        soft: ``(C, D)`` one soft-prompt vector per class.
        hard: ``(H, D)`` hard-prompt vectors.
        hard_labels: ``(H,)`` class index of each hard prompt.
        temperature: ``τ``.

    Returns:
        Scalar loss.
    """
    logits = F.normalize(hard, dim=-1) @ F.normalize(soft, dim=-1).t()
    per_prompt = F.cross_entropy(
        logits / temperature, hard_labels, reduction='none')
    return class_mean(per_prompt, hard_labels)

"""The soft–hard contrastive form shared by the token- and prompt-level
alignments (METHOD.md §2)."""
import torch
import torch.nn.functional as F


def soft_hard_contrastive(soft: torch.Tensor, hard: torch.Tensor,
                          hard_labels: torch.Tensor,
                          temperature: float) -> torch.Tensor:
    """``−mean_h log P(y_h | h)`` with
    ``P(d | h) = exp(cos(s_d, h)/τ) / Σ_c exp(cos(s_c, h)/τ)``.

    Args:
        soft: ``(C, D)`` one soft-prompt vector per class.
        hard: ``(H, D)`` hard-prompt vectors.
        hard_labels: ``(H,)`` class index of each hard prompt.
        temperature: ``τ``.

    Returns:
        Scalar loss.
    """
    logits = F.normalize(hard, dim=-1) @ F.normalize(soft, dim=-1).t()
    return F.cross_entropy(logits / temperature, hard_labels)

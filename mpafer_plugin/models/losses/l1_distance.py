"""Row-wise L1 distance, as a norm or as a per-element mean."""
import torch

L1_REDUCTIONS = ('norm', 'mean')


def l1_distance(a: torch.Tensor,
                b: torch.Tensor,
                reduction: str = 'mean') -> torch.Tensor:
    """``(N, D)``, ``(N, D)`` → ``(N,)``: ``‖a_i − b_i‖₁ / D`` (``'mean'``,
    the default: the mean absolute difference, what ``F.l1_loss`` gives, as
    the anchors compute such terms) or ``‖a_i − b_i‖₁`` (``'norm'``: the L1
    distance, summed over the ``D`` dimensions, ``D`` times stronger)."""
    if reduction not in L1_REDUCTIONS:
        raise ValueError(f'reduction must be one of {L1_REDUCTIONS}, got '
                         f'{reduction!r}.')
    diff = (a - b).abs()
    return diff.sum(-1) if reduction == 'norm' else diff.mean(-1)

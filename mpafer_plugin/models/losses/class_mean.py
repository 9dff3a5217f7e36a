"""Average per-item losses within each class, then over classes."""
import torch


def class_mean(values: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """``(1/|C|) Σ_c (1/n_c) Σ_{i: y_i = c} v_i`` over the classes ``C``
    present in ``labels``: every class weighs the same whatever its number
    of items (e.g. of hard prompts: descriptions per class differ).

    Args:
        values: ``(H,)`` per-item losses.
        labels: ``(H,)`` class index of each item.

    Returns:
        Scalar.
    """
    counts = torch.bincount(labels)
    sums = values.new_zeros(counts.shape[0]).index_add_(0, labels, values)
    present = counts > 0
    return (sums[present] / counts[present].to(sums)).mean()

"""MMEngine 0.10.7's ``AmpOptimWrapper`` on CPU.

``AmpOptimWrapper.__init__`` refuses a CPU device, but its methods work
there once the attributes its constructor would set are in place:
``loss_scaler`` (a disabled ``GradScaler``: bf16 needs no loss scaling, so
``backward``/``step`` are those of a plain ``OptimWrapper``),
``_scale_update_param`` and ``cast_dtype`` (the autocast type of
``optim_context``).
"""
import torch


def setup_cpu_bf16_autocast(wrapper) -> None:
    """Give an ``AmpOptimWrapper`` whose ``OptimWrapper.__init__`` ran the
    state its own constructor would, for CPU bf16 autocast."""
    wrapper._scale_update_param = None
    wrapper.loss_scaler = torch.amp.GradScaler('cpu', enabled=False)
    wrapper.cast_dtype = torch.bfloat16

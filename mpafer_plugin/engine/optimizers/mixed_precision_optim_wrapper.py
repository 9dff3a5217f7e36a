"""MMEngine's ``AmpOptimWrapper``, also on CPU (bf16 autocast)."""
from typing import Optional, Union

import torch
from mmengine.device import get_device
from mmengine.optim import AmpOptimWrapper, OptimWrapper
from mmpretrain.registry import OPTIM_WRAPPERS

from ...compat import setup_cpu_bf16_autocast


@OPTIM_WRAPPERS.register_module()
class MixedPrecisionOptimWrapper(AmpOptimWrapper):
    """Automatic mixed precision on any device, configured like
    :class:`AmpOptimWrapper` (``tools/train.py --amp`` selects it).

    On an accelerator it *is* ``AmpOptimWrapper``: the forward pass runs
    under ``autocast(dtype)`` (``None``: float16 on CUDA) and the loss is
    scaled (``loss_scale``). On CPU, which ``AmpOptimWrapper`` refuses, the
    forward pass runs under CPU autocast, whose only type is bfloat16; bf16
    has fp32's exponent range, so no loss scaling is needed and the scaler
    is a disabled pass-through (``backward``, ``step`` and the checkpointed
    state are those of a plain :class:`OptimWrapper`).

    Args:
        loss_scale: as ``AmpOptimWrapper`` (ignored on CPU).
        dtype: ``'float16'``, ``'bfloat16'`` (or a ``torch.dtype``);
            ``None`` = the device's autocast default. On CPU only
            ``'bfloat16'`` (or ``None``).
        use_fsdp: as ``AmpOptimWrapper``.
        **kwargs: as :class:`OptimWrapper`.
    """

    def __init__(self,
                 loss_scale: Union[str, float, dict] = 'dynamic',
                 dtype: Optional[Union[str, torch.dtype]] = None,
                 use_fsdp: bool = False,
                 **kwargs):
        if get_device() != 'cpu':
            super().__init__(
                loss_scale=loss_scale,
                dtype=dtype,
                use_fsdp=use_fsdp,
                **kwargs)
            return
        if dtype not in (None, 'bfloat16', torch.bfloat16):
            raise ValueError(
                f'optim_wrapper.dtype={dtype!r}: CPU autocast supports only '
                f"'bfloat16'; float16 mixed precision needs a GPU.")
        OptimWrapper.__init__(self, **kwargs)  # AmpOptimWrapper's is GPU-only
        setup_cpu_bf16_autocast(self)

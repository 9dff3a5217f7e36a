"""The MPA-FER classifier for deployment: the prompted image encoder with
the class text features baked in, exportable as TorchScript and ONNX.

At inference the text side is constant: the encoded soft prompts
``θ(t_c)`` (``(C, D)``) are computed once and stored as a buffer, so the
exported graph is the prompted image tower plus the global-local matching
(METHOD.md §4 in docs/method.md)::

    x  = (flip_bgr_to_rgb(images) - mean) / std     # data_preprocessor
    z^l, z^g = backbone(x)                           # (B, N, D), (B, D)
    S_g = cos(z^g, θ(t_c)),  S_l = mean top-k_i cos(z^l_i, θ(t_c))
    p   = softmax(s · (S_g + λ S_l))                 # (B, C)

Input: ``(B, 3, H, W)`` float BGR images on the 0-255 scale (what the test
pipeline packs: e.g. ``FERInferencer.crop_faces`` crops resized to the
config's input size); output: ``(B, C)`` class probabilities in the order
of ``model.head.classnames``.
"""
import copy
import warnings

import torch
from open_clip.model import convert_weights_to_lp
from torch import nn

from ..models.heads import MPAHead

PRECISIONS = ('fp32', 'bf16', 'int8')


class DeployableFER(nn.Module):
    """See the module doc. Built from an MPA-FER model in eval mode (its
    head an :class:`MPAHead`); the model is not modified."""

    def __init__(self, model: nn.Module):
        super().__init__()
        head = model.head
        if not isinstance(head, MPAHead):
            raise TypeError(f'The model head is {type(head).__name__}; '
                            f'export needs an MPAHead.')
        pre = model.data_preprocessor
        self.to_rgb = bool(getattr(pre, 'to_rgb', False))
        normalize = getattr(pre, '_enable_normalize', False)
        channels = 3
        self.register_buffer('mean', (pre.mean if normalize else torch.zeros(
            channels, 1, 1)).detach().float().reshape(1, channels, 1, 1))
        self.register_buffer('std', (pre.std if normalize else torch.ones(
            channels, 1, 1)).detach().float().reshape(1, channels, 1, 1))
        self.backbone = model.backbone
        was_training = head.training
        head.eval()
        with torch.no_grad():
            text = head.text_features().detach().float().clone()
        head.train(was_training)
        self.register_buffer('text_features', text)
        self.register_buffer(
            'logit_scale',
            torch.as_tensor(head.logit_scale,
                            dtype=torch.float32).detach().clone())
        self.local_weight = float(head.local_weight)
        self.local_topk = int(head.local_topk)
        self.classes = list(head.classnames)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        x = images.float()
        if self.to_rgb:
            x = x.flip(1)
        x = (x - self.mean) / self.std
        patch_feats, global_feat = self.backbone(x)[-2:]
        scores = MPAHead.global_text_similarity(global_feat,
                                                self.text_features)
        if self.local_weight:
            similarity = MPAHead.patch_text_similarity(patch_feats,
                                                       self.text_features)
            local = similarity.topk(self.local_topk, dim=-1).values
            scores = scores + self.local_weight * local.mean(dim=-1)
        return (self.logit_scale * scores).softmax(dim=-1)


def deploy_variant(module: DeployableFER, precision: str) -> DeployableFER:
    """A copy of ``module`` whose frozen image tower computes in
    ``precision`` (``module`` is not modified):

    * ``'fp32'``: the copy as it is;
    * ``'bf16'``: the tower's linear, convolution, attention and projection
      weights stored in bf16 (open_clip's ``convert_weights_to_lp``, as
      ``model.clip.precision='bf16'``; layer norms, prompts, text features
      and the matching stay fp32). Fast where the CPU has bf16 arithmetic
      (AVX512-BF16, AMX) or on a GPU;
    * ``'int8'``: dynamic quantisation of every ``nn.Linear`` (the MLPs:
      two thirds of a ViT's weights; int8 weights, activations quantised
      per batch; ``torch.ao.quantization.quantize_dynamic``, CPU only). The
      attention's packed input projection is a parameter, not a
      ``nn.Linear``, and ``nn.MultiheadAttention``'s output projection is
      excluded by PyTorch: both stay fp32.
    """
    if precision not in PRECISIONS:
        raise ValueError(f'precision={precision!r} is not one of '
                         f'{PRECISIONS}.')
    variant = copy.deepcopy(module).eval()
    if precision == 'bf16':
        convert_weights_to_lp(variant.backbone.visual, torch.bfloat16)
    elif precision == 'int8':
        from torch.ao.quantization import quantize_dynamic
        with warnings.catch_warnings():
            # torch 2.x announces the move of eager quantisation to torchao
            warnings.simplefilter('ignore', DeprecationWarning)
            variant = quantize_dynamic(
                variant, {nn.Linear}, dtype=torch.qint8, inplace=True)
    return variant


__all__ = ['DeployableFER', 'deploy_variant', 'PRECISIONS']

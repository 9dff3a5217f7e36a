"""open_clip vision transformer with deep visual prompts (VPT-deep), frozen
or, as the baseline that fine-tunes the image encoder, trainable."""
from typing import Optional, Tuple

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from mmpretrain.registry import MODELS

from ...compat import vit_token_embeddings
from ...utils.value_checks import check_number
from ..utils import attention_layout as layouts
from ..utils.clip_loader import load_clip


@MODELS.register_module()
class PromptedCLIPViT(BaseModule):
    """CLIP image encoder φ, frozen, with ``N_p`` learnable prompt tokens
    appended before each of its first ``K`` transformer layers.

    ``freeze_clip=False`` makes the tower's own weights trainable too (and
    lets it follow train/eval mode): the baseline the paper sets prompt
    learning against, fine-tuning the image encoder (its Fig. 1a), e.g.
    under mmpretrain's ``ImageClassifier`` with a ``LinearClsHead``
    (``configs/proxy/finetune_image_encoder_proxy.py``).

    Layer ``k < K`` sees ``[x_cls, x_1..x_N, P_k]`` (``P_k``: ``N_p × W``,
    initialised ``N(0, std²)``); its prompt outputs are dropped, so prompts
    never travel between layers (docs/method.md §3). With ``num_prompts=0`` or
    ``prompt_depth=0`` the output equals open_clip's ``encode_image``.

    The CLIP weights come either from ``clip_model`` (an open_clip model
    built once by :class:`MPAFER` and shared with the text head) or from a
    CLIP spec ``clip=dict(model_name=..., pretrained=...)`` when the backbone
    is used on its own, e.g. under mmpretrain's ``ImageClassifier``.

    Args:
        clip (dict, optional): CLIP spec for :func:`load_clip`.
        clip_model (nn.Module, optional): an open_clip ``CLIP`` whose
            ``visual`` tower is taken. Exactly one of ``clip`` and
            ``clip_model`` must be given.
        freeze_clip (bool): keep the CLIP tower's weights frozen (MPA-FER).
            ``False`` fine-tunes them; :class:`MPAFER` refuses it, since its
            text head shares the frozen CLIP. Defaults to True.
        num_prompts (int): ``N_p``, prompt tokens per layer. Defaults to 8.
        prompt_depth (int, optional): ``K``, how many layers (from the first)
            receive prompts; ``None`` means all. Defaults to None.
        prompt_init_std (float): std of the normal init. Defaults to 0.02.
        attention_layout (str): memory layout of the frozen blocks:
            ``'auto'`` (a fixed rule: sequence-first where the blocks
            support it, the faster exact layout on the machines measured),
            ``'timed'`` (measured once per shape class in the process;
            opt-in, its choice may differ between runs), ``'batch_first'``
            (open_clip's) or ``'sequence_first'``; see
            :mod:`..utils.attention_layout`. Outputs agree to float
            rounding. Defaults to ``'auto'``.

    Forward:
        ``inputs`` ``(B, 3, H, W)`` normalised images → a tuple
        ``(patch_feats, global_feat)``: ``(B, N, D)`` and ``(B, D)``, both
        through ``ln_post`` and ``proj`` (``D`` = CLIP embedding width,
        ``N`` = number of patches). The global feature is last so that
        mmpretrain heads, which read ``feats[-1]``, work unchanged. With a
        half-precision CLIP the inputs are cast to its type and the features
        come out in it; the prompts stay fp32 (cast where they are used).
        The blocks run on ``(B, L, W)`` or, sequence-first, on a contiguous
        ``(L, B, W)`` copy (prompts joined and dropped along ``L``); the
        outputs are batch-first either way.
    """

    def __init__(self,
                 clip: Optional[dict] = None,
                 clip_model: Optional[nn.Module] = None,
                 freeze_clip: bool = True,
                 num_prompts: int = 8,
                 prompt_depth: Optional[int] = None,
                 prompt_init_std: float = 0.02,
                 attention_layout: str = 'auto',
                 init_cfg: Optional[dict] = None):
        if init_cfg is not None:
            raise ValueError('PromptedCLIPViT takes no init_cfg: an '
                             'initialiser would overwrite the CLIP weights. '
                             'Prompts are initialised by prompt_init_std.')
        super().__init__()
        if (clip is None) == (clip_model is None):
            raise ValueError('Give exactly one of `clip` (a CLIP spec dict) '
                             'and `clip_model` (a built open_clip model).')
        if clip_model is None:
            clip_model = load_clip(**clip)
        self.visual = self._check_tower(clip_model.visual)
        self.freeze_clip = bool(freeze_clip)
        self.visual.requires_grad_(not self.freeze_clip)

        num_layers = len(self.visual.transformer.resblocks)
        depth = num_layers if prompt_depth is None else check_number(
            prompt_depth,
            'model.backbone.prompt_depth',
            0,
            num_layers,
            integer=True,
            why=f'this CLIP has {num_layers} layers')
        num_prompts = check_number(
            num_prompts, 'model.backbone.num_prompts', 0, integer=True)
        prompt_init_std = check_number(prompt_init_std,
                                       'model.backbone.prompt_init_std', 0)
        self.num_prompts = num_prompts if depth else 0
        self.prompt_depth = depth if num_prompts else 0
        self.prompt_init_std = prompt_init_std
        self.attention_layout = layouts.check_mode(attention_layout,
                                                   type(self).__name__)
        width = self.visual.transformer.width
        self.prompts = nn.Parameter(
            torch.empty(self.prompt_depth, self.num_prompts, width))
        self.init_weights()

    @staticmethod
    def _check_tower(visual: nn.Module) -> nn.Module:
        """Accept only the open_clip ViT layout this module re-implements."""
        supported = (
            hasattr(visual, 'transformer') and hasattr(visual, '_embeds')
            and getattr(visual, 'attn_pool', None) is None
            and getattr(visual, 'pool_type', None) == 'tok'
            and not getattr(visual, 'final_ln_after_pool', False)
            and getattr(visual.transformer, 'batch_first', False))
        if not supported:
            raise TypeError(
                f'{type(visual).__name__} is not a supported open_clip '
                'vision transformer (need class-token pooling, no attention '
                'pooler, batch-first blocks).')
        return visual

    @property
    def embed_dim(self) -> int:
        """``D``: width of the projected features."""
        return self.visual.output_dim

    @property
    def num_patches(self) -> int:
        """``N``: number of patch tokens."""
        grid = self.visual.grid_size
        return grid[0] * grid[1]

    def init_weights(self) -> None:
        """Initialise the prompts only; CLIP keeps its weights."""
        nn.init.normal_(self.prompts, std=self.prompt_init_std)

    def train(self, mode: bool = True) -> 'PromptedCLIPViT':
        """Switch mode, keeping a frozen CLIP tower in eval mode."""
        super().train(mode)
        if self.freeze_clip:
            self.visual.eval()
        return self

    def forward(self,
                inputs: torch.Tensor,
                use_prompts: bool = True) -> Tuple[torch.Tensor, torch.Tensor]:
        """Encode images; ``use_prompts=False`` gives the frozen CLIP."""
        visual = self.visual
        # (B, 1 + N, W) after ln_pre; the inputs in CLIP's storage type
        x = vit_token_embeddings(visual, inputs.to(visual.conv1.weight.dtype))
        depth = self.prompt_depth if use_prompts else 0
        backward = torch.is_grad_enabled() and (
            x.requires_grad or (depth > 0 and self.prompts.requires_grad))
        layout = layouts.choose_layout(
            visual.transformer,
            x,
            self.attention_layout,
            backward=backward,
            prompts=self.prompts[0] if depth else None,
            owner=self)
        x = layouts.run_blocks(
            visual.transformer,
            x,
            layout,
            prompts=self.prompts[:depth] if depth else None)
        x = visual.ln_post(x)
        if visual.proj is not None:
            x = x @ visual.proj
        return x[:, 1:], x[:, 0]

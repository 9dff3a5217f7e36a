"""MPA-FER head: soft text prompts, hard-prompt alignment and the
cross-modal global-local classifier (docs/method.md §2, §4, §5)."""
import functools
from typing import Any, Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.models.heads import ClsHead
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from ..utils.clip_loader import load_clip
from ..utils.clip_text_encoder import CLIPTextEncoder
from ..utils.hard_prompts import (DEFAULT_DESCRIPTIONS, build_hard_prompts,
                                  load_descriptions)


def _build_optional(cfg: Optional[dict], key: str) -> Optional[nn.Module]:
    """Build a loss config, or ``None``; an error names the config key."""
    if cfg is None:
        return None
    try:
        return MODELS.build(cfg)
    except ValueError as err:
        raise ValueError(f'{key}: {err}') from err


def check_logit_scale(logit_scale: float, key: str) -> None:
    """Refuse ``s ≤ 0``: the logits would be all zero (no gradient, every
    class tied) or ranked backwards."""
    if not logit_scale > 0:
        raise ValueError(f'{key}={logit_scale!r}: the logit scale must be '
                         f'> 0 (0 ties every class, a negative one ranks '
                         f'them backwards).')


def _autocast_off(method):
    """Run a head method with autocast off on the head's device, so that
    what it computes (logits, losses) is fp32."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        with torch.autocast(self.context.device.type, enabled=False):
            return method(self, *args, **kwargs)

    return wrapper


@MODELS.register_module()
class MPAHead(ClsHead):
    """Classify CLIP image features against learned soft text prompts.

    **Soft prompts** (CoOp): class ``c``'s prompt is
    ``[SOS] v_1 … v_M <classname> . [EOS]``; the ``v_j`` (``context``,
    ``(M, W)`` shared or ``(C, M, W)`` class-specific) are the only
    trainable tensors here. ``θ(t_c)`` is its projected EOS feature.

    **Logits** (global-local alignment), for global ``z^g`` ``(B, D)``,
    patches ``z^l`` ``(B, N, D)`` and text ``θ(t)`` ``(C, D)``, all
    L2-normalised: ``logit_d = s · (cos(z^g, θ(t_d)) + λ · mean(topk_i
    cos(z^l_i, θ(t_d))))``, top-k taken per class.

    **Losses** (each switched off by ``None``): ``loss_cls`` (CE),
    ``loss_token_align`` (``L_ta``), ``loss_prompt_align`` (``L_pa``),
    ``loss_proto_align`` (``L_v``; needs :class:`PrototypeHook`). Hard
    prompts are tokenised at construction and encoded once, lazily, on the
    model's device; they are re-encoded only after a state-dict load.

    **Precision**: the image tower runs under the caller's autocast (mixed
    precision); the loss (text tower included) and the logits are computed
    with autocast off, in fp32 (CLIP's frozen weights keep their storage
    type, see the CLIP spec's ``precision``): bf16 keeps 8 mantissa bits
    and the cosines are multiplied by ``s = 100``.

    Args:
        classnames (Sequence[str]): class names used in the prompts, in
            label order.
        clip (dict, optional): CLIP spec, when the head builds its own.
        clip_model (nn.Module, optional): the open_clip model shared with
            the backbone (given by :class:`MPAFER`).
        num_context (int): ``M``. Defaults to 10.
        context_init_std (float): std of the context init. Defaults to 0.02.
        class_specific_context (bool): one context per class. Defaults to
            False.
        hard_prompt_variant (int): 1, 2 or 3 (see ``hard_prompts``).
            Defaults to 3.
        descriptions (str, optional): descriptions file; defaults to the
            one shipped in ``mpafer_plugin/resources``.
        granularities (Sequence[str], optional): description levels used;
            ``None`` = all.
        local_topk (int): ``k``, patches per class. Defaults to 16.
        local_weight (float): ``λ``; 0 gives CoOp's global matching.
            Defaults to 1.0.
        logit_scale (float, optional): ``s``; ``None`` takes CLIP's learned
            scale. Defaults to 100.
        loss (dict): classification loss.
        token_align_loss, prompt_align_loss, prototype_align_loss (dict,
            optional): alignment loss configs, ``None`` to switch off.
    """

    def __init__(self,
                 classnames: Sequence[str],
                 clip: Optional[dict] = None,
                 clip_model: Optional[nn.Module] = None,
                 num_context: int = 10,
                 context_init_std: float = 0.02,
                 class_specific_context: bool = False,
                 hard_prompt_variant: int = 3,
                 descriptions: Optional[str] = None,
                 granularities: Optional[Sequence[str]] = None,
                 local_topk: int = 16,
                 local_weight: float = 1.0,
                 logit_scale: Optional[float] = 100.0,
                 loss: dict = dict(type='CrossEntropyLoss', loss_weight=1.0),
                 token_align_loss: Optional[dict] = dict(
                     type='TokenAlignmentLoss'),
                 prompt_align_loss: Optional[dict] = dict(
                     type='PromptAlignmentLoss'),
                 prototype_align_loss: Optional[dict] = dict(
                     type='PrototypeAlignmentLoss'),
                 **kwargs):
        super().__init__(loss=loss, **kwargs)
        if (clip is None) == (clip_model is None):
            raise ValueError('Give exactly one of `clip` (a CLIP spec dict) '
                             'and `clip_model` (a built open_clip model).')
        if clip_model is None:
            clip_model = load_clip(**clip)
        self.text_encoder = CLIPTextEncoder(clip_model)
        self.classnames = list(classnames)
        self.num_classes = len(self.classnames)
        self.local_topk = local_topk
        self.local_weight = local_weight
        self.logit_scale = (clip_model.logit_scale.exp().item()
                            if logit_scale is None else logit_scale)
        check_logit_scale(self.logit_scale, 'model.head.logit_scale')

        width = self.text_encoder.width
        shape = ((self.num_classes, num_context, width)
                 if class_specific_context else (num_context, width))
        self.context = nn.Parameter(torch.empty(shape))
        self.context_init_std = context_init_std
        self.init_weights()
        placeholder = ' '.join(['X'] * num_context)
        self.register_buffer(
            'soft_token_ids',
            self.text_encoder.tokenize(
                [f'{placeholder} {name}.' for name in self.classnames],
                'model.head.classnames'),
            persistent=False)

        self.token_align_loss = _build_optional(
            token_align_loss, 'model.head.token_align_loss')
        self.prompt_align_loss = _build_optional(
            prompt_align_loss, 'model.head.prompt_align_loss')
        self.prototype_align_loss = _build_optional(
            prototype_align_loss, 'model.head.prototype_align_loss')
        self._check_something_is_trained()
        if self.token_align_loss or self.prompt_align_loss:
            self._register_hard_prompts(hard_prompt_variant, descriptions,
                                        granularities)
        if self.prototype_align_loss:
            self.register_buffer(
                'prototypes',
                torch.zeros(self.num_classes, self.text_encoder.output_dim))
            self.register_buffer('prototypes_ready', torch.tensor(False))
        self._cache: Dict[str, Any] = {}

    def _register_hard_prompts(self, variant: int,
                               descriptions: Optional[str],
                               granularities: Optional[Sequence[str]]
                               ) -> None:
        """Build and tokenise the hard prompts (``hard_prompts``,
        ``hard_token_ids`` ``(P, L)``, ``hard_labels`` ``(P,)``); they are
        encoded lazily by :meth:`_constants`."""
        described, source = None, 'model.head.classnames'
        if variant == 3:
            source = descriptions or DEFAULT_DESCRIPTIONS
            described = load_descriptions(source, self.classnames,
                                          granularities)
        texts, labels = build_hard_prompts(self.classnames, variant,
                                           described)
        self.hard_prompts = texts
        self.register_buffer(
            'hard_token_ids',
            self.text_encoder.tokenize(texts, source),
            persistent=False)
        self.register_buffer('hard_labels', torch.tensor(labels),
                             persistent=False)

    def _check_something_is_trained(self) -> None:
        """Refuse a head whose every loss term has weight 0 (or is off):
        the prompts would never move."""
        terms = dict(loss=self.loss_module,
                     token_align_loss=self.token_align_loss,
                     prompt_align_loss=self.prompt_align_loss,
                     prototype_align_loss=self.prototype_align_loss)
        weights = {f'model.head.{key}.loss_weight':
                   getattr(module, 'loss_weight', 1.0)
                   for key, module in terms.items() if module is not None}
        if not any(weights.values()):
            raise ValueError(
                f'Every loss term has weight 0 ({weights}): nothing would be '
                f'trained. Give at least one a non-zero loss_weight.')

    def train(self, mode: bool = True) -> 'MPAHead':
        """Set the train mode; the frozen text tower stays in eval."""
        super().train(mode)
        self.text_encoder.eval()
        return self

    # -- parameters and frozen constants ----------------------------------
    def init_weights(self) -> None:
        """Initialise the context vectors only; CLIP keeps its weights."""
        nn.init.normal_(self.context, std=self.context_init_std)

    def _load_from_state_dict(self, *args, **kwargs) -> None:
        super()._load_from_state_dict(*args, **kwargs)
        self._cache.clear()  # CLIP weights may have changed

    def _constants(self) -> Dict[str, Any]:
        """Frozen text-side tensors, computed once per device and weights:
        soft-prompt start/class-name token embeddings, and the hard prompts'
        pooled token embeddings and encoded features."""
        device = self.context.device
        if self._cache.get('device') == device:
            return self._cache
        cache = dict(device=device)
        with torch.no_grad():
            soft = self.text_encoder.embed(self.soft_token_ids)
            num_context = self.context.shape[-2]
            cache['prefix'] = soft[:, :1]
            cache['suffix'] = soft[:, 1 + num_context:]
            cache['soft_mask'] = CLIPTextEncoder.content_mask(
                self.soft_token_ids)
            if hasattr(self, 'hard_token_ids'):
                ids = self.hard_token_ids
                hard = self.text_encoder.embed(ids)
                cache['hard_features'] = self.text_encoder(hard, ids).float()
                if self.token_align_loss is not None:
                    cache['hard_pooled'] = self.token_align_loss.pool(
                        hard.float(), CLIPTextEncoder.content_mask(ids))
        self._cache = cache
        return cache

    def set_prototypes(self, prototypes: torch.Tensor) -> None:
        """Store ``(C, D)`` class prototypes for ``L_v``."""
        if prototypes.shape != self.prototypes.shape:
            raise ValueError(f'prototypes of shape {tuple(prototypes.shape)}'
                             f', expected {tuple(self.prototypes.shape)}.')
        if not torch.isfinite(prototypes).all():
            classes = (~torch.isfinite(prototypes)).any(-1).nonzero()
            raise ValueError(f'prototypes hold NaN/inf for classes '
                             f'{classes.flatten().tolist()} (a class with no '
                             f'image, or a damaged cache).')
        self.prototypes.copy_(prototypes)
        self.prototypes_ready.fill_(True)

    # -- text side ---------------------------------------------------------
    def soft_prompt_embeddings(self) -> torch.Tensor:
        """``(C, L, W)`` token embeddings of the soft prompts."""
        const = self._constants()
        context = self.context
        if context.dim() == 2:
            context = context.unsqueeze(0).expand(self.num_classes, -1, -1)
        prefix = const['prefix']
        return torch.cat(
            [prefix, context.to(prefix.dtype), const['suffix']], dim=1)

    def text_features(self) -> torch.Tensor:
        """``(C, D)`` encoded soft prompts ``θ(t_c)``. Outside training they
        are cached until the context vectors change."""
        if self.training:
            return self.text_encoder(self.soft_prompt_embeddings(),
                                     self.soft_token_ids)
        key = (self.context._version, self.context.data_ptr())
        cached = self._cache.get('eval_text')
        if cached is None or self._cache.get('eval_key') != key:
            with torch.no_grad():
                cached = self.text_encoder(self.soft_prompt_embeddings(),
                                           self.soft_token_ids)
            self._cache.update(eval_text=cached, eval_key=key)
        return cached

    # -- classifier --------------------------------------------------------
    @staticmethod
    def global_text_similarity(global_feat: torch.Tensor,
                               text_feats: torch.Tensor) -> torch.Tensor:
        """``S_g``: ``(B, D)``, ``(C, D)`` → ``(B, C)``,
        ``cos(z^g, θ(t_c))``."""
        return (F.normalize(global_feat.float(), dim=-1)
                @ F.normalize(text_feats.float(), dim=-1).t())

    @staticmethod
    def patch_text_similarity(patch_feats: torch.Tensor,
                              text_feats: torch.Tensor) -> torch.Tensor:
        """The patch-text similarity map: ``(B, N, D)``, ``(C, D)`` →
        ``(B, C, N)``, ``cos(z^l_i, θ(t_c))`` for every class and patch."""
        return torch.einsum('bnd,cd->bcn',
                            F.normalize(patch_feats.float(), dim=-1),
                            F.normalize(text_feats.float(), dim=-1))

    def top_patches(self, similarity: torch.Tensor, k: Optional[int] = None
                    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """The ``k`` most similar patches of each class: ``(B, C, N)`` →
        values and patch indices, both ``(B, C, k)``; ``k`` defaults to
        ``local_topk``, and ``S_l`` is then the mean of the values."""
        k = self.local_topk if k is None else k
        num_patches = similarity.shape[-1]
        if not 0 < k <= num_patches:
            raise ValueError(f'top-k with k={k} (local_topk='
                             f'{self.local_topk}): k must be in '
                             f'[1, {num_patches}] (number of patches).')
        top = similarity.topk(k, dim=-1)
        return top.values, top.indices

    @_autocast_off
    def global_local_logits(self, patch_feats: torch.Tensor,
                            global_feat: torch.Tensor,
                            text_feats: torch.Tensor) -> torch.Tensor:
        """``(B, N, D)``, ``(B, D)``, ``(C, D)`` → ``(B, C)`` logits
        ``s · (S_g + λ S_l)``."""
        scores = self.global_text_similarity(global_feat, text_feats)
        if self.local_weight:
            values, _ = self.top_patches(
                self.patch_text_similarity(patch_feats, text_feats))
            scores = scores + self.local_weight * values.mean(dim=-1)
        return self.logit_scale * scores

    def forward(self, feats: Tuple[torch.Tensor, ...]) -> torch.Tensor:
        """``(patch_feats, global_feat)`` from the backbone → logits."""
        patch_feats, global_feat = feats[-2:]
        return self.global_local_logits(patch_feats, global_feat,
                                        self.text_features())

    @_autocast_off
    def loss(self, feats: Tuple[torch.Tensor, ...],
             data_samples: List[DataSample], **kwargs) -> dict:
        patch_feats, global_feat = feats[-2:]
        soft_embeddings = self.soft_prompt_embeddings()
        text_feats = self.text_encoder(soft_embeddings, self.soft_token_ids)
        logits = self.global_local_logits(patch_feats, global_feat,
                                          text_feats)
        losses = self._get_loss(logits, data_samples, **kwargs)
        losses['loss_cls'] = losses.pop('loss')
        const = self._constants()
        if self.token_align_loss is not None:
            losses['loss_token_align'] = self.token_align_loss(
                soft_embeddings.float(), const['soft_mask'],
                const['hard_pooled'], self.hard_labels)
        if self.prompt_align_loss is not None:
            losses['loss_prompt_align'] = self.prompt_align_loss(
                text_feats.float(), const['hard_features'], self.hard_labels)
        if self.prototype_align_loss is not None:
            if not self.prototypes_ready:
                raise RuntimeError(
                    'MPAHead: prototype alignment is on but no prototypes '
                    "were computed; add dict(type='PrototypeHook') to "
                    'custom_hooks or set prototype_align_loss=None.')
            labels = torch.cat([s.gt_label for s in data_samples])
            losses['loss_proto_align'] = self.prototype_align_loss(
                global_feat.float(), self.prototypes, labels)
        return losses

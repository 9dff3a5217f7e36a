"""MPA-FER head: soft text prompts and the alignment losses, on the
global-local classifier (docs/method.md §2, §4, §5)."""
import functools
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from ...compat.inline_prompt_learner import (HEAD_VERSION, add_module_first,
                                             prompt_learner_from_flat_keys,
                                             upgrade_head_state_dict)
from ...utils.value_checks import check_number
from .clip_text_head import CLIPTextHead
from .hard_prompt_bank import HardPromptBank


def _build_optional(cfg: Optional[dict], key: str) -> Optional[nn.Module]:
    """Build a loss config, or ``None``; an error names the config key."""
    if cfg is None:
        return None
    try:
        return MODELS.build(cfg)
    except ValueError as err:
        raise ValueError(f'{key}: {err}') from err


def _autocast_off(method):
    """Run a head method with autocast off on the head's device, so that
    what it computes (logits, losses) is fp32."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        device = self.prompt_learner.token_ids.device
        with torch.autocast(device.type, enabled=False):
            return method(self, *args, **kwargs)

    return wrapper


@MODELS.register_module()
class MPAHead(CLIPTextHead):
    """Classify CLIP image features against learned soft text prompts.

    **Soft prompts**: a prompt learner (``prompt_learner``, by default
    :class:`CoOpPromptLearner`: class ``c``'s prompt is
    ``[SOS] v_1 … v_M <classname> . [EOS]``, the context ``v_j`` shared or
    class-specific) holds the only trainable tensors here and gives the
    soft prompts' embeddings and their text features ``θ(t_c)``.

    **Logits** (global-local alignment): :class:`GlobalLocalClassifier`
    on ``θ(t)``, ``logit_d = s · (S_g + λ S_l)`` (see
    :class:`CLIPTextHead`).

    **Losses** (each switched off by ``None``): ``loss_cls`` (CE),
    ``loss_token_align`` (``L_ta``), ``loss_prompt_align`` (``L_pa``),
    ``loss_proto_align`` (``L_v``; needs :class:`PrototypeHook`). The two
    soft–hard alignments use a :class:`HardPromptBank` (``hard_prompts``),
    tokenised at construction and encoded once, lazily, on the model's
    device; it is re-encoded only after a state-dict load.

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
        prompt_learner (dict): the prompt learner's config, built with the
            class names and the text tower added (see
            :class:`CoOpPromptLearner` for the interface); ``type``
            defaults to ``'CoOpPromptLearner'``. Defaults to
            ``dict(type='CoOpPromptLearner', num_context=10,
            class_specific_context=False, init_std=0.02)``. The flat keys
            ``num_context``, ``class_specific_context`` and
            ``context_init_std`` of older configs are still accepted, with a
            ``FutureWarning`` (:mod:`mpafer_plugin.compat.
            inline_prompt_learner`).
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

    # 2: the context is prompt_learner.context (1: inline, head.context)
    _version = HEAD_VERSION

    def __init__(
            self,
            classnames: Sequence[str],
            clip: Optional[dict] = None,
            clip_model: Optional[nn.Module] = None,
            prompt_learner: dict = dict(
                type='CoOpPromptLearner',
                num_context=10,
                class_specific_context=False,
                init_std=0.02),
            hard_prompt_variant: int = 3,
            descriptions: Optional[str] = None,
            granularities: Optional[Sequence[str]] = None,
            local_topk: int = 16,
            local_weight: float = 1.0,
            logit_scale: Optional[float] = 100.0,
            loss: dict = dict(type='CrossEntropyLoss', loss_weight=1.0),
            token_align_loss: Optional[dict] = dict(type='TokenAlignmentLoss'),
            prompt_align_loss: Optional[dict] = dict(
                type='PromptAlignmentLoss'),
            prototype_align_loss: Optional[dict] = dict(
                type='PrototypeAlignmentLoss'),
            **kwargs):
        prompt_learner = prompt_learner_from_flat_keys(prompt_learner, kwargs)
        super().__init__(
            classnames,
            clip=clip,
            clip_model=clip_model,
            local_topk=local_topk,
            local_weight=local_weight,
            logit_scale=logit_scale,
            loss=loss,
            **kwargs)
        prompt_learner.setdefault('type', 'CoOpPromptLearner')
        # first of the head's modules: its parameters come where the inline
        # context's did (optimizer states index parameters by position)
        add_module_first(
            self, 'prompt_learner',
            MODELS.build(
                dict(
                    prompt_learner,
                    classnames=self.classnames,
                    text_encoder=self.text_encoder)))

        self.token_align_loss = _build_optional(token_align_loss,
                                                'model.head.token_align_loss')
        self.prompt_align_loss = _build_optional(
            prompt_align_loss, 'model.head.prompt_align_loss')
        self.prototype_align_loss = _build_optional(
            prototype_align_loss, 'model.head.prototype_align_loss')
        self._check_something_is_trained()
        if self.token_align_loss or self.prompt_align_loss:
            self.hard_prompts = HardPromptBank(self.classnames,
                                               self.text_encoder,
                                               hard_prompt_variant,
                                               descriptions, granularities)
        if self.prototype_align_loss:
            self.register_buffer(
                'prototypes',
                torch.zeros(self.num_classes, self.text_encoder.output_dim))
            self.register_buffer('prototypes_ready', torch.tensor(False))

    def _check_something_is_trained(self) -> None:
        """Refuse a head whose every loss term has weight 0 (or is off):
        the prompts would never move."""
        terms = dict(
            loss=self.loss_module,
            token_align_loss=self.token_align_loss,
            prompt_align_loss=self.prompt_align_loss,
            prototype_align_loss=self.prototype_align_loss)
        weights = {
            f'model.head.{key}.loss_weight':
            check_number(
                getattr(module, 'loss_weight', 1.0),
                f'model.head.{key}.loss_weight',
                0,
                why='a negative weight maximises the loss, NaN or inf '
                'poisons it')
            for key, module in terms.items() if module is not None
        }
        if not any(weights.values()):
            raise ValueError(
                f'Every loss term has weight 0 ({weights}): nothing would be '
                f'trained. Give at least one a non-zero loss_weight.')

    # -- parameters and frozen constants ----------------------------------
    def init_weights(self) -> None:
        """Initialise the prompt learner's tensors only; CLIP keeps its
        weights."""
        self.prompt_learner.init_weights()

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, *args,
                              **kwargs) -> None:
        upgrade_head_state_dict(state_dict, prefix,
                                local_metadata.get('version'))
        super()._load_from_state_dict(state_dict, prefix, local_metadata,
                                      *args, **kwargs)

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
    def text_features(self) -> torch.Tensor:
        """``(C, D)`` encoded soft prompts ``θ(t_c)`` (cached outside
        training, see :meth:`CoOpPromptLearner.forward`)."""
        return self.prompt_learner(self.text_encoder)

    @_autocast_off
    def loss(self, feats: Tuple[torch.Tensor, ...],
             data_samples: List[DataSample], **kwargs) -> dict:
        patch_feats, global_feat = feats[-2:]
        if self.token_align_loss or self.prompt_align_loss:
            hard = self.hard_prompts.constants(
                self.text_encoder, getattr(self.token_align_loss, 'pool',
                                           None))
            hard_labels = self.hard_prompts.labels
        learner = self.prompt_learner
        soft_embeddings = learner.embeddings(self.text_encoder)
        text_feats = learner.encode(self.text_encoder, soft_embeddings)
        logits = self.global_local_logits(patch_feats, global_feat, text_feats)
        losses = self._get_loss(logits, data_samples, **kwargs)
        losses['loss_cls'] = losses.pop('loss')
        if self.token_align_loss is not None:
            losses['loss_token_align'] = self.token_align_loss(
                soft_embeddings.float(), learner.content_mask, hard['pooled'],
                hard_labels)
        if self.prompt_align_loss is not None:
            losses['loss_prompt_align'] = self.prompt_align_loss(
                text_feats.float(), hard['features'], hard_labels)
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

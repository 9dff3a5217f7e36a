"""CoOp's soft prompts: learned context vectors before each class name."""
from typing import Any, Dict, Optional, Sequence

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from mmpretrain.registry import MODELS

from ...compat import bpe_token_count
from ...utils.value_checks import check_number
from ..utils.clip_text_encoder import CLIPTextEncoder


def _check_prompt_lengths(prompts: Sequence[str], classnames: Sequence[str],
                          num_context: int, context_length: int) -> None:
    """Refuse soft prompts longer than CLIP's context: truncated, they
    would lose their class name and end-of-text token, and every class
    would be the same prompt."""
    lengths = [bpe_token_count(text) + 2 for text in prompts]  # SOS, EOS
    longest = max(range(len(prompts)), key=lengths.__getitem__)
    if lengths[longest] > context_length:
        room = context_length - (lengths[longest] - num_context)
        raise ValueError(
            f'model.head.prompt_learner.num_context={num_context}: the soft '
            f'prompt of class {classnames[longest]!r} would have '
            f'{lengths[longest]} tokens, more than CLIP\'s {context_length}'
            f' (its class name would be cut off); use num_context <= '
            f'{max(room, 0)} or a shorter class name.')


@MODELS.register_module()
class CoOpPromptLearner(BaseModule):
    """Soft text prompts (CoOp, docs/method.md §2): class ``c``'s prompt is
    ``t_c = [SOS] v_1 … v_M <classname> . [EOS]``, whose ``v_j`` (the
    ``context``, ``(M, W)`` shared by every class or ``(C, M, W)`` one per
    class) are learned in CLIP's token-embedding space, initialised
    ``N(0, init_std²)``; everything else is CLIP's frozen token embeddings.
    The context is the only trainable tensor here; ``θ(t_c)``, the text
    tower's projected end-of-text feature, is the class's text feature.

    **The prompt-learner interface** (what :class:`MPAHead` uses; another
    learner, e.g. a CoCoOp- or MaPLe-style one, is one registered module
    with the same members, chosen by ``model.head.prompt_learner.type``):

    * built as ``MODELS.build(dict(cfg, classnames=..., text_encoder=...))``
      by the head. The text tower (a :class:`CLIPTextEncoder`) is the
      head's: a learner reads it while being built and is handed it at each
      call, and never holds it, so that its weights are stored once and the
      learner's state dict holds only what it learns;
    * ``token_ids``: ``(C, L)`` token ids of the prompts (a non-persistent
      buffer), learned positions as placeholders; the text tower reads
      their end-of-text positions and causal length;
    * ``content_mask``: ``(C, L)`` bool, the tokens between start and end
      of text, what ``L_ta`` pools (a non-persistent buffer);
    * ``embeddings(text_encoder)``: ``(C, L, W)`` token embeddings of the
      prompts, in the graph of the learned tensors;
    * ``encode(text_encoder, embeddings)``: ``(C, D)`` text features of
      those embeddings (a MaPLe-style learner, which also prompts the
      deeper text layers, overrides this);
    * ``forward(text_encoder)``: ``(C, D)`` ``θ(t)``, what the logits use:
      in training, compiling or tracing computed in the graph; otherwise
      cached until a learned tensor changes (in place or replaced), and
      rebuilt after a state-dict load (the text tower may have changed);
    * ``init_weights()``: initialises the learned tensors only.

    A learner conditioned on the image (CoCoOp: ``v_j + π(z^g)``) gives one
    set of features per image; it would take the image features in
    ``embeddings``/``forward`` and return ``(B, C, …)``, which
    :class:`MPAHead` and :class:`GlobalLocalClassifier`, taking one text
    feature per class, do not accept yet.

    Args:
        classnames (Sequence[str]): class names, in label order.
        text_encoder (CLIPTextEncoder): the owner's text tower (read, not
            held).
        num_context (int): ``M``, context vectors per prompt. Defaults to
            10.
        class_specific_context (bool): one context per class (CoOp's CSC)
            instead of one shared by all. Defaults to False.
        init_std (float): std of the context's normal init. Defaults to
            0.02.
        init_cfg (dict, optional): as ``BaseModule``; unused (the context
            is initialised by :meth:`init_weights`).
    """

    def __init__(self,
                 classnames: Sequence[str],
                 text_encoder: CLIPTextEncoder,
                 num_context: int = 10,
                 class_specific_context: bool = False,
                 init_std: float = 0.02,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        num_context = check_number(
            num_context,
            'model.head.prompt_learner.num_context',
            0,
            integer=True)
        init_std = check_number(init_std, 'model.head.prompt_learner.init_std',
                                0)
        self.num_classes = len(classnames)
        width = text_encoder.width
        shape = ((self.num_classes, num_context,
                  width) if class_specific_context else (num_context, width))
        self.context = nn.Parameter(torch.empty(shape))
        self.init_std = init_std
        self.init_weights()
        placeholder = ' '.join(['X'] * num_context)
        prompts = [f'{placeholder} {name}.' for name in classnames]
        _check_prompt_lengths(prompts, classnames, num_context,
                              text_encoder.context_length)
        self.register_buffer(
            'token_ids',
            text_encoder.tokenize(prompts, 'model.head.classnames'),
            persistent=False)
        # the context, the class name and the full stop
        self.register_buffer(
            'content_mask',
            CLIPTextEncoder.content_mask(self.token_ids),
            persistent=False)
        self._cache: Dict[str, Any] = {}

    @property
    def num_context(self) -> int:
        """``M``."""
        return self.context.shape[-2]

    @property
    def class_specific_context(self) -> bool:
        return self.context.dim() == 3

    def init_weights(self) -> None:
        """Initialise the context vectors, ``N(0, init_std²)``."""
        nn.init.normal_(self.context, std=self.init_std)

    def _load_from_state_dict(self, *args, **kwargs) -> None:
        super()._load_from_state_dict(*args, **kwargs)
        self._cache.clear()  # the text tower's weights may have changed

    def _constants(self, text_encoder: CLIPTextEncoder) -> Dict[str, Any]:
        """Frozen tensors, computed once per device and weights: the
        start-token and class-name token embeddings around the context
        (``prefix`` ``(C, 1, W)``, ``suffix`` ``(C, L - 1 - M, W)``)."""
        device = self.token_ids.device
        if self._cache.get('device') == device:
            return self._cache
        cache = dict(device=device)
        with torch.no_grad():
            embedded = text_encoder.embed(self.token_ids)
            cache['prefix'] = embedded[:, :1]
            cache['suffix'] = embedded[:, 1 + self.num_context:]
        self._cache = cache
        return cache

    def embeddings(self, text_encoder: CLIPTextEncoder) -> torch.Tensor:
        """``(C, L, W)`` token embeddings of the prompts,
        ``[prefix, context, suffix]`` along ``L`` (the shared context
        repeated for every class), in the storage type of CLIP's token
        embeddings."""
        const = self._constants(text_encoder)
        context = self.context
        if context.dim() == 2:
            context = context.unsqueeze(0).expand(self.num_classes, -1, -1)
        prefix = const['prefix']
        return torch.cat(
            [prefix, context.to(prefix.dtype), const['suffix']], dim=1)

    def encode(self, text_encoder: CLIPTextEncoder,
               embeddings: torch.Tensor) -> torch.Tensor:
        """``(C, L, W)`` prompt embeddings → ``(C, D)`` text features."""
        return text_encoder(embeddings, self.token_ids)

    def _learned_key(self) -> tuple:
        """Changes whenever a learned tensor is modified in place (its
        version counter) or replaced (its storage)."""
        return tuple(
            (param._version, param.data_ptr()) for param in self.parameters())

    def forward(self, text_encoder: CLIPTextEncoder) -> torch.Tensor:
        """``(C, D)`` encoded prompts ``θ(t_c)``. Outside training they are
        cached until the context changes; traced (torch.export,
        torch.compile, TorchScript tracing) they are computed in the graph,
        a cache keyed by a storage address having no meaning there."""
        if self.training or torch.compiler.is_compiling() or \
                torch.jit.is_tracing():
            return self.encode(text_encoder, self.embeddings(text_encoder))
        key = self._learned_key()
        cached = self._cache.get('eval_text')
        if cached is None or self._cache.get('eval_key') != key:
            with torch.no_grad():
                cached = self.encode(text_encoder,
                                     self.embeddings(text_encoder))
            self._cache.update(eval_text=cached, eval_key=key)
        return cached

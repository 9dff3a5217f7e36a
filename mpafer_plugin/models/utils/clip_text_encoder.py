"""CLIP's frozen text tower θ, callable on token embeddings."""
from typing import Optional, Sequence

import torch
import torch.nn as nn

from . import attention_layout as layouts
from .hard_prompts import tokenize


class CLIPTextEncoder(nn.Module):
    """The text half of an open_clip ``CLIP``, taking token embeddings so
    that learnable context vectors can replace some of them (CoOp).

    ``forward(embeddings, token_ids)`` computes, for ``(P, L, W)`` token
    embeddings and the ``(P, L)`` token ids they came from, the projected
    ``(P, D)`` feature at each sequence's end-of-text token: exactly
    open_clip's ``encode_text`` when ``embeddings = embed(token_ids)``.

    ``L`` may be shorter than CLIP's context: the attention is causal, so
    the positions after a sequence's end-of-text token never reach its
    feature, and running the tower on the first ``max_p eot_p + 1``
    positions gives what the full context gives (to float rounding) at a
    fraction of the cost. :meth:`tokenize` returns ids cut that way.

    The blocks run in ``attention_layout`` (see
    :mod:`.attention_layout`): ``'auto'`` by a fixed rule (a contiguous
    sequence-first layout where the blocks support it), ``'timed'``
    (opt-in) measures once per shape class whether open_clip's batch-first
    layout or the sequence-first one is faster (the soft prompts, with a
    backward, and the hard prompts, without, are separate classes); both
    agree to float rounding.

    Args:
        clip_model (nn.Module): an open_clip ``CLIP`` with the standard
            causal text transformer (OpenAI / LAION style).
        attention_layout (str): ``'auto'``, ``'timed'``, ``'batch_first'``
            or ``'sequence_first'``. Defaults to ``'auto'``.
    """

    def __init__(self, clip_model: nn.Module, attention_layout: str = 'auto'):
        super().__init__()
        if (not hasattr(clip_model, 'token_embedding')
                or getattr(clip_model, 'text_pool_type', None) != 'argmax'):
            raise TypeError(
                f'{type(clip_model).__name__} has no standard CLIP text '
                'tower (argmax end-of-text pooling) to learn prompts on.')
        self.token_embedding = clip_model.token_embedding
        self.positional_embedding = clip_model.positional_embedding
        self.transformer = clip_model.transformer
        self.ln_final = clip_model.ln_final
        self.text_projection = clip_model.text_projection
        mask = clip_model.attn_mask
        self.register_buffer('attn_mask', mask, persistent=False)
        self.context_length = clip_model.context_length
        self.causal = mask is not None and torch.equal(
            mask,
            torch.full_like(mask, float('-inf')).triu(1))
        self.attention_layout = layouts.check_mode(attention_layout,
                                                   type(self).__name__)
        self.requires_grad_(False)

    @property
    def width(self) -> int:
        """``W``: token-embedding width."""
        return self.token_embedding.embedding_dim

    @property
    def output_dim(self) -> int:
        """``D``: width of the projected text features."""
        if isinstance(self.text_projection, nn.Linear):
            return self.text_projection.out_features
        return self.text_projection.shape[1]

    @staticmethod
    def eot_index(token_ids: torch.Tensor) -> torch.Tensor:
        """Position of the end-of-text token (the largest id), ``(P,)``."""
        return token_ids.argmax(dim=-1)

    @classmethod
    def content_mask(cls, token_ids: torch.Tensor) -> torch.Tensor:
        """``(P, L)`` bool mask of the tokens strictly between start- and
        end-of-text: the prompt's content, without special tokens."""
        positions = torch.arange(token_ids.shape[1], device=token_ids.device)
        eot = cls.eot_index(token_ids).unsqueeze(1)
        return (positions > 0) & (positions < eot)

    def tokenize(self,
                 texts: Sequence[str],
                 source: Optional[str] = None) -> torch.Tensor:
        """``(P, L)`` token ids of ``texts`` (truncated to CLIP's context
        with a warning naming ``source``), cut after the longest one's
        end-of-text token when the tower is causal: ``L = max_p eot_p + 1``
        instead of the context length."""
        token_ids = tokenize(texts, self.context_length, source)
        if not self.causal:
            return token_ids
        return token_ids[:, :int(self.eot_index(token_ids).max()) + 1]

    def embed(self, token_ids: torch.Tensor) -> torch.Tensor:
        """Token embeddings ``(P, L, W)`` of ``(P, L)`` token ids."""
        return self.token_embedding(token_ids)

    def forward(self, embeddings: torch.Tensor,
                token_ids: torch.Tensor) -> torch.Tensor:
        length = embeddings.shape[1]
        if length != self.context_length and not (self.causal and length
                                                  < self.context_length):
            raise ValueError(
                f'{length} tokens: this text tower takes sequences of '
                f'{self.context_length} tokens' +
                (' or fewer (causal attention).' if self.causal else '.'))
        cast_dtype = self.transformer.get_cast_dtype()
        x = embeddings.to(cast_dtype) + self.positional_embedding[:length].to(
            cast_dtype)
        mask = self.attn_mask
        mask = None if mask is None else mask[:length, :length]
        layout = layouts.choose_layout(
            self.transformer,
            x,
            self.attention_layout,
            attn_mask=mask,
            backward=torch.is_grad_enabled() and x.requires_grad,
            owner=self)
        with layouts.transformer_layout(self.transformer, layout):
            x = self.transformer(x, attn_mask=mask)
        x = self.ln_final(x)
        x = x[torch.arange(x.shape[0], device=x.device),
              self.eot_index(token_ids)]
        if isinstance(self.text_projection, nn.Linear):
            return self.text_projection(x)
        return x @ self.text_projection

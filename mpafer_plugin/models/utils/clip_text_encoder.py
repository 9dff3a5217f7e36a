"""CLIP's frozen text tower θ, callable on token embeddings."""
import torch
import torch.nn as nn


class CLIPTextEncoder(nn.Module):
    """The text half of an open_clip ``CLIP``, taking token embeddings so
    that learnable context vectors can replace some of them (CoOp).

    ``forward(embeddings, token_ids)`` computes, for ``(P, L, W)`` token
    embeddings and the ``(P, L)`` token ids they came from, the projected
    ``(P, D)`` feature at each sequence's end-of-text token: exactly
    open_clip's ``encode_text`` when ``embeddings = embed(token_ids)``.

    Args:
        clip_model (nn.Module): an open_clip ``CLIP`` with the standard
            causal text transformer (OpenAI / LAION style).
    """

    def __init__(self, clip_model: nn.Module):
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
        self.register_buffer('attn_mask', clip_model.attn_mask,
                             persistent=False)
        self.context_length = clip_model.context_length
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

    def embed(self, token_ids: torch.Tensor) -> torch.Tensor:
        """Token embeddings ``(P, L, W)`` of ``(P, L)`` token ids."""
        return self.token_embedding(token_ids)

    def forward(self, embeddings: torch.Tensor,
                token_ids: torch.Tensor) -> torch.Tensor:
        cast_dtype = self.transformer.get_cast_dtype()
        x = embeddings.to(cast_dtype) + self.positional_embedding.to(
            cast_dtype)
        x = self.transformer(x, attn_mask=self.attn_mask)
        x = self.ln_final(x)
        x = x[torch.arange(x.shape[0], device=x.device),
              self.eot_index(token_ids)]
        if isinstance(self.text_projection, nn.Linear):
            return self.text_projection(x)
        return x @ self.text_projection


"""open_clip 3.3 internals the plugin needs.

* :func:`vit_token_embeddings`: a prompted ViT inserts its prompts between
  CLIP's layers, so it runs the tower's steps itself; the first of them
  (patchify, class token, positional embedding, patch dropout, ``ln_pre``)
  is the private ``VisionTransformer._embeds``.
* :func:`bpe_token_count`: the length of a text in CLIP's BPE tokens, from
  the public ``open_clip.tokenizer.SimpleTokenizer`` (the private module
  instance ``open_clip.tokenizer._tokenizer`` is not used).
"""
import functools

import open_clip
import torch


def vit_token_embeddings(visual, images: torch.Tensor) -> torch.Tensor:
    """``(B, 1 + N, W)`` token embeddings after ``ln_pre`` of open_clip's
    ``VisionTransformer`` ``visual`` for ``images`` ``(B, 3, H, W)``."""
    return visual._embeds(images)


@functools.lru_cache(maxsize=1)
def _bpe() -> open_clip.tokenizer.SimpleTokenizer:
    return open_clip.tokenizer.SimpleTokenizer()


def bpe_token_count(text: str) -> int:
    """Tokens of ``text`` in CLIP's BPE vocabulary, without the start- and
    end-of-text tokens."""
    return len(_bpe().encode(text))

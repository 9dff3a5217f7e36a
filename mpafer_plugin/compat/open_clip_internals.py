"""open_clip 3.3 internals the plugin needs.

* :func:`vit_token_embeddings`: a prompted ViT inserts its prompts between
  CLIP's layers, so it runs the tower's steps itself; the first of them
  (patchify, class token, positional embedding, patch dropout, ``ln_pre``)
  is the private ``VisionTransformer._embeds``.
* :func:`prompted_block`: one block run with prompt tokens that only its
  other tokens attend to; on open_clip's standard
  ``ResidualAttentionBlock`` it restates the block's two residual steps
  from its own submodules (``ln_1``, ``attention``, ``ls_1``, ``ln_2``,
  ``mlp``, ``ls_2``) so that the prompts enter as keys and values only.
* :func:`bpe_token_count`: the length of a text in CLIP's BPE tokens, from
  the public ``open_clip.tokenizer.SimpleTokenizer`` (the private module
  instance ``open_clip.tokenizer._tokenizer`` is not used).
"""
import functools

import open_clip
import torch
from open_clip.transformer import ResidualAttentionBlock


def vit_token_embeddings(visual, images: torch.Tensor) -> torch.Tensor:
    """``(B, 1 + N, W)`` token embeddings after ``ln_pre`` of open_clip's
    ``VisionTransformer`` ``visual`` for ``images`` ``(B, 3, H, W)``."""
    return visual._embeds(images)


def prompted_block(block: torch.nn.Module, x: torch.Tensor,
                   prompts: torch.Tensor, dim: int) -> torch.Tensor:
    """``block`` on the tokens ``x`` joined by ``prompts`` ``(N_p, W)``
    along the sequence dimension ``dim`` of ``x`` (1 batch-first, 0
    sequence-first), the prompts' outputs dropped: the output has the shape
    of ``x``.

    In a pre-norm block a token's output depends on the other tokens only
    through the keys and values of its attention, so for open_clip's
    standard ``ResidualAttentionBlock`` the prompts enter there alone:

        k = v = LN_1([x; P]),  h = LN_1(x) (the first rows of k)
        x' = x + LS_1(Attn(q=h, k, v)),  out = x' + LS_2(MLP(LN_2(x')))

    which equals running the block on ``[x; P]`` and dropping the prompt
    rows, without the prompts' queries, attention outputs and MLP (their
    share of the block's time and saved activations, ``N_p / (L + N_p)``).
    The block runs on the joined tokens instead where this cannot be done
    (open_clip's custom blocks, cross-attention) or would lose more than it
    saves: batch-first without autograd, where ``nn.MultiheadAttention``
    takes PyTorch's fused self-attention kernel only if queries, keys and
    values are one tensor (measured in docs/performance.md).

    Where the prompts enter as keys and values, ``block`` itself is not
    called: forward hooks registered on the block do not fire (hooks on
    its submodules, e.g. ``block.mlp``, do)."""
    shape = list(x.shape)
    shape[dim] = prompts.shape[0]
    prompts = prompts.to(x.dtype)
    recording = torch.is_grad_enabled() and (x.requires_grad
                                             or prompts.requires_grad)
    joined = torch.cat([x, prompts.unsqueeze(1 - dim).expand(shape)], dim)
    if (type(block) is not ResidualAttentionBlock or hasattr(block, 'ln_1_kv')
            or (block.attn.batch_first and not recording)):
        return block(joined).narrow(dim, 0, x.shape[dim])
    kv = block.ln_1(joined)
    h = kv.narrow(dim, 0, x.shape[dim])
    x = x + block.ls_1(block.attention(q_x=h, k_x=kv, v_x=kv))
    return x + block.ls_2(block.mlp(block.ln_2(x)))


@functools.lru_cache(maxsize=1)
def _bpe() -> open_clip.tokenizer.SimpleTokenizer:
    return open_clip.tokenizer.SimpleTokenizer()


def bpe_token_count(text: str) -> int:
    """Tokens of ``text`` in CLIP's BPE vocabulary, without the start- and
    end-of-text tokens."""
    return len(_bpe().encode(text))

import pytest
import torch

from mpafer_plugin.models import CLIPTextEncoder, tokenize

TEXTS = [
    'a photo of a person making a facial expression of surprise.',
    'X X X X X X X X X X happiness.', 'fear'
]


def test_cut_sequences_equal_encode_text_on_full_context(tiny_clip):
    encoder = CLIPTextEncoder(tiny_clip)
    full = tokenize(TEXTS)
    cut = encoder.tokenize(TEXTS)
    longest = int(full.argmax(dim=-1).max()) + 1
    assert encoder.causal and full.shape[1] == 77
    assert cut.shape == (len(TEXTS), longest) and longest < 20
    torch.testing.assert_close(cut, full[:, :longest])
    with torch.no_grad():
        expected = tiny_clip.encode_text(full)
        torch.testing.assert_close(encoder(encoder.embed(cut), cut), expected)
        torch.testing.assert_close(
            encoder(encoder.embed(full), full), expected)


def test_cut_sequences_give_the_same_gradient(tiny_clip):
    # float64, so that kernel-dependent float32 rounding cannot hide a
    # real difference
    encoder = CLIPTextEncoder(tiny_clip.double())
    grads = []
    for ids in (tokenize(TEXTS), encoder.tokenize(TEXTS)):
        embeddings = encoder.embed(ids).requires_grad_(True)
        encoder(embeddings, ids).square().sum().backward()
        grads.append(embeddings.grad[:, :ids.shape[1]])
    full, cut = grads
    torch.testing.assert_close(full[:, :cut.shape[1]], cut)
    assert not full[:, cut.shape[1]:].any()  # padding never reaches EOT


def test_non_causal_tower_keeps_the_full_context(tiny_clip):
    tiny_clip.attn_mask = None
    encoder = CLIPTextEncoder(tiny_clip)
    assert not encoder.causal
    assert encoder.tokenize(TEXTS).shape == (len(TEXTS), 77)
    ids = tokenize(TEXTS)[:, :20]
    with pytest.raises(ValueError, match='20 tokens.*77 tokens'):
        encoder(encoder.embed(ids), ids)

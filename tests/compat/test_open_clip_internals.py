"""open_clip internals: the ViT's token embeddings and BPE lengths."""
import open_clip
import torch

from mpafer_plugin.compat import bpe_token_count, vit_token_embeddings


def test_token_embeddings_are_patches_class_token_and_positions(tiny_clip):
    visual = tiny_clip.visual.eval()
    images = torch.rand(2, 3, *visual.image_size)
    x = visual.conv1(images).flatten(2).transpose(1, 2)  # (B, N, W)
    cls = visual.class_embedding.expand(2, 1, -1)
    expected = visual.ln_pre(
        torch.cat([cls, x], 1) + visual.positional_embedding)
    torch.testing.assert_close(vit_token_embeddings(visual, images), expected)


def test_bpe_token_count_matches_open_clips_tokenize():
    text = 'a photo of a face showing happiness, with raised cheeks'
    ids = open_clip.tokenize([text])[0]
    assert bpe_token_count(text) == int((ids != 0).sum()) - 2

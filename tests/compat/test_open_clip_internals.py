"""open_clip internals: the ViT's token embeddings, a block run with
prompts as keys and values only, and BPE lengths."""
import open_clip
import pytest
import torch
from open_clip.transformer import (CustomResidualAttentionBlock,
                                   ResidualAttentionBlock)

from mpafer_plugin.compat import (bpe_token_count, prompted_block,
                                  vit_token_embeddings)
from mpafer_plugin.models.utils import attention_layout as layouts


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


def _joined_and_dropped(block, x, prompts, dim):
    """The reference: the block on ``[x; P]``, prompt rows dropped."""
    shape = list(x.shape)
    shape[dim] = prompts.shape[0]
    joined = torch.cat([x, prompts.unsqueeze(1 - dim).expand(shape)], dim)
    return block(joined).narrow(dim, 0, x.shape[dim])


@pytest.mark.parametrize('block_type, layout',
                         [('standard', layout) for layout in layouts.LAYOUTS] +
                         [('custom', 'batch_first')])  # custom: batch-first
def test_prompted_block_equals_the_block_on_joined_tokens(block_type, layout):
    torch.manual_seed(0)
    make = dict(
        standard=ResidualAttentionBlock,
        custom=CustomResidualAttentionBlock)[block_type]
    block = make(16, 4, batch_first=layout == 'batch_first').double().eval()
    for p in block.parameters():  # LayerNorm starts at (1, 0): perturb it
        p.data.add_(torch.randn_like(p) * 0.1)
    batch, tokens = 3, 5
    shape = (batch, tokens, 16) if layout == 'batch_first' else (tokens, batch,
                                                                 16)
    dim = layouts.sequence_dim(layout)
    results = []
    for forward in (_joined_and_dropped, prompted_block):
        x = torch.randn(
            shape,
            dtype=torch.double,
            generator=torch.Generator().manual_seed(1))
        prompts = torch.randn(
            2,
            16,
            dtype=torch.double,
            generator=torch.Generator().manual_seed(2))
        x.requires_grad_(True)
        prompts.requires_grad_(True)
        out = forward(block, x, prompts, dim)
        (out.sin().sum()).backward()
        results.append((out.detach(), x.grad, prompts.grad))
    assert results[1][0].shape == shape
    torch.testing.assert_close(results[1], results[0], rtol=1e-10, atol=1e-12)
    assert results[0][2].abs().sum() > 0  # the prompts do reach the output


@pytest.mark.parametrize('layout, grad, mlp_tokens',
                         [('batch_first', True, 5),
                          ('sequence_first', True, 5),
                          ('sequence_first', False, 5),
                          ('batch_first', False, 7)])  # the fused kernel
def test_prompted_block_runs_the_mlp_on_prompts_only_where_it_pays(
        layout, grad, mlp_tokens):
    torch.manual_seed(0)
    block = ResidualAttentionBlock(
        16, 4, batch_first=layout == 'batch_first').eval()
    dim = layouts.sequence_dim(layout)
    seen = []
    block.mlp.register_forward_hook(
        lambda m, i, o: seen.append(i[0].shape[dim]))
    x = torch.randn(3, 5, 16).transpose(0, 1 - dim).contiguous()
    prompts = torch.randn(2, 16, requires_grad=True)
    with torch.set_grad_enabled(grad):
        out = prompted_block(block, x, prompts, dim)
        reference = _joined_and_dropped(block, x, prompts, dim)
    assert seen == [mlp_tokens, 7]
    torch.testing.assert_close(out, reference, rtol=1e-5, atol=1e-6)

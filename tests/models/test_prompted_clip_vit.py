import pytest
import torch
from mmpretrain.registry import MODELS

from mpafer_plugin.models import PromptedCLIPViT, load_clip
from ..conftest import TINY_CLIP


@pytest.fixture
def images():
    torch.manual_seed(1)
    return torch.randn(2, 3, 224, 224)


@pytest.mark.parametrize(
    'kwargs', [dict(num_prompts=0),
               dict(prompt_depth=0),
               dict(num_prompts=8)])
def test_unprompted_equals_encode_image(tiny_clip, images, kwargs):
    backbone = PromptedCLIPViT(clip_model=tiny_clip, **kwargs)
    reference = tiny_clip.encode_image(images)
    use_prompts = kwargs != dict(num_prompts=8)
    patches, global_feat = backbone(images, use_prompts=use_prompts)
    torch.testing.assert_close(global_feat, reference, rtol=1e-5, atol=1e-5)
    assert patches.shape == (2, backbone.num_patches, backbone.embed_dim)


def test_patch_tokens_are_ln_post_and_projected(tiny_clip, images):
    visual = tiny_clip.visual
    visual.output_tokens = True
    _, tokens = visual(images)  # ln_post applied, not projected
    patches, _ = PromptedCLIPViT(clip_model=tiny_clip, num_prompts=0)(images)
    torch.testing.assert_close(patches, tokens @ visual.proj)


def test_prompts_change_features_and_depth(tiny_clip, images):
    backbone = PromptedCLIPViT(
        clip_model=tiny_clip, num_prompts=4, prompt_depth=1)
    assert backbone.prompts.shape == (1, 4, 64)
    _, plain = backbone(images, use_prompts=False)
    _, prompted = backbone(images)
    assert not torch.allclose(plain, prompted)


def test_only_prompts_are_trainable(tiny_clip):
    backbone = PromptedCLIPViT(clip_model=tiny_clip)
    trainable = [n for n, p in backbone.named_parameters() if p.requires_grad]
    assert trainable == ['prompts']
    assert backbone.prompts.shape == (2, 8, 64)  # all layers by default
    backbone.train()
    assert not backbone.visual.training


@pytest.mark.parametrize('layout', ['batch_first', 'sequence_first'])
def test_unfrozen_tower_trains_with_encode_images_gradients(images, layout):
    """``freeze_clip=False`` (fine-tuning the image encoder): every tower
    weight is trainable, follows train/eval mode, and gets the gradient
    open_clip's own ``encode_image`` gives it, in either block layout."""
    torch.manual_seed(0)
    reference = load_clip(**TINY_CLIP).double().requires_grad_(True)
    torch.manual_seed(0)
    tuned = load_clip(**TINY_CLIP).double()
    backbone = PromptedCLIPViT(
        clip_model=tuned,
        freeze_clip=False,
        num_prompts=0,
        attention_layout=layout)
    trainable = {n for n, p in backbone.named_parameters() if p.requires_grad}
    assert backbone.prompts.numel() == 0
    assert trainable == {'prompts'} | {
        f'visual.{n}'
        for n, _ in tuned.visual.named_parameters()
    }
    backbone.train()
    assert backbone.visual.training
    weights = torch.randn(backbone.embed_dim, dtype=torch.float64)
    (backbone(images.double())[1] @ weights).sum().backward()
    (reference.encode_image(images.double()) @ weights).sum().backward()
    expected = dict(reference.visual.named_parameters())
    for name, param in tuned.visual.named_parameters():
        torch.testing.assert_close(param.grad, expected[name].grad), name


def test_frozen_by_default_keeps_every_clip_weight_frozen(tiny_clip):
    backbone = PromptedCLIPViT(clip_model=tiny_clip, freeze_clip=True)
    assert not any(p.requires_grad for p in tiny_clip.visual.parameters())
    backbone.train()
    assert not backbone.visual.training


def test_init_weights_keeps_clip(tiny_clip):
    backbone = PromptedCLIPViT(clip_model=tiny_clip)
    before = {k: v.clone() for k, v in backbone.visual.state_dict().items()}
    prompts = backbone.prompts.detach().clone()
    backbone.init_weights()
    for key, value in backbone.visual.state_dict().items():
        assert torch.equal(value, before[key]), key
    assert not torch.equal(prompts, backbone.prompts)


def test_build_from_config_with_clip_spec():
    backbone = MODELS.build(
        dict(
            type='PromptedCLIPViT',
            clip=TINY_CLIP,
            num_prompts=2,
            prompt_depth=1))
    assert backbone.prompts.shape == (1, 2, 64)


@pytest.mark.parametrize('kwargs, error', [
    (dict(prompt_depth=3), 'prompt_depth=3'),
    (dict(num_prompts=-1), 'num_prompts=-1'),
    (dict(init_cfg=dict(type='Normal')), 'init_cfg'),
])
def test_bad_arguments(tiny_clip, kwargs, error):
    with pytest.raises(ValueError, match=error):
        PromptedCLIPViT(clip_model=tiny_clip, **kwargs)


def test_needs_exactly_one_clip_source(tiny_clip):
    with pytest.raises(ValueError, match='exactly one'):
        PromptedCLIPViT()
    with pytest.raises(ValueError, match='exactly one'):
        PromptedCLIPViT(clip=TINY_CLIP, clip_model=tiny_clip)


@pytest.mark.parametrize('kwargs, error', [
    (dict(num_prompts=float('nan')), 'model.backbone.num_prompts=nan'),
    (dict(num_prompts=True), 'model.backbone.num_prompts=True'),
    (dict(prompt_depth=1.5), 'model.backbone.prompt_depth=1.5'),
    (dict(prompt_init_std=float('inf')), 'model.backbone.prompt_init_std=inf'),
])
def test_numeric_options_are_finite_and_in_range(tiny_clip, kwargs, error):
    with pytest.raises(ValueError, match=error):
        PromptedCLIPViT(clip_model=tiny_clip, **kwargs)

"""Zero-shot CLIP baseline: logits equal open_clip's encode_image /
encode_text by hand; nothing trainable; every zero-shot config builds."""
import glob
import os

import open_clip
import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmpretrain.registry import MODELS

from mpafer_plugin.models import (DEFAULT_DESCRIPTIONS, ZeroShotCLIPHead,
                                  build_hard_prompts, load_clip,
                                  load_descriptions)
from ..conftest import CLASSNAMES, REPO_ROOT, TINY_CLIP, TINY_CLIP_64

ZERO_SHOT_CONFIGS = sorted(
    glob.glob(os.path.join(REPO_ROOT, 'configs', 'zeroshot', '*.py')))
RAFDB = os.path.join(REPO_ROOT, 'configs', 'zeroshot', 'zeroshot_rafdb.py')


def build(local_weight=0.0):
    cfg = Config.fromfile(RAFDB)
    cfg.model.clip = TINY_CLIP
    cfg.model.head.local_weight = local_weight
    torch.manual_seed(0)
    return MODELS.build(cfg.model).eval()


def hand_text_features(clip_model, variant=3):
    """Per class: mean of the normalised encode_text of its hard prompts."""
    described = load_descriptions(DEFAULT_DESCRIPTIONS, CLASSNAMES)
    texts, labels = build_hard_prompts(CLASSNAMES, variant, described)
    feats = F.normalize(
        clip_model.encode_text(open_clip.tokenize(texts)), dim=-1)
    labels = torch.tensor(labels)
    return torch.stack(
        [feats[labels == c].mean(0) for c in range(len(CLASSNAMES))])


@torch.no_grad()
def test_logits_equal_clip_zero_shot_by_hand():
    model = build()
    torch.manual_seed(0)
    clip_model = load_clip(**TINY_CLIP).eval()  # the same random weights
    images = torch.randn(
        2, 3, 224, 224, generator=torch.Generator().manual_seed(1))
    image = F.normalize(clip_model.encode_image(images), dim=-1)
    text = F.normalize(hand_text_features(clip_model), dim=-1)
    expected = 100.0 * image @ text.t()
    torch.testing.assert_close(
        model(images, mode='tensor'), expected, rtol=1e-4, atol=1e-4)


@torch.no_grad()
def test_global_local_switch_adds_top_k_patch_similarity():
    model = build(local_weight=1.0)
    images = torch.randn(
        2, 3, 224, 224, generator=torch.Generator().manual_seed(1))
    patches, global_feat = model.extract_feat(images)
    head = model.head
    text = head.text_features()
    sim = head.patch_text_similarity(patches, text)
    expected = 100.0 * (
        head.global_text_similarity(global_feat, text) +
        sim.topk(16, dim=-1).values.mean(-1))
    torch.testing.assert_close(model(images, mode='tensor'), expected)
    assert not torch.allclose(expected, build()(images, mode='tensor'))


def test_nothing_to_train_and_no_loss():
    model = build()
    assert sum(p.numel() for p in model.parameters() if p.requires_grad) == 0
    assert isinstance(model.head, ZeroShotCLIPHead)
    with pytest.raises(RuntimeError, match='nothing to train'):
        model.head.loss(model.extract_feat(torch.zeros(1, 3, 224, 224)), [])


@pytest.mark.parametrize(
    'path',
    ZERO_SHOT_CONFIGS,
    ids=[os.path.basename(p) for p in ZERO_SHOT_CONFIGS])
def test_every_zero_shot_config_builds(path):
    cfg = Config.fromfile(path)
    assert cfg.model.clip.model_name == ('mpafer-tiny-vit-64' if 'quickstart'
                                         in path else 'ViT-B-16-quickgelu')
    assert cfg.model.backbone.num_prompts == 0
    assert cfg.train_dataloader is None and cfg.val_dataloader is None
    assert cfg.test_dataloader.dataset.type and cfg.test_cfg == {}
    cfg.model.clip = TINY_CLIP_64 if 'quickstart' in path else TINY_CLIP
    model = MODELS.build(cfg.model)
    num_classes = cfg.test_dataloader.dataset.get('num_classes',
                                                  len(cfg.class_names))
    assert model.head.num_classes == num_classes
    assert model.head.local_weight == 0.0  # CLIP's zero-shot matching
    assert not any(p.requires_grad and p.numel() for p in model.parameters())


def test_zero_shot_head_holds_no_prompt_parameter():
    head = build().head
    assert not hasattr(head, 'prompt_learner')
    assert all(k.startswith('text_encoder.') for k in head.state_dict())

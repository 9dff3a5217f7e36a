import math

import pytest
import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS

from mpafer_plugin.models import soft_hard_contrastive


def test_contrastive_matches_formula():
    gen = torch.Generator().manual_seed(0)
    soft, hard = torch.randn(3, 8, generator=gen), torch.randn(5, 8,
                                                                generator=gen)
    labels = torch.tensor([0, 1, 2, 2, 0])
    tau = 0.5
    expected = 0.0
    for h, d in zip(hard, labels):
        cos = F.cosine_similarity(soft, h.unsqueeze(0))
        expected -= torch.log_softmax(cos / tau, 0)[d] / len(labels)
    loss = soft_hard_contrastive(soft, hard, labels, tau)
    assert loss.item() == pytest.approx(expected.item(), rel=1e-5)


def test_token_alignment_pools_content_tokens_only():
    loss = MODELS.build(dict(type='TokenAlignmentLoss', pooling='mean'))
    emb = torch.zeros(1, 4, 2)
    emb[0, 1], emb[0, 2], emb[0, 0], emb[0, 3] = 1.0, 3.0, 100.0, -100.0
    mask = torch.tensor([[False, True, True, False]])
    assert loss.pool(emb, mask).tolist() == [[2.0, 2.0]]
    max_loss = MODELS.build(dict(type='TokenAlignmentLoss', pooling='max'))
    assert max_loss.pool(emb, mask).tolist() == [[3.0, 3.0]]


def test_token_alignment_low_when_aligned():
    loss = MODELS.build(dict(type='TokenAlignmentLoss', temperature=1.0,
                             loss_weight=2.0))
    soft = torch.eye(3, 6).unsqueeze(1).repeat(1, 3, 1)
    mask = torch.tensor([[False, True, False]] * 3)
    hard = torch.eye(3, 6)
    labels = torch.arange(3)
    aligned = loss(soft, mask, hard, labels)
    shuffled = loss(soft, mask, hard, labels.roll(1))
    expected = 2.0 * math.log(1 + 2 * math.exp(-1.0))
    assert aligned.item() == pytest.approx(expected, rel=1e-4)
    assert shuffled > aligned


@pytest.mark.parametrize('target', ['mean', 'each'])
def test_prompt_alignment_l1_zero_on_identical_features(target):
    loss = MODELS.build(dict(type='PromptAlignmentLoss', mode='l1',
                             target=target))
    soft = torch.randn(3, 8)
    hard = torch.cat([soft, 2 * soft])  # same directions, two per class
    labels = torch.tensor([0, 1, 2, 0, 1, 2])
    assert loss(soft, hard, labels).item() == pytest.approx(0.0, abs=1e-6)
    assert loss(-soft, hard, labels) > 0.1


def test_prompt_alignment_mean_target_is_normalised_class_mean():
    loss = MODELS.build(dict(type='PromptAlignmentLoss', mode='l1'))
    hard = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    labels = torch.tensor([0, 0])
    soft = torch.tensor([[1.0, 1.0]])
    assert loss(soft, hard, labels).item() == pytest.approx(0.0, abs=1e-6)
    each = MODELS.build(dict(type='PromptAlignmentLoss', target='each'))
    assert each(soft, hard, labels) > 0.1


def test_prompt_alignment_contrastive_mode():
    loss = MODELS.build(dict(type='PromptAlignmentLoss', mode='contrastive',
                             temperature=0.1))
    soft = torch.eye(3, 4)
    labels = torch.arange(3)
    expected = soft_hard_contrastive(soft, soft, labels, 0.1)
    assert loss(soft, soft, labels).item() == pytest.approx(expected.item())


def test_prototype_alignment_modes():
    cosine = MODELS.build(dict(type='PrototypeAlignmentLoss', mode='cosine',
                               loss_weight=0.5))
    l1 = MODELS.build(dict(type='PrototypeAlignmentLoss', mode='l1'))
    protos = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    feats = torch.tensor([[2.0, 0.0], [1.0, 0.0]])
    labels = torch.tensor([0, 1])
    # 1 - cos: 0 for the first, 1 for the second; mean 0.5; weight 0.5
    assert cosine(feats, protos, labels).item() == pytest.approx(0.25)
    assert l1(feats, protos, labels).item() == pytest.approx(0.5)


@pytest.mark.parametrize('cfg', [
    dict(type='TokenAlignmentLoss', pooling='sum'),
    dict(type='PromptAlignmentLoss', mode='l2'),
    dict(type='PromptAlignmentLoss', target='first'),
    dict(type='PrototypeAlignmentLoss', mode='l2'),
])
def test_bad_modes_raise(cfg):
    with pytest.raises(ValueError):
        MODELS.build(cfg)

import math

import pytest
import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS

from mpafer_plugin.models import soft_hard_contrastive


def test_contrastive_matches_formula():
    """Per hard prompt ``−log P(y_h | h)``, averaged within each class
    (classes 0 and 2 have two prompts, class 1 one), then over classes."""
    gen = torch.Generator().manual_seed(0)
    soft, hard = torch.randn(
        3, 8, generator=gen), torch.randn(
            5, 8, generator=gen)
    labels = torch.tensor([0, 1, 2, 2, 0])
    tau = 0.5
    per_class = [[], [], []]
    for h, d in zip(hard, labels):
        cos = F.cosine_similarity(soft, h.unsqueeze(0))
        per_class[d].append(-torch.log_softmax(cos / tau, 0)[d].item())
    expected = sum(sum(v) / len(v) for v in per_class) / 3
    loss = soft_hard_contrastive(soft, hard, labels, tau)
    assert loss.item() == pytest.approx(expected, rel=1e-5)


def test_token_alignment_weighs_classes_equally_by_hand():
    """Class 0 has one hard prompt, class 1 three; τ = 1.
    ``a = log(1 + e⁻¹)`` (a prompt on its own class's direction),
    ``b = log(1 + e)`` (a prompt of class 1 on class 0's direction):
    ``L_ta = (a + (a + 2b)/3) / 2``, not the prompt mean ``(2a + 2b)/4``."""
    loss = MODELS.build(dict(type='TokenAlignmentLoss', temperature=1.0))
    e1, e2 = torch.eye(2)
    soft = torch.stack([e1, e2]).unsqueeze(1)  # (C=2, L=1, W=2)
    mask = torch.ones(2, 1, dtype=torch.bool)
    hard = torch.stack([e1, e2, e1, e1])
    labels = torch.tensor([0, 1, 1, 1])
    a, b = math.log(1 + math.exp(-1)), math.log(1 + math.e)
    assert loss(soft, mask, hard, labels).item() == pytest.approx(
        (a + (a + 2 * b) / 3) / 2, rel=1e-6)


@pytest.mark.parametrize('reduction, expected', [('norm', 1.0),
                                                 ('mean', 1 / 3)])
def test_prompt_alignment_l1_is_the_l1_norm_per_class_by_hand(
        reduction, expected):
    """Class 0: soft e1, hard e2, ``‖e1 − e2‖₁ = 2``; class 1: soft and
    hard e2, 0. ``'norm'``: (2 + 0) / 2 classes; ``'mean'``: / D = 3."""
    loss = MODELS.build(
        dict(type='PromptAlignmentLoss', mode='l1', reduction=reduction))
    e1, e2, _ = torch.eye(3)
    soft = torch.stack([e1, e2])
    hard = torch.stack([e2, e2])
    labels = torch.tensor([0, 1])
    assert loss(soft, hard, labels).item() == pytest.approx(expected)


def test_l1_defaults_are_the_element_mean_of_f_l1_loss():
    """METHOD.md §2 (revised): ``L_pa``'s and ``L_v``'s L1 forms default to
    the mean over all elements, ``F.l1_loss`` on normalised features."""
    torch.manual_seed(0)
    soft, hard, feats = torch.randn(3, 3, 8).unbind()
    labels = torch.arange(3)
    expected = F.l1_loss(F.normalize(soft, dim=-1), F.normalize(hard, dim=-1))
    l_pa = MODELS.build(dict(type='PromptAlignmentLoss'))
    assert l_pa.reduction == 'mean'
    assert l_pa(soft, hard, labels).item() == pytest.approx(expected.item())
    l_v = MODELS.build(dict(type='PrototypeAlignmentLoss', mode='l1'))
    assert l_v.reduction == 'mean'
    expected = F.l1_loss(F.normalize(feats, dim=-1), F.normalize(hard, dim=-1))
    assert l_v(feats, hard, labels).item() == pytest.approx(expected.item())


def test_prompt_alignment_each_target_weighs_classes_equally_by_hand():
    """target='each': class 0 has one hard prompt at distance 0, class 1
    three at distances 0, 2, 2: ``(0 + 4/3) / 2 = 2/3`` (the mean over
    the four prompts would be 1)."""
    loss = MODELS.build(
        dict(
            type='PromptAlignmentLoss',
            mode='l1',
            target='each',
            reduction='norm'))
    e1, e2, e3 = torch.eye(3)
    soft = torch.stack([e1, e2])
    hard = torch.stack([e1, e2, e1, e3])
    labels = torch.tensor([0, 1, 1, 1])
    assert loss(soft, hard, labels).item() == pytest.approx(2 / 3)


def test_token_alignment_pools_content_tokens_only():
    loss = MODELS.build(dict(type='TokenAlignmentLoss', pooling='mean'))
    emb = torch.zeros(1, 4, 2)
    emb[0, 1], emb[0, 2], emb[0, 0], emb[0, 3] = 1.0, 3.0, 100.0, -100.0
    mask = torch.tensor([[False, True, True, False]])
    assert loss.pool(emb, mask).tolist() == [[2.0, 2.0]]
    max_loss = MODELS.build(dict(type='TokenAlignmentLoss', pooling='max'))
    assert max_loss.pool(emb, mask).tolist() == [[3.0, 3.0]]


def test_token_alignment_low_when_aligned():
    loss = MODELS.build(
        dict(type='TokenAlignmentLoss', temperature=1.0, loss_weight=2.0))
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
    loss = MODELS.build(
        dict(type='PromptAlignmentLoss', mode='l1', target=target))
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
    loss = MODELS.build(
        dict(type='PromptAlignmentLoss', mode='contrastive', temperature=0.1))
    soft = torch.eye(3, 4)
    labels = torch.arange(3)
    expected = soft_hard_contrastive(soft, soft, labels, 0.1)
    assert loss(soft, soft, labels).item() == pytest.approx(expected.item())


def test_prototype_alignment_modes():
    cosine = MODELS.build(
        dict(type='PrototypeAlignmentLoss', mode='cosine', loss_weight=0.5))
    l1 = MODELS.build(
        dict(type='PrototypeAlignmentLoss', mode='l1', reduction='norm'))
    l1_mean = MODELS.build(dict(type='PrototypeAlignmentLoss', mode='l1'))
    protos = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    feats = torch.tensor([[2.0, 0.0], [1.0, 0.0]])
    labels = torch.tensor([0, 1])
    # 1 - cos: 0 for the first, 1 for the second; mean 0.5; weight 0.5
    assert cosine(feats, protos, labels).item() == pytest.approx(0.25)
    # L1: 0 for the first, |1 - 0| + |0 - 1| = 2 for the second; mean 1
    assert l1(feats, protos, labels).item() == pytest.approx(1.0)
    assert l1_mean(feats, protos, labels).item() == pytest.approx(0.5)


@pytest.mark.parametrize('cfg', [
    dict(type='TokenAlignmentLoss', pooling='sum'),
    dict(type='PromptAlignmentLoss', mode='l2'),
    dict(type='PromptAlignmentLoss', target='first'),
    dict(type='PrototypeAlignmentLoss', mode='l2'),
    dict(type='PromptAlignmentLoss', reduction='sum'),
    dict(type='PrototypeAlignmentLoss', reduction='sum'),
])
def test_bad_modes_raise(cfg):
    with pytest.raises(ValueError):
        MODELS.build(cfg)


@pytest.mark.parametrize('cfg', [
    dict(type='TokenAlignmentLoss', temperature=0),
    dict(type='TokenAlignmentLoss', temperature=-0.07),
    dict(type='PromptAlignmentLoss', mode='contrastive', temperature=0.0),
])
def test_temperature_must_be_positive(cfg):
    with pytest.raises(ValueError, match='temperature must be > 0'):
        MODELS.build(cfg)

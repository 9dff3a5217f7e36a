"""CoOp's soft prompts on their own: shapes, layout, cache and gradients."""
import pytest
import torch
from mmpretrain.registry import MODELS

from mpafer_plugin.models import CLIPTextEncoder, CoOpPromptLearner
from ..conftest import CLASSNAMES


@pytest.fixture
def text_encoder(tiny_clip):
    return CLIPTextEncoder(tiny_clip)


def make(text_encoder, **kwargs):
    return MODELS.build(
        dict(
            type='CoOpPromptLearner',
            classnames=CLASSNAMES,
            text_encoder=text_encoder,
            **kwargs))


@pytest.mark.parametrize('specific, shape', [(False, (10, 64)),
                                             (True, (7, 10, 64))])
def test_shared_and_class_specific_context(text_encoder, specific, shape):
    learner = make(text_encoder, class_specific_context=specific)
    assert isinstance(learner, CoOpPromptLearner)
    assert learner.context.shape == shape
    assert learner.num_context == 10
    assert learner.class_specific_context == specific
    emb = learner.embeddings(text_encoder)
    # [SOS] X*10 <class> . [EOS], cut after the longest end-of-text token
    length = int(learner.token_ids.argmax(dim=-1).max()) + 1
    assert 14 <= length < 20
    assert emb.shape == learner.token_ids.shape + (64, ) == (7, length, 64)
    assert learner(text_encoder).shape == (7, text_encoder.output_dim)
    # what it learns is all its state dict holds: the text tower is not
    # stored twice
    assert list(learner.state_dict()) == ['context']


def test_embeddings_are_prefix_context_suffix(text_encoder):
    learner = make(text_encoder, num_context=4, class_specific_context=True)
    emb = learner.embeddings(text_encoder)
    frozen = text_encoder.embed(learner.token_ids)
    torch.testing.assert_close(emb[:, :1], frozen[:, :1], rtol=0, atol=0)
    torch.testing.assert_close(emb[:, 1:5], learner.context, rtol=0, atol=0)
    torch.testing.assert_close(emb[:, 5:], frozen[:, 5:], rtol=0, atol=0)
    # the placeholders' own embeddings are replaced
    assert not torch.equal(emb[:, 1:5], frozen[:, 1:5])
    # a shared context is the same in every class's prompt
    shared = make(text_encoder, num_context=4)
    emb = shared.embeddings(text_encoder)
    torch.testing.assert_close(
        emb[:, 1:5], shared.context.expand(7, -1, -1), rtol=0, atol=0)


def test_token_ids_and_content_mask(text_encoder):
    learner = make(text_encoder, num_context=3)
    expected = text_encoder.tokenize([f'X X X {name}.' for name in CLASSNAMES])
    assert torch.equal(learner.token_ids, expected)
    mask = learner.content_mask
    assert torch.equal(mask, CLIPTextEncoder.content_mask(expected))
    assert not mask[:, 0].any() and mask[:, 1:4].all()
    assert 'token_ids' not in learner.state_dict()


def test_init_is_normal_with_init_std_and_touches_only_the_context(
        text_encoder):
    torch.manual_seed(0)
    learner = make(
        text_encoder,
        num_context=50,
        class_specific_context=True,
        init_std=0.5)
    assert learner.context.std().item() == pytest.approx(0.5, rel=0.05)
    assert learner.context.mean().abs().item() < 0.02
    before = learner.context.detach().clone()
    learner.init_weights()
    assert not torch.equal(before, learner.context)


def test_eval_cache_is_invalidated_when_the_context_changes(text_encoder):
    learner = make(text_encoder).eval()
    first = learner(text_encoder)
    assert learner(text_encoder) is first and not first.requires_grad
    with torch.no_grad():
        learner.context.add_(0.1)  # in place
    second = learner(text_encoder)
    assert second is not first and not torch.allclose(first, second)
    assert learner(text_encoder) is second
    learner.context.data = learner.context.data.clone()  # replaced
    third = learner(text_encoder)
    assert third is not second
    torch.testing.assert_close(third, second)
    learner.train()
    assert learner(text_encoder).requires_grad  # in the graph


def test_constants_are_rebuilt_after_a_state_dict_load(text_encoder):
    learner = make(text_encoder).eval()
    before = learner(text_encoder).clone()
    with torch.no_grad():
        text_encoder.token_embedding.weight.add_(1.0)
    assert torch.equal(learner(text_encoder), before)  # cached, as before
    learner.load_state_dict(learner.state_dict())
    assert not torch.allclose(learner(text_encoder), before)


def test_gradients_reach_only_the_context(text_encoder):
    learner = make(text_encoder).train()
    learner(text_encoder).square().sum().backward()
    assert learner.context.grad is not None
    assert learner.context.grad.abs().sum() > 0
    assert all(p.grad is None for p in text_encoder.parameters())
    assert not any(p.requires_grad for p in text_encoder.parameters())


def test_prompts_longer_than_clips_context_are_refused(text_encoder):
    # 'X' is one token: [SOS] + M + class tokens + '.' + [EOS] <= 77
    longest = max(
        CLASSNAMES,
        key=lambda name: len(text_encoder.tokenize([f'{name}.'])[0].nonzero()))
    room = 77 - int((text_encoder.tokenize([f'{longest}.'])[0] > 0).sum())
    assert make(text_encoder, num_context=room).num_context == room
    with pytest.raises(ValueError) as err:
        make(text_encoder, num_context=room + 1)
    assert f'num_context={room + 1}' in str(err.value)
    assert f'use num_context <= {room}' in str(err.value)

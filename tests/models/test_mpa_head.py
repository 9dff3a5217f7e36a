import json

import pytest
import torch
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from mpafer_plugin.models import CoOpPromptLearner, MPAHead, tokenize
from ..conftest import CLASSNAMES, TINY_CLIP


def make_head(clip_model, **kwargs):
    return MPAHead(classnames=CLASSNAMES, clip_model=clip_model, **kwargs)


def feats(batch=3, patches=196, dim=64, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return (torch.randn(batch, patches, dim,
                        generator=gen), torch.randn(batch, dim, generator=gen))


def samples(labels):
    return [DataSample().set_gt_label(int(i)) for i in labels]


def test_hard_prompt_features_equal_encode_text(tiny_clip):
    head = make_head(tiny_clip)
    bank = head.hard_prompts
    const = bank.constants(head.text_encoder)
    # full 77-token ids: the head runs the tower on the cut ids only
    expected = tiny_clip.encode_text(tokenize(bank.texts))
    assert bank.token_ids.shape[1] < 77
    torch.testing.assert_close(const['features'], expected)
    assert len(bank) == len(bank.labels) > len(CLASSNAMES)
    assert bank.texts[0].startswith(
        'a photo of a person making a facial expression of surprise, ')


def test_hard_prompts_are_encoded_once(tiny_clip, monkeypatch):
    head = make_head(tiny_clip)
    head.set_prototypes(torch.randn(7, 64))
    calls = []
    encode = head.text_encoder.forward
    monkeypatch.setattr(
        head.text_encoder, 'forward',
        lambda e, ids: calls.append(len(ids)) or encode(e, ids))
    for _ in range(3):
        head.loss(feats(), samples([0, 1, 2]))
    hard = len(head.hard_prompts)
    # one hard-prompt pass, then one soft-prompt pass (7 prompts) per step
    assert calls == [hard] + [7] * 3


def test_cache_is_rebuilt_after_loading_weights(tiny_clip):
    head = make_head(tiny_clip)
    before = head.hard_prompts.constants(head.text_encoder)['features'].clone()
    state = {
        k: v + 1 if k.endswith('ln_final.bias') else v
        for k, v in head.state_dict().items()
    }
    head.load_state_dict(state)
    after = head.hard_prompts.constants(head.text_encoder)['features']
    assert not torch.allclose(before, after)


@pytest.mark.parametrize('variant, count', [(1, 7), (2, 7)])
def test_template_variants(tiny_clip, variant, count):
    head = make_head(tiny_clip, hard_prompt_variant=variant)
    assert len(head.hard_prompts) == count
    expected = {
        1: 'a photo of surprise.',
        2: 'a photo of a person making a facial expression of '
        'surprise.'
    }[variant]
    assert head.hard_prompts.texts[0] == expected


def test_prompt_learner_is_built_from_its_config(tiny_clip):
    head = make_head(tiny_clip)
    learner = head.prompt_learner
    assert isinstance(learner, CoOpPromptLearner)
    assert learner.context.shape == (10, 64) and learner.init_std == 0.02
    specific = make_head(
        tiny_clip,
        prompt_learner=dict(
            type='CoOpPromptLearner',
            num_context=4,
            class_specific_context=True))
    assert specific.prompt_learner.context.shape == (7, 4, 64)
    # type defaults to CoOp's
    assert make_head(
        tiny_clip, prompt_learner=dict(
            num_context=3)).prompt_learner.context.shape == (3, 64)


def test_text_features_are_the_learners(tiny_clip):
    head = make_head(tiny_clip).eval()
    learner = head.prompt_learner
    assert head.text_features() is learner(head.text_encoder)
    expected = head.text_encoder(
        learner.embeddings(head.text_encoder), learner.token_ids)
    torch.testing.assert_close(head.text_features(), expected)


def test_topk_equal_to_all_patches_is_mean_similarity(tiny_clip):
    head = make_head(
        tiny_clip, local_topk=196, local_weight=1.0, logit_scale=1.0)
    patches, global_feat = feats()
    text = torch.randn(7, 64)
    logits = head.global_local_logits(patches, global_feat, text)
    norm = torch.nn.functional.normalize
    global_sim = norm(global_feat, dim=-1) @ norm(text, dim=-1).t()
    mean_local = torch.einsum('bnd,cd->bcn', norm(patches, dim=-1),
                              norm(text, dim=-1)).mean(-1)
    torch.testing.assert_close(logits, global_sim + mean_local)


def test_lambda_zero_is_global_matching(tiny_clip):
    head = make_head(tiny_clip, local_weight=0.0, logit_scale=100.0)
    patches, global_feat = feats()
    text = torch.randn(7, 64)
    norm = torch.nn.functional.normalize
    expected = 100 * norm(global_feat, dim=-1) @ norm(text, dim=-1).t()
    torch.testing.assert_close(
        head.global_local_logits(patches, global_feat, text), expected)
    # patch features do not matter when lambda = 0
    torch.testing.assert_close(
        head.global_local_logits(patches * 0 + 1, global_feat, text), expected)


def test_topk_selected_per_class(tiny_clip):
    head = make_head(tiny_clip, local_topk=1, logit_scale=1.0)
    text = torch.eye(7, 64)
    patches = torch.zeros(1, 196, 64)
    patches[0, 5, 0] = 1.0  # patch 5 matches class 0 only
    patches[0, 9, 3] = 1.0  # patch 9 matches class 3 only
    global_feat = torch.zeros(1, 64)
    global_feat[0, 10] = 1.0
    logits = head.global_local_logits(patches, global_feat, text)
    assert logits[0, 0] == pytest.approx(1.0)
    assert logits[0, 3] == pytest.approx(1.0)
    assert logits[0, 1] == pytest.approx(0.0)


def test_logit_scale_none_uses_clip(tiny_clip):
    head = make_head(tiny_clip, logit_scale=None)
    assert head.logit_scale == pytest.approx(tiny_clip.logit_scale.exp())


def test_eval_text_features_cached_until_context_changes(tiny_clip):
    head = make_head(tiny_clip).eval()
    first = head.text_features()
    assert head.text_features() is first
    with torch.no_grad():
        head.prompt_learner.context.add_(0.1)
    second = head.text_features()
    assert second is not first and not torch.allclose(first, second)
    head.train()
    assert head.text_features().requires_grad


def test_loss_terms_and_switches(tiny_clip):
    head = make_head(tiny_clip)
    head.set_prototypes(torch.randn(7, 64))
    losses = head.loss(feats(), samples([0, 1, 2]))
    assert set(losses) == {
        'loss_cls', 'loss_token_align', 'loss_prompt_align', 'loss_proto_align'
    }
    assert all(torch.isfinite(v) for v in losses.values())
    bare = make_head(
        tiny_clip,
        token_align_loss=None,
        prompt_align_loss=None,
        prototype_align_loss=None)
    assert set(bare.loss(feats(), samples([0, 1, 2]))) == {'loss_cls'}
    assert not hasattr(bare, 'hard_prompts')  # no hard prompts needed


def test_prototype_loss_without_prototypes_says_what_to_do(tiny_clip):
    head = make_head(tiny_clip)
    with pytest.raises(RuntimeError, match='PrototypeHook'):
        head.loss(feats(), samples([0, 1, 2]))


def test_predict_gives_scores(tiny_clip):
    head = make_head(tiny_clip).eval()
    predictions = head.predict(feats(batch=2))
    assert len(predictions) == 2
    assert predictions[0].pred_score.shape == (7, )


def test_build_from_config_with_clip_spec():
    head = MODELS.build(
        dict(
            type='MPAHead',
            classnames=CLASSNAMES,
            clip=TINY_CLIP,
            hard_prompt_variant=2))
    assert isinstance(head, MPAHead)


def test_long_hard_prompt_is_truncated_with_warning(tiny_clip, tmp_path):
    with pytest.warns(UserWarning, match='truncated'):
        ids = tokenize(['very ' * 100 + 'long'])
    assert ids.shape == (1, 77)
    assert ids[0, -1] == ids.max()  # end-of-text kept
    path = tmp_path / 'long.json'
    described = {name: {'face': [f'{name} face']} for name in CLASSNAMES}
    described['fear']['face'] = ['very ' * 80 + 'wide eyes']
    path.write_text(json.dumps({'classes': described}))
    with pytest.warns(
            UserWarning,
            match=rf'Prompt has 9\d tokens, more than '
            rf"CLIP's 77; truncated \(from {path}\): 'a photo"):
        head = make_head(tiny_clip, descriptions=str(path))
    assert head.hard_prompts.token_ids.shape == (len(CLASSNAMES), 77)


def test_descriptions_file_errors(tiny_clip, tmp_path):
    missing_class = tmp_path / 'missing.json'
    missing_class.write_text(
        json.dumps({'classes': {
            'surprise': {
                'face': ['with raised brows']
            }
        }}))
    with pytest.raises(ValueError, match=r'missing.json.*\'fear\''):
        make_head(tiny_clip, descriptions=str(missing_class))
    broken = tmp_path / 'broken.json'
    broken.write_text('{"classes": {\n  "surprise": [}\n}')
    with pytest.raises(ValueError, match=r'broken.json:2:'):
        make_head(tiny_clip, descriptions=str(broken))
    with pytest.raises(FileNotFoundError, match='nowhere.json'):
        make_head(tiny_clip, descriptions=str(tmp_path / 'nowhere.json'))


def test_shipped_descriptions_cover_eight_classes_and_fit_context():
    from mpafer_plugin.models import (DEFAULT_DESCRIPTIONS, build_hard_prompts,
                                      load_descriptions)
    names = CLASSNAMES + ['contempt']
    described = load_descriptions(DEFAULT_DESCRIPTIONS, names)
    assert all(len(d) >= 3 for d in described)
    texts, _ = build_hard_prompts(names, 3, described)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter('error')  # no prompt may be truncated
        tokenize(texts)


@pytest.mark.parametrize('kwargs, key', [
    (dict(logit_scale=0.0), 'model.head.logit_scale=0.0'),
    (dict(logit_scale=-100.0), 'model.head.logit_scale=-100.0'),
    (dict(token_align_loss=dict(type='TokenAlignmentLoss', temperature=0)),
     'model.head.token_align_loss: temperature=0: must be a finite number > 0'
     ),
    (dict(
        prompt_align_loss=dict(
            type='PromptAlignmentLoss', mode='contrastive', temperature=0.0)),
     'model.head.prompt_align_loss: temperature=0.0: must be a finite '
     'number > 0'),
    (dict(
        loss=dict(type='CrossEntropyLoss', loss_weight=0.0),
        token_align_loss=dict(type='TokenAlignmentLoss', loss_weight=0),
        prompt_align_loss=None,
        prototype_align_loss=dict(
            type='PrototypeAlignmentLoss',
            loss_weight=0.0)), 'model.head.loss.loss_weight'),
])
def test_configs_that_train_nothing_are_refused_naming_the_key(
        tiny_clip, kwargs, key):
    with pytest.raises(ValueError) as info:
        make_head(tiny_clip, **kwargs)
    assert key in str(info.value)


def test_one_non_zero_loss_weight_is_enough(tiny_clip):
    make_head(
        tiny_clip,
        loss=dict(type='CrossEntropyLoss', loss_weight=0.0),
        token_align_loss=None,
        prompt_align_loss=None)


def test_non_finite_prototypes_are_refused(tiny_clip):
    head = make_head(tiny_clip)
    protos = torch.randn(7, 64)
    protos[3, 0] = float('nan')
    with pytest.raises(ValueError, match=r'NaN/inf for classes \[3\]'):
        head.set_prototypes(protos)


def test_text_tower_stays_in_eval_mode(tiny_clip):
    head = make_head(tiny_clip).train()
    assert head.training and not head.text_encoder.training
    assert not any(m.training for m in head.text_encoder.modules())


def test_state_dict_names(tiny_clip):
    """The hard-prompt bank, the classifier and the learner's constants
    hold nothing persistent: a checkpoint's head entries are the context
    (the learner's only entry), the prototypes and the text tower, stored
    once."""
    keys = set(make_head(tiny_clip).state_dict())
    learned = {'prompt_learner.context', 'prototypes', 'prototypes_ready'}
    assert learned <= keys
    assert all(k.startswith('text_encoder.') for k in keys - learned)


def test_the_learner_comes_first_in_the_parameter_order(tiny_clip):
    """Where the inline context was: an optimizer state saved before the
    learner was split indexes it there."""
    names = [name for name, _ in make_head(tiny_clip).named_parameters()]
    assert names[0] == 'prompt_learner.context'


@pytest.mark.parametrize('kwargs, message', [
    (dict(local_weight=float('nan')), 'model.head.local_weight=nan: must be '
     'a finite number >= 0'),
    (dict(local_weight=-1), 'model.head.local_weight=-1: must be a finite '
     'number >= 0'),
    (dict(local_weight=float('inf')), 'model.head.local_weight=inf'),
    (dict(local_weight=True), 'model.head.local_weight=True'),
    (dict(local_topk=0), 'model.head.local_topk=0: must be an integer >= 1'),
    (dict(local_topk=2.5), 'model.head.local_topk=2.5'),
    (dict(logit_scale=float('nan')), 'model.head.logit_scale=nan'),
    (dict(logit_scale=float('inf')), 'model.head.logit_scale=inf'),
    (dict(topk=(1, 0)), 'model.head.topk=0'),
    (dict(topk=(1, 9)), r'model.head.topk=9: must be an integer in \[1, 7\]'),
    (dict(loss=dict(type='CrossEntropyLoss', loss_weight=float('nan'))),
     'model.head.loss.loss_weight=nan'),
    (dict(token_align_loss=dict(type='TokenAlignmentLoss', loss_weight=-1)),
     'model.head.token_align_loss: loss_weight=-1'),
    (dict(
        token_align_loss=dict(
            type='TokenAlignmentLoss', temperature=float('nan'))),
     'model.head.token_align_loss: temperature=nan'),
    (dict(
        prototype_align_loss=dict(
            type='PrototypeAlignmentLoss', loss_weight=float('inf'))),
     'model.head.prototype_align_loss: loss_weight=inf'),
    (dict(prompt_learner=dict(num_context=float('nan'))),
     'model.head.prompt_learner.num_context=nan'),
    (dict(prompt_learner=dict(init_std=-0.02)),
     'model.head.prompt_learner.init_std=-0.02'),
])
def test_numeric_options_the_model_cannot_use_are_refused_at_build(
        tiny_clip, kwargs, message):
    """NaN, inf, booleans and out-of-range values stop the build naming the
    key (before: local_weight=nan evaluated to top-1 0.0, -1 evaluated)."""
    with pytest.raises(ValueError, match=message):
        make_head(tiny_clip, **kwargs)


def test_options_changed_after_the_build_are_checked_too(tiny_clip):
    head = make_head(tiny_clip)
    with pytest.raises(ValueError, match='model.head.local_weight=nan'):
        head.local_weight = float('nan')
    with pytest.raises(ValueError, match='model.head.local_topk=0'):
        head.local_topk = 0
    head.local_weight = 0  # CoOp's global matching stays allowed
    assert head.local_weight == 0


@pytest.mark.parametrize('names', [
    ['anger', 'fear', 'anger'],
    ['Anger', 'fear', 'anger '],
])
def test_duplicate_class_names_are_refused(tiny_clip, names):
    with pytest.raises(
            ValueError, match='model.head.classnames=.*listed '
            'more than once'):
        MPAHead(classnames=names, clip_model=tiny_clip)


@pytest.mark.parametrize(
    'content, message',
    [(b'', r'empty.json:1:1: not valid JSON'),
     (b'PK\x03\x04\xff\xfe binary', r'binary.json: not UTF-8 text \(byte '
      r'0xff at offset 4\)'),
     (b'["surprise", "fear"]', r'list.json: expected a top-level object '
      r'with a "classes" key'),
     (b'{"classes": ["surprise"]}', r'classes_list.json: "classes" must be '
      r'an object of class names, not a list')])
def test_damaged_descriptions_files_are_named(tmp_path, content, message):
    """A checkpoint, an empty file or JSON of another shape given as the
    descriptions file (before: a bare UnicodeDecodeError or
    AttributeError, naming no file)."""
    from mpafer_plugin.models import load_descriptions
    name = message.split('.json')[0].lstrip('r') + '.json'
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ValueError, match=message):
        load_descriptions(str(path), CLASSNAMES)

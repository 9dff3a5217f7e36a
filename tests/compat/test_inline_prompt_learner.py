"""Configs, checkpoints and exports of the inline-context ``MPAHead``
(``head.context``, flat config keys) build and load the same model, and
the wrong ones are still refused."""
import copy
import json
from collections import OrderedDict

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner
from mmpretrain.registry import MODELS

from mpafer_plugin.apis import init_model
from mpafer_plugin.compat import upgrade_head_state_dict
from mpafer_plugin.export import export_prompts
from mpafer_plugin.models import (CheckpointMismatchError, MPAHead, load_clip,
                                  tensor_digest)
from ..conftest import CLASSNAMES, TINY_CLIP_64, quickstart_cfg

OLD, NEW = 'head.context', 'head.prompt_learner.context'
FLAT = dict(
    num_context='num_context',
    class_specific_context='class_specific_context',
    context_init_std='init_std')


def flat_head(head: dict) -> dict:
    """A head config as the inline-context head took it."""
    head = copy.deepcopy(dict(head))
    learner = head.pop('prompt_learner')
    head.update({old: learner[new] for old, new in FLAT.items()})
    return head


def flat_cfg(cfg: Config) -> Config:
    cfg = copy.deepcopy(cfg)
    cfg.model.head = flat_head(cfg.model.head.to_dict())
    return cfg


def inline_order(names: list) -> list:
    """The parameter names of the inline-context model, in its
    ``parameters()`` order (an optimizer state's indices) from those of the
    current one: the context was the head's own parameter, listed before
    the head's modules' parameters."""
    rest = [name for name in names if name != NEW]
    first = next(i for i, name in enumerate(rest) if name.startswith('head.'))
    return rest[:first] + [OLD] + rest[first:]


def as_inline_context(checkpoint: dict, names: list = None) -> dict:
    """``checkpoint`` as the inline-context head wrote it: the context
    named ``head.context``, the head's state-dict version 1, no entry of a
    ``head.prompt_learner`` module; the contract (``meta['mpafer']``) lists
    that name and its digest hashes it; an export's config has the flat
    keys; the optimizer state is indexed in the inline-context model's
    parameter order (``names``: the current model's parameter names).
    Checked once against files the inline-context code wrote (a training
    checkpoint of this quick start): the same entries, state-dict metadata,
    contract and optimizer-state indices."""
    old = copy.deepcopy(checkpoint)
    state = old['state_dict']
    renamed = OrderedDict(
        (OLD if key == NEW else key, value) for key, value in state.items())
    metadata = getattr(state, '_metadata', None)
    if metadata is not None:
        renamed._metadata = OrderedDict((key, dict(value))
                                        for key, value in metadata.items()
                                        if key != 'head.prompt_learner')
        renamed._metadata['head']['version'] = 1
    old['state_dict'] = renamed
    meta = old.setdefault('meta', {})
    recorded = meta.get('mpafer')
    if recorded:
        recorded['trainable'] = {
            OLD if name == NEW else name: shape
            for name, shape in recorded['trainable'].items()
        }
        recorded['trainable_digest'] = tensor_digest(
            {name: renamed[name]
             for name in recorded['trainable']})
    if 'optimizer' in old:
        old_names = inline_order(names)
        position = {
            i: old_names.index(OLD if name == NEW else name)
            for i, name in enumerate(names)
        }
        optimizer = old['optimizer']
        assert [g['params'] for g in optimizer['param_groups']
                ] == [list(range(len(names)))]  # one group: every parameter
        optimizer['state'] = {
            position[i]: value
            for i, value in optimizer['state'].items()
        }
    if 'config_json' in meta:
        plain = json.loads(meta['config_json'])
        plain['model']['head'] = flat_head(plain['model']['head'])
        meta['config_json'] = json.dumps(plain, sort_keys=True)
    return old


def logits(model, seed=3):
    images = torch.rand(
        3, 3, 64, 64, generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        return model.eval()(images, mode='tensor')


def build(cfg, seed=0):
    torch.manual_seed(seed)
    return MODELS.build(cfg.model)


@pytest.fixture(scope='module')
def run(tmp_path_factory, synthetic_rafdb):
    """One epoch of the quick start on a local CLIP file: ``(cfg, root)``;
    ``root / 'work' / 'epoch_1.pth'`` is its lean training checkpoint."""
    root = tmp_path_factory.mktemp('inline')
    torch.manual_seed(0)
    torch.save(load_clip(**TINY_CLIP_64).state_dict(), root / 'clip.pt')
    cfg = quickstart_cfg(root / 'work', synthetic_rafdb)
    cfg.model.clip.pretrained = str(root / 'clip.pt')
    cfg.train_cfg.max_epochs = 1
    cfg.custom_hooks = [
        dict(hook, cache_dir=str(root / 'cache')) for hook in cfg.custom_hooks
    ]
    Runner.from_cfg(cfg.copy()).train()
    return cfg, root


@pytest.fixture(scope='module')
def names(run):
    """The model's parameter names, in ``parameters()`` order."""
    return [name for name, _ in build(run[0]).named_parameters()]


def runner_for(cfg, load_from, tmp_path):
    cfg = copy.deepcopy(cfg)
    cfg.work_dir, cfg.load_from = str(tmp_path / 'test'), load_from
    return Runner.from_cfg(cfg)


def save_inline(checkpoint_or_path, path, names=None):
    if not isinstance(checkpoint_or_path, dict):
        checkpoint_or_path = torch.load(checkpoint_or_path, weights_only=True)
    torch.save(as_inline_context(checkpoint_or_path, names), path)
    return str(path)


def test_flat_keys_warn_naming_the_new_key_and_build_the_same_model(
        synthetic_rafdb, tmp_path):
    cfg = quickstart_cfg(tmp_path, synthetic_rafdb)
    cfg.model.head.prompt_learner.init_std = 0.05
    new = build(cfg)
    with pytest.warns(FutureWarning) as warned:
        old = build(flat_cfg(cfg))
    messages = [str(w.message) for w in warned]
    for old_key, new_key in FLAT.items():
        assert any(f'model.head.{old_key} is deprecated: use '
                   f'model.head.prompt_learner.{new_key}' in m
                   for m in messages), old_key
    assert old.head.prompt_learner.init_std == 0.05
    state, expected = old.state_dict(), new.state_dict()
    assert list(state) == list(expected)
    for name, tensor in expected.items():
        assert torch.equal(state[name], tensor), name
    assert [n for n, p in old.named_parameters() if p.requires_grad
            ] == [n for n, p in new.named_parameters() if p.requires_grad]
    assert torch.equal(logits(old), logits(new))


def test_a_flat_key_overrides_the_prompt_learner_of_the_base(tmp_path):
    """A config of the old format that inherits the new base: its flat
    key is what it means, whatever the base's prompt_learner says."""
    clip = load_clip(model_name='mpafer-tiny-vit', pretrained=None)
    with pytest.warns(FutureWarning, match='class_specific_context'):
        head = MPAHead(
            classnames=CLASSNAMES,
            clip_model=clip,
            prompt_learner=dict(
                type='CoOpPromptLearner', class_specific_context=False),
            class_specific_context=True)
    assert head.prompt_learner.context.shape == (7, 10, 64)


def test_old_training_checkpoint_gives_identical_logits(run, names, tmp_path):
    cfg, root = run
    checkpoint = root / 'work' / 'epoch_1.pth'
    old = save_inline(checkpoint, tmp_path / 'old.pth', names)
    saved = torch.load(old, weights_only=True)
    assert OLD in saved['state_dict'] and NEW not in saved['state_dict']
    assert OLD in saved['meta']['mpafer']['trainable']
    expected = logits(init_model(cfg, str(checkpoint)))
    with pytest.warns(FutureWarning, match='prompt_learner'):
        model = init_model(flat_cfg(cfg), old)  # its own (flat) config
    assert torch.equal(logits(model), expected)
    assert torch.equal(logits(init_model(cfg, old)), expected)
    # load_from / tools/test.py: the contract hook checks it, then it loads
    runner = runner_for(cfg, old, tmp_path)
    assert runner.test()['accuracy/top1'] >= 0
    assert torch.equal(logits(runner.model), expected)


def test_old_full_checkpoint_gives_identical_logits(run, tmp_path):
    cfg, root = run
    model = init_model(cfg, str(root / 'work' / 'epoch_1.pth'))
    old = save_inline(
        dict(meta=dict(epoch=1), state_dict=model.state_dict()),
        tmp_path / 'old_full.pth')
    assert torch.equal(logits(init_model(cfg, old)), logits(model))


def test_old_export_gives_identical_logits(run, tmp_path):
    cfg, root = run
    model = init_model(cfg, str(root / 'work' / 'epoch_1.pth'))
    export = export_prompts(model, cfg, str(tmp_path / 'prompts.pth'))
    old = save_inline(export, tmp_path / 'old_prompts.pth')
    saved = torch.load(old, weights_only=True)
    assert sorted(saved['state_dict']) == ['backbone.prompts', OLD]
    assert 'num_context' in json.loads(
        saved['meta']['config_json'])['model']['head']
    with pytest.warns(FutureWarning, match='model.head.num_context'):
        rebuilt = init_model(old)  # from the export's own config
    assert torch.equal(logits(rebuilt), logits(model))
    runner = runner_for(cfg, old, tmp_path)
    runner.test()
    assert torch.equal(logits(runner.model), logits(model))


def test_wrong_old_checkpoints_are_still_refused(run, names, tmp_path):
    cfg, root = run
    old = as_inline_context(
        torch.load(root / 'work' / 'epoch_1.pth', weights_only=True), names)
    raw = old['state_dict'][OLD].view(-1).view(torch.uint8)
    raw[:16] ^= 0xFF
    flipped = str(tmp_path / 'flipped.pth')
    torch.save(old, flipped)
    with pytest.raises(
            CheckpointMismatchError,
            match=rf'{flipped} is corrupt: its trainable tensors '
            rf'\(backbone.prompts, head.context\) hash to'):
        init_model(cfg, flipped)
    raw[:16] ^= 0xFF  # intact again, but the model is another shape
    intact = str(tmp_path / 'intact.pth')
    torch.save(old, intact)
    shared = copy.deepcopy(cfg)
    shared.model.head.prompt_learner.class_specific_context = False
    named = (r'does not fit(.|\n)*head.prompt_learner.context: checkpoint '
             r'\(7, 10, 64\), model \(10, 64\)')
    with pytest.raises(CheckpointMismatchError, match=named):
        init_model(shared, intact)
    runner = runner_for(shared, intact, tmp_path)
    with pytest.raises(CheckpointMismatchError, match=named):
        runner.test()


def test_resume_of_an_old_training_checkpoint_equals_the_new(
        run, names, tmp_path):
    """The optimizer state indexes parameters by position: the context
    gets its own AdamW moments back, so both resumptions end the same."""
    cfg, root = run
    checkpoint = root / 'work' / 'epoch_1.pth'
    old = save_inline(checkpoint, tmp_path / 'old.pth', names)
    final = {}
    for name, path in (('new', str(checkpoint)), ('old', old)):
        resumed = copy.deepcopy(cfg)
        resumed.merge_from_dict({'train_cfg.max_epochs': 2})
        resumed.work_dir, resumed.load_from = str(tmp_path / name), path
        resumed.resume = True
        Runner.from_cfg(resumed).train()
        final[name] = torch.load(
            tmp_path / name / 'epoch_2.pth', weights_only=True)['state_dict']
    before = torch.load(checkpoint, weights_only=True)['state_dict']
    for key in ('backbone.prompts', NEW):
        assert not torch.equal(final['new'][key], before[key])  # trained
        assert torch.equal(final['old'][key], final['new'][key]), key


def test_the_head_state_dict_version_decides(tiny_clip):
    head = MPAHead(classnames=CLASSNAMES, clip_model=tiny_clip)
    context = torch.randn(10, 64)
    state = {
        ('context' if k == 'prompt_learner.context' else k): v
        for k, v in head.state_dict().items()
    }
    state['context'] = context
    head.load_state_dict(state)  # no version recorded: renamed
    assert torch.equal(head.prompt_learner.context.detach(), context)
    versioned = OrderedDict(state)
    versioned._metadata = OrderedDict({'': dict(version=2)})
    with pytest.raises(
            RuntimeError,
            match=r'Unexpected key\(s\) in state_'
            r"dict: \"context\""):
        head.load_state_dict(versioned)  # a new head has no such entry
    versioned._metadata[''] = dict(version=1)
    head.load_state_dict(versioned)
    # the renaming itself, as the contract and MPAFER apply it
    entries = {'head.context': context, 'backbone.prompts': context}
    assert upgrade_head_state_dict(entries, 'head.', None) == [(OLD, NEW)]
    assert set(entries) == {NEW, 'backbone.prompts'}
    assert upgrade_head_state_dict({OLD: context}, 'head.', 2) == []

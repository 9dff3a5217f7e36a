"""The frozen blocks' memory layout: exact in both layouts, chosen by a
fixed rule (or, opt-in, by measurement once per shape class), recorded,
never touching the weights."""
import pytest
import torch

from mpafer_plugin.models import CLIPTextEncoder, PromptedCLIPViT
from mpafer_plugin.models.utils import attention_layout as layouts
from mpafer_plugin.models.utils.hard_prompts import tokenize
from mpafer_plugin.testing.benchmarking import profile_top_ops

LAYOUTS = layouts.LAYOUTS


@pytest.fixture(autouse=True)
def _fresh_cache():
    layouts.clear_cache()
    yield
    layouts.clear_cache()


@pytest.fixture
def images():
    torch.manual_seed(1)
    return torch.randn(3, 3, 224, 224)


def todays_forward(backbone, images):
    """The prompted tower as it ran before the layout choice (batch-first,
    prompts joined and dropped along dim 1): the gradient reference."""
    visual = backbone.visual
    x = visual._embeds(images.to(visual.conv1.weight.dtype))
    for layer, block in enumerate(visual.transformer.resblocks):
        if layer < backbone.prompt_depth:
            prompts = backbone.prompts[layer].to(x.dtype)
            x = torch.cat([x, prompts.expand(x.shape[0], -1, -1)], dim=1)
            x = block(x)[:, :-backbone.num_prompts]
        else:
            x = block(x)
    x = visual.ln_post(x) @ visual.proj
    return x[:, 1:], x[:, 0]


@pytest.mark.parametrize('layout', layouts.MODES)
@pytest.mark.parametrize('grad', [False, True])
def test_unprompted_tower_equals_encode_image(tiny_clip, images, layout, grad):
    backbone = PromptedCLIPViT(
        clip_model=tiny_clip, num_prompts=4, attention_layout=layout)
    with torch.no_grad():
        reference = tiny_clip.encode_image(images)
    with torch.set_grad_enabled(grad):
        _, glob = backbone(images.requires_grad_(grad), use_prompts=False)
    torch.testing.assert_close(glob, reference, rtol=1e-5, atol=1e-5)
    assert all(
        attn.batch_first
        for attn in (b.attn for b in tiny_clip.visual.transformer.resblocks))


@pytest.mark.parametrize('depth', [1, None])
@pytest.mark.parametrize('layout', layouts.MODES)
def test_prompt_gradients_equal_todays_path_in_float64(tiny_clip, images,
                                                       layout, depth):
    backbone = PromptedCLIPViT(
        clip_model=tiny_clip.double(),
        num_prompts=4,
        prompt_depth=depth,
        attention_layout=layout)
    images = images.double()
    grads, outputs = [], []
    for forward in (todays_forward, backbone.forward):
        patches, glob = forward(backbone, images) if forward is \
            todays_forward else forward(images)
        (patches.square().sum() + glob.sin().sum()).backward()
        grads.append(backbone.prompts.grad)
        outputs.append((patches.detach(), glob.detach()))
        backbone.prompts.grad = None
    torch.testing.assert_close(grads[1], grads[0], rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(outputs[1], outputs[0], rtol=1e-10, atol=1e-12)
    assert grads[0].abs().sum() > 0


@pytest.mark.parametrize('layout', LAYOUTS)
def test_text_tower_equals_encode_text_in_both_layouts(tiny_clip, layout):
    encoder = CLIPTextEncoder(tiny_clip, attention_layout=layout)
    ids = tokenize(['a photo of a happy face.', 'fear'])
    with torch.no_grad():
        expected = tiny_clip.encode_text(ids)
    embeddings = encoder.embed(ids).requires_grad_(True)
    out = encoder(embeddings, ids)
    torch.testing.assert_close(out, expected, rtol=1e-5, atol=1e-5)
    assert tiny_clip.transformer.batch_first


def test_layout_flags_restored_after_an_error(tiny_clip):
    transformer = tiny_clip.visual.transformer
    weights = {k: v.clone() for k, v in transformer.state_dict().items()}
    with pytest.raises(KeyError):
        with layouts.transformer_layout(transformer, 'sequence_first'):
            assert not transformer.batch_first
            assert not any(b.attn.batch_first for b in transformer.resblocks)
            raise KeyError('boom')
    assert transformer.batch_first
    assert all(b.attn.batch_first for b in transformer.resblocks)
    for key, value in transformer.state_dict().items():
        assert torch.equal(value, weights[key]), key


def test_choice_is_measured_once_per_shape_class(tiny_clip, images,
                                                 monkeypatch):
    calls = []
    measure = layouts.measure

    def counting(*args, **kwargs):
        calls.append((kwargs['backward'], kwargs['prompts'] is not None))
        return measure(*args, **kwargs)

    monkeypatch.setattr(layouts, 'measure', counting)
    backbone = PromptedCLIPViT(
        clip_model=tiny_clip, num_prompts=2, attention_layout='timed')
    backbone(images)  # training: backward follows
    backbone(torch.cat([images, images[:1]]))  # 4: same batch bucket
    with torch.no_grad():
        backbone(images)  # inference: another class
        backbone(images[:1])  # batch bucket 1: another class
        backbone(images, use_prompts=False)  # no prompts: another class
    # the prompted tower's first block is timed with its prompts
    assert calls == [(True, True), (False, True), (False, True),
                     (False, False)]
    choices = layouts.cached_choices()
    assert len(choices) == 4
    assert sorted(key.prompts for key in choices) == [0, 2, 2, 2]
    for key, choice in choices.items():
        assert key.width == 64 and key.tokens == 197
        assert choice.layout in LAYOUTS
        assert set(choice.seconds) == set(LAYOUTS)
        assert choice.layout == layouts.pick(choice.seconds)


def test_auto_is_a_rule_that_never_measures(tiny_clip, images, monkeypatch):
    """The default: the same layout in every process, whatever the load
    (timing flipped between identical quick-start runs)."""
    monkeypatch.setattr(layouts, 'measure',
                        lambda *a, **k: pytest.fail("mode 'auto' measured"))
    backbone = PromptedCLIPViT(clip_model=tiny_clip, num_prompts=2)
    text = CLIPTextEncoder(tiny_clip)
    ids = tokenize(['a photo of a happy face.', 'fear'])
    backbone(images)
    text(text.embed(ids).requires_grad_(), ids)
    with torch.no_grad():
        backbone(images)
    used = layouts.used_layouts(torch.nn.ModuleList([backbone, text]))
    assert len(used) == 3
    assert {u['layout'] for u in used} == {layouts.SEQUENCE_FIRST}
    assert {u['by'] for u in used} == {'rule'}
    assert not any('first_block_s' in u for u in used)
    assert layouts.rule_layout(
        tiny_clip.visual.transformer) == layouts.SEQUENCE_FIRST
    tiny_clip.transformer.grad_checkpointing = True
    assert layouts.rule_layout(tiny_clip.transformer) == layouts.BATCH_FIRST
    tiny_clip.transformer.grad_checkpointing = False


def test_layout_used_is_logged_once_per_site_and_shape_class(
        tiny_clip, images, monkeypatch):
    logged = []
    monkeypatch.setattr(layouts, 'print_log',
                        lambda msg, **kwargs: logged.append(msg))
    backbone = PromptedCLIPViT(clip_model=tiny_clip, num_prompts=2)
    for _ in range(3):
        backbone(images)  # one shape class, three steps
    assert len(logged) == 1
    assert logged[0].startswith('attention layout of PromptedCLIPViT '
                                '(forward + backward, batch <= 4, '
                                '197 tokens + 2 prompts')
    assert logged[0].endswith('sequence_first (rule)')
    with torch.no_grad():
        backbone(images)
    with layouts.forced_layout(backbone, 'batch_first'), torch.no_grad():
        backbone(images)  # same class, another choice: logged
    assert len(logged) == 3 and logged[-1].endswith('batch_first (forced)')
    record = layouts.layout_record(torch.nn.ModuleDict(dict(b=backbone)))
    assert record['modes'] == {'b': 'auto'}
    assert [(u['site'], u['backward'], u['layout'], u['by'])
            for u in record['used']] == [
                ('b', True, 'sequence_first', 'rule'),
                ('b', False, 'sequence_first', 'rule'),
                ('b', False, 'batch_first', 'forced'),
            ]
    with torch.no_grad():
        backbone(images)  # back to the rule: known, not logged again
    assert len(logged) == 3


@pytest.mark.parametrize(
    'seconds, expected',
    [
        (dict(batch_first=1.0, sequence_first=0.7), 'sequence_first'),
        (dict(batch_first=0.7, sequence_first=1.0), 'batch_first'),
        (dict(batch_first=0.97, sequence_first=1.0), 'sequence_first'),  # tie
    ])
def test_pick_keeps_the_preferred_layout_on_near_ties(seconds, expected):
    assert layouts.pick(seconds) == expected


def test_no_measurement_under_deterministic_algorithms(tiny_clip, images,
                                                       monkeypatch):
    monkeypatch.setattr(
        layouts, 'measure',
        lambda *a, **k: pytest.fail('measured under deterministic algorithms'))
    backbone = PromptedCLIPViT(
        clip_model=tiny_clip, num_prompts=2, attention_layout='timed')
    was = torch.are_deterministic_algorithms_enabled()
    torch.use_deterministic_algorithms(True)
    try:
        transformer = tiny_clip.visual.transformer
        x = torch.randn(2, 197, 64)
        assert layouts.choose_layout(transformer, x,
                                     'timed') == layouts.PREFERRED
        backbone(images)
    finally:
        torch.use_deterministic_algorithms(was)
    assert not layouts.cached_choices()


def test_forced_layout_sets_and_restores_every_owner(tiny_clip):
    model = torch.nn.ModuleDict(
        dict(
            backbone=PromptedCLIPViT(clip_model=tiny_clip),
            text=CLIPTextEncoder(tiny_clip,
                                 attention_layout='sequence_first')))
    with layouts.forced_layout(model, 'batch_first'):
        assert model.backbone.attention_layout == 'batch_first'
        assert model.text.attention_layout == 'batch_first'
    assert model.backbone.attention_layout == 'auto'
    assert model.text.attention_layout == 'sequence_first'


def test_bad_layout_is_refused_naming_the_owner(tiny_clip):
    with pytest.raises(ValueError, match="PromptedCLIPViT.*'columns'"):
        PromptedCLIPViT(clip_model=tiny_clip, attention_layout='columns')
    with pytest.raises(ValueError, match="CLIPTextEncoder.*'columns'"):
        CLIPTextEncoder(tiny_clip, attention_layout='columns')


@pytest.mark.parametrize('layout, expect_bmm', [('batch_first', True),
                                                ('sequence_first', False)])
def test_sequence_first_projections_are_plain_gemms(tiny_clip, images, layout,
                                                    expect_bmm):
    """The mechanism itself: batch-first, autograd-recorded attention runs
    its projections as bmm on an expanded weight; sequence-first, none."""
    backbone = PromptedCLIPViT(
        clip_model=tiny_clip, num_prompts=2, attention_layout=layout)

    def step():
        patches, glob = backbone(images)
        (patches.sum() + glob.sum()).backward()

    ops = {
        row['name']: row['calls']
        for row in profile_top_ops(step, 1000, torch.device('cpu'))
    }
    assert ('aten::bmm' in ops) == expect_bmm
    assert ops['aten::addmm'] > 0


def test_grad_checkpointing_keeps_the_built_layout(tiny_clip):
    """open_clip's checkpointing recomputes the blocks during backward,
    outside the layout context: only batch-first is safe there."""
    tiny_clip.transformer.grad_checkpointing = True
    encoder = CLIPTextEncoder(tiny_clip)
    ids = tokenize(['a photo of a happy face.', 'fear', 'a sad face'])
    embeddings = encoder.embed(ids).requires_grad_(True)
    encoder(embeddings, ids).square().sum().backward()  # no shape error
    reference = embeddings.grad.clone()
    assert [u['layout']
            for u in layouts.used_layouts(encoder)] == ['batch_first']
    tiny_clip.transformer.grad_checkpointing = False
    embeddings.grad = None
    encoder.attention_layout = 'batch_first'  # the same arithmetic
    encoder(embeddings, ids).square().sum().backward()
    torch.testing.assert_close(embeddings.grad, reference)
    tiny_clip.transformer.grad_checkpointing = True
    encoder.attention_layout = 'sequence_first'
    with pytest.raises(ValueError, match='grad_checkpointing'):
        encoder(embeddings, ids)

import open_clip
import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.optim import build_optim_wrapper
from mmengine.runner import Runner
from mmengine.runner.checkpoint import _load_checkpoint
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from mpafer_plugin.models import MPAFER
from ..conftest import CLASSNAMES, REPO_ROOT, TINY_CLIP, quickstart_cfg


def build_model(precision='fp32', **head):
    torch.manual_seed(0)
    cfg = Config.fromfile(f'{REPO_ROOT}/configs/mpafer_rafdb.py').model
    cfg.clip = dict(TINY_CLIP, precision=precision)
    cfg.head.update(head)
    return MODELS.build(cfg)


def batch(n=4):
    gen = torch.Generator().manual_seed(0)
    inputs = torch.randint(0, 255, (n, 3, 224, 224), generator=gen).float()
    labels = torch.arange(n) % len(CLASSNAMES)
    return dict(
        inputs=inputs,
        data_samples=[DataSample().set_gt_label(int(i)) for i in labels])


def clip_state(model):
    return {
        k: v.clone()
        for k, v in model.state_dict().items()
        if k.startswith(('backbone.visual.', 'head.text_encoder.'))
    }


def test_clip_loaded_once_and_stored_once(monkeypatch):
    calls = []
    create = open_clip.create_model
    monkeypatch.setattr(open_clip, 'create_model',
                        lambda *a, **k: calls.append(a) or create(*a, **k))
    model = build_model()
    assert isinstance(model, MPAFER) and len(calls) == 1
    keys = model.state_dict().keys()
    assert not any('visual' in k for k in keys if k.startswith('head.'))
    assert not any('token_embedding' in k
                   for k in keys if k.startswith('backbone.'))
    # the one open_clip model is exposed, not registered a second time
    assert model.clip_model.visual is model.backbone.visual
    assert not any(k.startswith('_clip_model') for k in keys)


def test_only_prompts_are_trainable():
    model = build_model()
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable == {'backbone.prompts', 'head.prompt_learner.context'}
    # 2 layers x 8 prompts x 64 + 10 context x 64
    assert sum(p.numel() for n, p in model.named_parameters()
               if n in trainable) == 2 * 8 * 64 + 10 * 64


def test_train_step_changes_prompts_and_keeps_clip_bit_identical():
    model = build_model()
    model.head.set_prototypes(torch.randn(7, 64))
    model.init_weights()  # as Runner.train() does: must not touch CLIP
    before_clip = clip_state(model)
    before_prompts = {
        n: p.detach().clone()
        for n, p in model.named_parameters() if p.requires_grad
    }
    optim = build_optim_wrapper(
        model, dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9)))
    model.train_step(batch(), optim)
    for key, value in clip_state(model).items():
        assert torch.equal(value, before_clip[key]), key
    # frozen weights get no gradient buffer: backward stops at the prompts
    assert all(p.grad is None for p in model.parameters()
               if not p.requires_grad)
    for name, param in model.named_parameters():
        if param.requires_grad:
            assert not torch.equal(param, before_prompts[name]), name


def grads_of(model, loss):
    model.zero_grad()
    loss.backward()
    return {n: p.grad for n, p in model.named_parameters() if p.requires_grad}


def test_alignment_losses_touch_only_their_side():
    model = build_model()
    model.head.set_prototypes(torch.randn(7, 64))
    data = model.data_preprocessor(batch(), True)
    feats = model.extract_feat(data['inputs'])
    losses = model.head.loss(feats, data['data_samples'])
    for text_term in ('loss_token_align', 'loss_prompt_align'):
        grads = grads_of(model, losses[text_term] * 1.0)
        assert grads[
            'backbone.prompts'] is None or not grads['backbone.prompts'].any()
        assert grads['head.prompt_learner.context'].abs().sum() > 0
        feats = model.extract_feat(data['inputs'])
        losses = model.head.loss(feats, data['data_samples'])
    grads = grads_of(model, losses['loss_proto_align'])
    context = grads['head.prompt_learner.context']
    assert context is None or not context.any()
    assert grads['backbone.prompts'].abs().sum() > 0


def test_predict_and_tensor_modes():
    model = build_model().eval()
    data = model.data_preprocessor(batch(2), False)
    logits = model(data['inputs'], mode='tensor')
    assert logits.shape == (2, 7)
    predictions = model(data['inputs'], data['data_samples'], mode='predict')
    assert predictions[0].pred_label.shape == (1, )


@pytest.mark.parametrize('spec, error', [
    (dict(model_name='ViT-B-16', pretrained='openai'), ValueError),
    (dict(model_name='ViT-B-16-quickgelu',
          pretrained='/no/such/file.pt'), FileNotFoundError),
    (dict(model_name='ViT-B-16-quickgelu',
          pretrained='no_such_tag'), ValueError),
    (dict(model_name='ViT-Nonexistent-99', pretrained=None), ValueError),
])
def test_bad_clip_specs_fail_before_any_download(spec, error):
    from mpafer_plugin.models import load_clip
    with pytest.raises(error) as info:
        load_clip(**spec)
    assert spec['model_name'] in str(info.value) or str(
        spec['pretrained']) in str(info.value)


def test_pretrained_tag_while_offline_names_the_fix(monkeypatch, tmp_path):
    """A tag whose weights cannot be downloaded (no network: every socket
    connection fails) says what to do instead."""
    import socket

    from open_clip import pretrained

    from mpafer_plugin.models import load_clip

    def unreachable(*args, **kwargs):
        raise OSError(101, 'Network is unreachable')

    monkeypatch.setattr(socket.socket, 'connect', unreachable)
    monkeypatch.setattr(socket, 'create_connection', unreachable)
    monkeypatch.setitem(
        pretrained._PRETRAINED, 'mpafer-tiny-vit',
        dict(
            offline=pretrained._pcfg(
                url='https://example.org/tiny.pt', quick_gelu=True)))
    with pytest.raises(
            RuntimeError,
            match=(
                r'Could not fetch open_clip weights mpafer-tiny-vit/offline '
                r'\(offline\?\)\. Download them once and pass the local file '
                r'as `pretrained`\..*Network is unreachable')):
        load_clip('mpafer-tiny-vit', 'offline', cache_dir=str(tmp_path))


def test_refuses_an_unfrozen_clip_and_names_the_baseline_config():
    cfg = Config.fromfile(f'{REPO_ROOT}/configs/mpafer_rafdb.py').model
    cfg.clip = TINY_CLIP
    cfg.backbone.freeze_clip = False
    with pytest.raises(
            ValueError,
            match='model.backbone.freeze_clip=False'
            '.*ImageClassifier'):
        MODELS.build(cfg)


def test_quickgelu_mismatch_message_names_the_fix():
    from mpafer_plugin.models import load_clip
    with pytest.raises(ValueError, match='ViT-B-16-quickgelu'):
        load_clip('ViT-B-16', 'openai')


def test_local_checkpoint_file_is_loaded(tmp_path, tiny_clip):
    from mpafer_plugin.models import load_clip
    path = tmp_path / 'clip.pt'
    torch.save(tiny_clip.state_dict(), path)
    torch.manual_seed(123)
    loaded = load_clip('mpafer-tiny-vit', str(path))
    for key, value in tiny_clip.state_dict().items():
        assert torch.equal(value, loaded.state_dict()[key]), key


def test_log_says_frozen_weights_come_from_a_full_checkpoint():
    """A full checkpoint's CLIP replaces the random weights built from a
    spec without ``pretrained``, and the log says so."""
    from ..datasets.fixtures import captured_log
    state = build_model().state_dict()
    with captured_log() as log:
        model = build_model()
        model.load_state_dict(state)
    text = log.getvalue()
    assert 'random initialisation' in text
    assert 'Frozen CLIP weights loaded from the checkpoint' in text


def test_non_finite_loss_stops_before_the_update():
    model = build_model(prototype_align_loss=None)
    optim = build_optim_wrapper(model,
                                dict(optimizer=dict(type='SGD', lr=0.1)))
    model.head.classifier._logit_scale = float('nan')  # past the check
    before = {
        n: p.detach().clone()
        for n, p in model.named_parameters() if p.requires_grad
    }
    with pytest.raises(
            FloatingPointError, match=r'loss_cls=nan.*head.logit_scale=nan'):
        model.train_step(batch(), optim)
    for name, param in model.named_parameters():
        if param.requires_grad:
            assert torch.equal(param, before[name]), name


def test_nan_prototypes_are_blamed_not_the_learning_rate():
    model = build_model()
    optim = build_optim_wrapper(model,
                                dict(optimizer=dict(type='SGD', lr=0.1)))
    model.head.prototypes.normal_()[2] = float('nan')  # e.g. a bad cache
    model.head.prototypes_ready.fill_(True)
    with pytest.raises(FloatingPointError) as info:
        model.train_step(batch(), optim)
    message = str(info.value)
    assert 'loss_proto_align=nan' in message
    assert 'prototypes of L_v hold NaN/inf (classes [2])' in message
    assert 'learning rate' not in message


def test_temperature_zero_set_after_build_is_named():
    model = build_model(prototype_align_loss=None)
    optim = build_optim_wrapper(model,
                                dict(optimizer=dict(type='SGD', lr=0.1)))
    model.head.token_align_loss.temperature = 0.0
    with pytest.raises(FloatingPointError) as info:
        model.train_step(batch(), optim)
    message = str(info.value)
    assert 'head.token_align_loss.temperature=0.0 (must be > 0)' in message
    assert 'learning rate' not in message


def test_every_frozen_part_stays_in_eval_mode():
    model = build_model().train()
    frozen = [
        name for name, module in model.named_modules()
        if any(True for _ in module.parameters()) and not any(
            p.requires_grad for p in module.parameters())
    ]
    assert 'backbone.visual' in frozen and 'head.text_encoder' in frozen
    for name, module in model.named_modules():
        if name in frozen:
            assert not module.training, name


@pytest.mark.parametrize('precision, half, atol',
                         [('fp16', torch.float16, 0.2),
                          ('bf16', torch.bfloat16, 1.0)])
def test_half_precision_clip(precision, half, atol):
    """Frozen layers stored in half; prompts, logits and losses in fp32."""
    model = build_model(precision)
    layers = [
        m for m in model.modules()
        if isinstance(m, (torch.nn.Linear, torch.nn.Conv2d))
    ]
    assert len(layers) > 4 and all(m.weight.dtype == half for m in layers)
    assert model.backbone.visual.proj.dtype == half
    assert model.head.text_encoder.text_projection.dtype == half
    for name, param in model.named_parameters():
        allowed = (torch.float32, ) if param.requires_grad else (
            torch.float32, half)  # layer norms and embeddings stay fp32
        assert param.dtype in allowed, name
    reference = build_model('fp32').eval()  # same weights, in fp32
    data = model.data_preprocessor(batch(2), False)
    logits = model.eval()(data['inputs'], mode='tensor')
    assert logits.dtype == torch.float32 and torch.isfinite(logits).all()
    torch.testing.assert_close(
        logits, reference(data['inputs'], mode='tensor'), atol=atol, rtol=0)

    model.train().head.set_prototypes(torch.randn(7, 64))
    before_clip = clip_state(model)
    before = {
        n: p.detach().clone()
        for n, p in model.named_parameters() if p.requires_grad
    }
    optim = build_optim_wrapper(model,
                                dict(optimizer=dict(type='SGD', lr=0.1)))
    log_vars = model.train_step(batch(2), optim)
    assert all(torch.isfinite(v) for v in log_vars.values()), log_vars
    for key, value in clip_state(model).items():
        assert torch.equal(value, before_clip[key]), key
    for name, value in before.items():
        param = model.get_parameter(name)
        assert param.dtype == torch.float32
        assert not torch.equal(param, value), name


def test_unknown_clip_precision_is_named():
    from mpafer_plugin.models import load_clip
    with pytest.raises(ValueError, match="precision='fp8'"):
        load_clip('mpafer-tiny-vit', None, precision='fp8')


class PoisonLogitScaleHook(Hook):
    """Make ``loss_cls`` NaN from global iteration ``iteration`` on."""

    def __init__(self, iteration):
        self.iteration = iteration

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if runner.iter == self.iteration:
            runner.model.head.classifier._logit_scale = float('nan')


def test_nan_loss_in_a_run_keeps_the_last_good_checkpoint(
        tmp_path, synthetic_rafdb):
    cfg = quickstart_cfg(
        tmp_path / 'work', synthetic_rafdb, prototype_align_loss=None)
    cfg.train_cfg.max_epochs = 2
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    runner = Runner.from_cfg(cfg)
    runner.register_hook(PoisonLogitScaleHook(iteration=12))  # in epoch 2
    with pytest.raises(
            FloatingPointError,
            match=r'non-finite loss term\(s\) loss_cls=nan\.'):
        runner.train()
    assert runner.iter == 12  # stopped at the poisoned step
    work = tmp_path / 'work'
    assert not (work / 'epoch_2.pth').exists()
    latest = (work / 'last_checkpoint').read_text().strip()
    assert latest == str(work / 'epoch_1.pth')
    checkpoint = _load_checkpoint(latest)  # weights_only, like --resume
    assert checkpoint['meta']['epoch'] == 1
    for name in ('backbone.prompts', 'head.prompt_learner.context'):
        assert torch.isfinite(checkpoint['state_dict'][name]).all(), name
    for name, param in runner.model.named_parameters():
        assert torch.isfinite(param).all(), name  # no NaN update applied

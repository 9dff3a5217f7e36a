import open_clip
import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from mpafer_plugin.models import MPAFER

from ..conftest import CLASSNAMES, REPO_ROOT, TINY_CLIP


def build_model(**head):
    torch.manual_seed(0)
    cfg = Config.fromfile(f'{REPO_ROOT}/configs/mpafer_rafdb.py').model
    cfg.clip = TINY_CLIP
    cfg.head.update(head)
    return MODELS.build(cfg)


def batch(n=4):
    gen = torch.Generator().manual_seed(0)
    inputs = torch.randint(0, 255, (n, 3, 224, 224), generator=gen).float()
    labels = torch.arange(n) % len(CLASSNAMES)
    return dict(inputs=inputs,
                data_samples=[DataSample().set_gt_label(int(i))
                              for i in labels])


def clip_state(model):
    return {k: v.clone() for k, v in model.state_dict().items()
            if k.startswith(('backbone.visual.', 'head.text_encoder.'))}


def test_clip_loaded_once_and_stored_once(monkeypatch):
    calls = []
    create = open_clip.create_model
    monkeypatch.setattr(open_clip, 'create_model',
                        lambda *a, **k: calls.append(a) or create(*a, **k))
    model = build_model()
    assert isinstance(model, MPAFER) and len(calls) == 1
    keys = model.state_dict().keys()
    assert not any('visual' in k for k in keys if k.startswith('head.'))
    assert not any('token_embedding' in k for k in keys
                   if k.startswith('backbone.'))


def test_only_prompts_are_trainable():
    model = build_model()
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable == {'backbone.prompts', 'head.context'}
    # 2 layers x 8 prompts x 64 + 10 context x 64
    assert sum(p.numel() for n, p in model.named_parameters()
               if n in trainable) == 2 * 8 * 64 + 10 * 64


def test_train_step_changes_prompts_and_keeps_clip_bit_identical():
    model = build_model()
    model.head.set_prototypes(torch.randn(7, 64))
    model.init_weights()  # as Runner.train() does: must not touch CLIP
    before_clip = clip_state(model)
    before_prompts = {n: p.detach().clone()
                      for n, p in model.named_parameters() if p.requires_grad}
    optim = build_optim_wrapper(model, dict(
        optimizer=dict(type='SGD', lr=0.1, momentum=0.9)))
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
        assert grads['backbone.prompts'] is None or not grads[
            'backbone.prompts'].any()
        assert grads['head.context'].abs().sum() > 0
        feats = model.extract_feat(data['inputs'])
        losses = model.head.loss(feats, data['data_samples'])
    grads = grads_of(model, losses['loss_proto_align'])
    assert grads['head.context'] is None or not grads['head.context'].any()
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
    (dict(model_name='ViT-B-16-quickgelu', pretrained='/no/such/file.pt'),
     FileNotFoundError),
    (dict(model_name='ViT-B-16-quickgelu', pretrained='no_such_tag'),
     ValueError),
    (dict(model_name='ViT-Nonexistent-99', pretrained=None), ValueError),
])
def test_bad_clip_specs_fail_before_any_download(spec, error):
    from mpafer_plugin.models import load_clip
    with pytest.raises(error) as info:
        load_clip(**spec)
    assert spec['model_name'] in str(info.value) or str(
        spec['pretrained']) in str(info.value)


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


def test_non_finite_loss_stops_before_the_update():
    model = build_model(prototype_align_loss=None)
    optim = build_optim_wrapper(
        model, dict(optimizer=dict(type='SGD', lr=0.1)))
    model.head.logit_scale = float('nan')
    before = {n: p.detach().clone() for n, p in model.named_parameters()
              if p.requires_grad}
    with pytest.raises(FloatingPointError, match=r'loss_cls=nan'):
        model.train_step(batch(), optim)
    for name, param in model.named_parameters():
        if param.requires_grad:
            assert torch.equal(param, before[name]), name

import glob
import os

import pytest
import torch
from mmengine.config import Config
from mmpretrain.registry import MODELS

from .conftest import REPO_ROOT, TINY_CLIP

CONFIG_DIR = os.path.join(REPO_ROOT, 'configs')
TOP_CONFIGS = sorted(
    glob.glob(os.path.join(CONFIG_DIR, '*.py')) +
    glob.glob(os.path.join(CONFIG_DIR, 'ablations', '*.py')))


def load(name):
    return Config.fromfile(os.path.join(CONFIG_DIR, name))


def test_main_config_has_the_paper_defaults():
    cfg = load('mpafer_rafdb.py')
    assert cfg.model.clip == dict(
        model_name='ViT-B-16-quickgelu', pretrained='openai')
    assert cfg.model.data_preprocessor.mean == [122.771, 116.746, 104.094]
    assert cfg.model.data_preprocessor.std == [68.501, 66.632, 70.323]
    backbone, head = cfg.model.backbone, cfg.model.head
    assert (backbone.num_prompts, backbone.prompt_depth) == (8, None)
    assert (head.prompt_learner.num_context, head.local_topk,
            head.local_weight) == (10, 16, 1.0)
    assert head.hard_prompt_variant == 3 and head.logit_scale == 100.0
    assert head.classnames[0] == 'surprise' and len(head.classnames) == 7
    assert cfg.optim_wrapper.optimizer.lr == 0.032
    assert cfg.optim_wrapper.optimizer.type == 'SGD'
    assert cfg.param_scheduler[-1].type == 'CosineAnnealingLR'
    assert cfg.train_cfg.max_epochs == 120
    assert cfg.train_dataloader.batch_size == 32
    steps = [t.type for t in cfg.train_pipeline]
    assert {'RandomResizedCrop', 'RandomFlip', 'RandomErasing'} <= set(steps)
    assert cfg.train_pipeline[1].scale == 224
    assert cfg.train_dataloader.dataset.type == 'RAFDB'
    assert [h.type for h in cfg.custom_hooks] == ['PrototypeHook']
    vitl = load('mpafer_rafdb_vitl14.py')
    assert vitl.model.clip.model_name == 'ViT-L-14-quickgelu'


@pytest.mark.parametrize(
    'path',
    TOP_CONFIGS,
    ids=[os.path.relpath(p, CONFIG_DIR) for p in TOP_CONFIGS])
def test_every_config_builds_its_model(path):
    cfg = Config.fromfile(path)
    cfg.model.clip = TINY_CLIP
    model = MODELS.build(cfg.model)
    assert sum(p.requires_grad for p in model.parameters()) >= 1


ROWS = {
    'rafdb_1_coop.py': (0, False, False, 0.0),
    'rafdb_2_visual_prompts.py': (8, False, False, 0.0),
    'rafdb_3_prototype.py': (8, True, False, 0.0),
    'rafdb_4_soft_hard.py': (8, True, True, 0.0),
    '../mpafer_rafdb.py': (8, True, True, 1.0),
}


@pytest.mark.parametrize('name', ROWS)
def test_ablation_rows(name):
    prompts, proto, soft_hard, lam = ROWS[name]
    cfg = load(os.path.join('ablations', name))
    head = cfg.model.head
    assert cfg.model.backbone.num_prompts == prompts
    assert (head.prototype_align_loss is not None) == proto
    assert (head.token_align_loss is not None) == soft_hard
    assert (head.prompt_align_loss is not None) == soft_hard
    assert head.local_weight == lam


def test_trainable_budget_of_the_main_config():
    """ViT-B/16 (random weights, same shapes): 12 layers x 8 prompts x 768
    visual + 10 x 512 text context."""
    cfg = load('mpafer_rafdb.py')
    cfg.model.clip.pretrained = None
    model = MODELS.build(cfg.model)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    assert trainable == 12 * 8 * 768 + 10 * 512
    assert model.head.prototypes.shape == (7, 512)
    del model
    torch.cuda.empty_cache()


def test_bf16_config_holds_clip_in_bf16_under_bf16_autocast():
    cfg = load('mpafer_rafdb_bf16.py')
    assert cfg.optim_wrapper.type == 'MixedPrecisionOptimWrapper'
    assert cfg.optim_wrapper.dtype == 'bfloat16'
    assert cfg.optim_wrapper.optimizer.type == 'SGD'  # the paper's, kept
    cfg.model.clip = dict(TINY_CLIP, precision=cfg.model.clip.precision)
    model = MODELS.build(cfg.model)
    assert model.backbone.visual.proj.dtype == torch.bfloat16
    assert model.head.prompt_learner.context.dtype == torch.float32


def test_schedule_clips_the_gradient_norm():
    """A gradient spike moves the prompts by at most lr x max_norm in one
    SGD step (the first, where momentum adds nothing yet)."""
    from mmengine.optim import build_optim_wrapper
    cfg = load('mpafer_rafdb.py')
    assert cfg.optim_wrapper.clip_grad == dict(max_norm=1.0, norm_type=2)
    model = torch.nn.Linear(50, 2, bias=False)
    torch.nn.init.zeros_(model.weight)
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    model.weight.grad = torch.full_like(model.weight, 1000.0)
    optim_wrapper.step()
    moved = model.weight.detach().norm().item()
    assert moved == pytest.approx(
        cfg.optim_wrapper.optimizer.lr * 1.0, rel=1e-4)


PROXY_CONFIGS = sorted(
    glob.glob(os.path.join(CONFIG_DIR, 'proxy', 'mpafer_*.py')))
FINETUNE = 'finetune_image_encoder_'
FINETUNE_CONFIGS = sorted(
    glob.glob(os.path.join(CONFIG_DIR, 'proxy', FINETUNE + '*.py')))


@pytest.mark.parametrize(
    'path',
    PROXY_CONFIGS,
    ids=[os.path.relpath(p, CONFIG_DIR) for p in PROXY_CONFIGS])
def test_proxy_configs_keep_deep_prompts_a_few_percent_of_the_keys(path):
    """Each proxy's own stand-in architecture (random weights) builds, and
    its deep prompts are a few percent of every layer's keys, as in
    ViT-B/16 (8 / 205 = 3.9 %; docs/proxy.md)."""
    cfg = Config.fromfile(path)
    cfg.model.clip.pretrained = None
    model = MODELS.build(cfg.model)
    visual = model.backbone.visual
    tokens = visual.positional_embedding.shape[0]
    prompts = cfg.model.backbone.num_prompts
    assert 0.03 <= prompts / (tokens + prompts) <= 0.05
    assert len(visual.transformer.resblocks) >= 4
    assert model.backbone.prompts.shape[-1] == visual.conv1.out_channels


@pytest.mark.parametrize(
    'path',
    FINETUNE_CONFIGS,
    ids=[os.path.relpath(p, CONFIG_DIR) for p in FINETUNE_CONFIGS])
def test_finetuning_baselines_run_in_their_proxys_setting(path):
    """``finetune_image_encoder_X.py`` trains every image-tower weight, and
    on exactly the CLIP, data, pipelines, batch and schedule of
    ``mpafer_X.py`` (docs/proxy.md, "Adapting the encoder")."""
    cfg = Config.fromfile(path)
    proxy = Config.fromfile(
        path.replace(os.sep + FINETUNE, os.sep + 'mpafer_'))
    assert cfg.model.backbone.clip == proxy.model.clip
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader',
                'train_cfg', 'param_scheduler', 'randomness'):
        assert cfg[key] == proxy[key], key
    cfg.model.backbone.clip.pretrained = None
    model = MODELS.build(cfg.model)
    frozen = [n for n, p in model.named_parameters() if not p.requires_grad]
    assert frozen == []
    assert model.backbone.prompts.numel() == 0

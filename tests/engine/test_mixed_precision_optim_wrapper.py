"""bf16 mixed precision on CPU through the optim wrapper a config names."""
import pytest
import torch
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope
from mmpretrain.registry import MODELS

from mpafer_plugin.engine import MixedPrecisionOptimWrapper
from ..conftest import parameter_snapshot, quickstart_cfg, random_batch


def build(tmp_path, **wrapper):
    torch.manual_seed(0)
    cfg = quickstart_cfg(tmp_path, str(tmp_path))
    model = MODELS.build(cfg.model)
    model.head.set_prototypes(torch.randn(7, 64))
    with DefaultScope.overwrite_default_scope(cfg.default_scope):  # Runner's
        optim_wrapper = build_optim_wrapper(
            model,
            dict(
                cfg.optim_wrapper,
                type='MixedPrecisionOptimWrapper',
                **wrapper))
    return model, optim_wrapper


def test_bf16_autocast_steps_on_cpu(tmp_path):
    model, optim_wrapper = build(tmp_path, dtype='bfloat16')
    assert isinstance(optim_wrapper, MixedPrecisionOptimWrapper)
    frozen, prompts = parameter_snapshot(model)
    block_dtypes = []
    # the block's MLP: a prompted layer runs the block's submodules
    # (compat.prompted_block), not the block's own forward
    model.backbone.visual.transformer.resblocks[0].mlp.register_forward_hook(
        lambda module, args, out: block_dtypes.append(out.dtype))
    for _ in range(2):
        log_vars = model.train_step(random_batch(), optim_wrapper)
        assert all(torch.isfinite(v) for v in log_vars.values()), log_vars
    # autocast really on (the attention-layout choice also runs block 0,
    # timing each layout once, so there are more calls than steps)
    assert len(block_dtypes) >= 2
    assert set(block_dtypes) == {torch.bfloat16}
    for name, param in model.named_parameters():
        assert param.dtype == torch.float32, name
        if param.requires_grad:
            state = optim_wrapper.optimizer.state[param]  # AdamW's
            assert state['exp_avg'].dtype == torch.float32
            assert not torch.equal(param, prompts[name]), name
        else:
            assert torch.equal(param, frozen[name]), name
    # a resumed run gets the same (scaler-less) state
    state = optim_wrapper.state_dict()
    _, resumed = build(tmp_path / 'resumed', dtype='bfloat16')
    resumed.load_state_dict(state)
    assert resumed.state_dict()['state'].keys() == state['state'].keys()


def test_logits_and_losses_stay_fp32_under_autocast(tmp_path):
    model, _ = build(tmp_path)
    data = model.data_preprocessor(random_batch(), True)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        logits = model(data['inputs'], mode='tensor')
        losses = model(data['inputs'], data['data_samples'], mode='loss')
    assert logits.dtype == torch.float32
    assert {v.dtype for v in losses.values()} == {torch.float32}
    assert torch.isfinite(logits).all()


def test_fp16_needs_a_gpu(tmp_path):
    with pytest.raises(ValueError, match="only 'bfloat16'"):
        build(tmp_path, dtype='float16')

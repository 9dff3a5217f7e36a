"""A train step and an eval step of the paper's model and optimizer, on the
tiny CLIP, in every precision a config or ``tools/train.py --amp`` can ask
for, on CUDA (`pytest -m cuda`; skipped without a GPU). The same body runs
on CPU in fp32 and bf16 (fp16 compute needs a GPU)."""
import math

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope
from mmpretrain.registry import MODELS

from ..conftest import (CUDA, REPO_ROOT, TINY_CLIP_64, parameter_snapshot,
                        random_batch)

# precision -> (config, CLIP storage, the optim wrapper's dtype: None for a
# plain OptimWrapper, 'default' for --amp's; what frozen layers compute in)
PRECISIONS = {
    'fp32': ('mpafer_rafdb.py', 'fp32', None, torch.float32),
    # tools/train.py --amp --cfg-options optim_wrapper.dtype=bfloat16
    'amp-bf16': ('mpafer_rafdb.py', 'fp32', 'bfloat16', torch.bfloat16),
    # tools/train.py --amp: fp16 autocast with dynamic loss scaling
    'amp-fp16': ('mpafer_rafdb.py', 'fp32', 'default', torch.float16),
    'bf16': ('mpafer_rafdb_bf16.py', 'bf16', 'bfloat16', torch.bfloat16),
    # the fp16 recipe of mpafer_rafdb_bf16.py's comment
    'fp16': ('mpafer_rafdb_bf16.py', 'fp16', 'float16', torch.float16),
}
CASES = [('cpu', 'fp32'), ('cpu', 'bf16')] + [
    pytest.param(*CUDA.values, precision, marks=CUDA.marks)
    for precision in PRECISIONS
]


def build(device, precision, monkeypatch):
    config, storage, amp_dtype, _ = PRECISIONS[precision]
    # The wrapper and MMEngine's autocast pick the device as the Runner
    # does (mmengine.device.get_device); a CPU case on a GPU host too.
    for module in ('mpafer_plugin.engine.optimizers.'
                   'mixed_precision_optim_wrapper', 'mmengine.runner.amp'):
        monkeypatch.setattr(f'{module}.get_device', lambda: device)
    cfg = Config.fromfile(f'{REPO_ROOT}/configs/{config}')
    cfg.model.clip = dict(TINY_CLIP_64, precision=storage)
    if amp_dtype is not None:  # what --amp sets
        cfg.optim_wrapper.type = 'MixedPrecisionOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
        if amp_dtype != 'default':
            cfg.optim_wrapper.dtype = amp_dtype
    torch.manual_seed(0)
    model = MODELS.build(cfg.model).to(device)
    protos = torch.randn(model.head.prototypes.shape, device=device)
    model.head.set_prototypes(torch.nn.functional.normalize(protos, dim=-1))
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    return model, optim_wrapper


@pytest.mark.parametrize('device, precision', CASES)
def test_train_and_eval_step(device, precision, monkeypatch):
    model, optim_wrapper = build(device, precision, monkeypatch)
    compute = PRECISIONS[precision][3]
    frozen, prompts = parameter_snapshot(model)
    assert set(prompts) == {'backbone.prompts', 'head.prompt_learner.context'}
    linear_dtypes = []  # a frozen linear layer's output: what it ran in
    model.backbone.visual.transformer.resblocks[0].mlp.c_fc \
        .register_forward_hook(
            lambda module, args, out: linear_dtypes.append(out.dtype))

    # fp16 loss scaling may skip the first steps (inf gradients at scale
    # 2**16, then halved): step until the prompts moved, at most 6 times.
    model.train()
    for step in range(1, 7):
        log_vars = model.train_step(random_batch(), optim_wrapper)
        assert all(torch.isfinite(v) for v in log_vars.values()), log_vars
        if all(not torch.equal(p, prompts[n])
               for n, p in model.named_parameters() if p.requires_grad):
            break
    else:
        pytest.fail(f'{precision} on {device}: the prompts did not change in '
                    f'{step} steps')
    assert set(linear_dtypes) == {compute}  # autocast / half storage on
    for name, param in model.named_parameters():
        assert param.device.type == device, name
        if param.requires_grad:  # prompts and their optimizer state: fp32
            assert param.dtype == torch.float32, name
            assert optim_wrapper.optimizer.state[param][
                'momentum_buffer'].dtype == torch.float32
        else:  # frozen CLIP: bit-identical, no gradient buffer
            assert torch.equal(param, frozen[name]), name
            assert param.grad is None, name

    scaler = getattr(optim_wrapper, 'loss_scaler', None)
    if device == 'cuda' and PRECISIONS[precision][2] is not None:
        # AmpOptimWrapper's dynamic loss scaling is on: a power of two,
        # halved once per skipped step from 2**16
        assert scaler.is_enabled()
        scale = scaler.get_scale()
        assert scale == 2.0**round(math.log2(scale))
        assert 2.0**(16 - step + 1) <= scale <= 2.0**16, (scale, step)
    else:
        assert scaler is None or not scaler.is_enabled()

    model.eval()
    with torch.no_grad():
        outputs = model.val_step(random_batch())
    assert len(outputs) == 4
    for sample in outputs:
        score = sample.pred_score
        assert score.dtype == torch.float32 and score.device.type == device
        assert torch.isfinite(score).all()
        torch.testing.assert_close(score.sum(), score.new_tensor(1.0))
        assert 0 <= int(sample.pred_label) < 7

"""AmpOptimWrapper's state for CPU bf16 autocast."""
import torch
import torch.nn as nn
from mmengine.optim import AmpOptimWrapper, OptimWrapper

from mpafer_plugin.compat import setup_cpu_bf16_autocast


def test_amp_wrapper_runs_bf16_autocast_and_steps_on_cpu():
    model = nn.Linear(4, 2)
    wrapper = AmpOptimWrapper.__new__(AmpOptimWrapper)
    OptimWrapper.__init__(
        wrapper, optimizer=torch.optim.SGD(model.parameters(), lr=0.1))
    setup_cpu_bf16_autocast(wrapper)
    before = model.weight.detach().clone()
    with wrapper.optim_context(model):
        out = model(torch.rand(3, 4))
    assert out.dtype == torch.bfloat16
    wrapper.update_params(out.float().sum())
    assert not torch.equal(model.weight, before)
    assert 'loss_scaler' in wrapper.state_dict()

"""What leaves the training run: the prompts export (trainable weights and
the config, without CLIP), where its CLIP file is recorded and found, and
the deployable module that ONNX / TorchScript exports trace."""
from .deploy_model import DeployableFER
from .prompts_export import (config_from_checkpoint, export_prompts,
                             is_prompts_export, prompts_export,
                             trainable_state_dict)

__all__ = [
    'DeployableFER', 'config_from_checkpoint', 'export_prompts',
    'is_prompts_export', 'prompts_export', 'trainable_state_dict'
]

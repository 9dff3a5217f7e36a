from .prompts_export import (config_from_checkpoint, export_prompts,
                             is_prompts_export, trainable_state_dict)

__all__ = ['config_from_checkpoint', 'export_prompts', 'is_prompts_export',
           'trainable_state_dict']

from .clip_loader import load_clip
from .clip_text_encoder import CLIPTextEncoder
from .hard_prompts import (DEFAULT_DESCRIPTIONS, TEMPLATES, build_hard_prompts,
                           load_descriptions, tokenize)
from .state_contract import (CheckpointMismatchError, frozen_parameter_names,
                             holds_frozen_weights, state_dict_mismatches,
                             tensor_digest, trainable_parameter_names)

__all__ = [
    'load_clip', 'CLIPTextEncoder', 'DEFAULT_DESCRIPTIONS', 'TEMPLATES',
    'build_hard_prompts', 'load_descriptions', 'tokenize',
    'CheckpointMismatchError', 'frozen_parameter_names',
    'holds_frozen_weights', 'state_dict_mismatches', 'tensor_digest',
    'trainable_parameter_names'
]

from .clip_loader import load_clip
from .clip_text_encoder import CLIPTextEncoder
from .hard_prompts import (DEFAULT_DESCRIPTIONS, TEMPLATES, build_hard_prompts,
                           load_descriptions, tokenize)

__all__ = [
    'load_clip', 'CLIPTextEncoder', 'DEFAULT_DESCRIPTIONS', 'TEMPLATES',
    'build_hard_prompts', 'load_descriptions', 'tokenize'
]

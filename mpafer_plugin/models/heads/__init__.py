from .clip_text_head import CLIPTextHead
from .coop_prompt_learner import CoOpPromptLearner
from .global_local_classifier import GlobalLocalClassifier
from .hard_prompt_bank import HardPromptBank
from .mpa_head import MPAHead
from .runtime_classes import set_runtime_classes
from .valence_arousal_head import MPAVAHead, ValenceArousalHead
from .zero_shot_head import ZeroShotCLIPHead

__all__ = [
    'CLIPTextHead', 'CoOpPromptLearner', 'GlobalLocalClassifier',
    'HardPromptBank', 'MPAHead', 'MPAVAHead', 'ValenceArousalHead',
    'ZeroShotCLIPHead', 'set_runtime_classes'
]

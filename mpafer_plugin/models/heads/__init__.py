from .mpa_head import MPAHead
from .zero_shot_head import ZeroShotCLIPHead

__all__ = ['MPAHead', 'ZeroShotCLIPHead']

from .mpa_head import MPAHead

__all__ = ['MPAHead']

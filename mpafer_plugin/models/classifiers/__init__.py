from .mpafer import MPAFER

__all__ = ['MPAFER']

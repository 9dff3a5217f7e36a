from .prototype_hook import PrototypeHook

__all__ = ['PrototypeHook']

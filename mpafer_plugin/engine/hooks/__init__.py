from .epoch_seed_hook import EpochSeedHook
from .prototype_hook import PrototypeHook

__all__ = ['EpochSeedHook', 'PrototypeHook']

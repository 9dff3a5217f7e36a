from .class_names_check_hook import ClassNamesCheckHook
from .epoch_seed_hook import EpochSeedHook
from .epoch_timing_hook import EpochTimingHook
from .prototype_hook import PrototypeHook

__all__ = [
    'ClassNamesCheckHook', 'EpochSeedHook', 'EpochTimingHook', 'PrototypeHook'
]

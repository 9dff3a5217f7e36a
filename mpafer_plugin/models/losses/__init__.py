from .prompt_alignment_loss import PromptAlignmentLoss
from .prototype_alignment_loss import PrototypeAlignmentLoss
from .soft_hard_contrastive import soft_hard_contrastive
from .token_alignment_loss import TokenAlignmentLoss

__all__ = [
    'TokenAlignmentLoss', 'PromptAlignmentLoss', 'PrototypeAlignmentLoss',
    'soft_hard_contrastive'
]

"""The MPA-FER classifier: one frozen CLIP shared by backbone and head."""
import math
from typing import Dict, List, Optional, Tuple

import torch
from mmengine.logging import MMLogger
from mmpretrain.models.classifiers import ImageClassifier
from mmpretrain.registry import MODELS

from ..utils.clip_loader import load_clip


@MODELS.register_module()
class MPAFER(ImageClassifier):
    """An :class:`ImageClassifier` that loads CLIP once from ``clip`` and
    hands the built model to the backbone (which keeps the image tower) and
    the head (which keeps the text tower), so no weight is loaded or stored
    twice.

    A loss term that is NaN or infinite stops training *before* the update,
    with a :class:`FloatingPointError` naming the term, so the parameters
    and every checkpoint already written stay good.

    A checkpoint that holds none of the frozen CLIP weights (a prompts-only
    export, see :mod:`mpafer_plugin.apis.prompts_export`) loads too: the
    frozen weights are kept as the CLIP spec loaded them.

    Loss: ``L = CE + β (L_ta + L_pa) + γ L_v`` (docs/method.md §5), the terms
    being computed by the head.

    Args:
        clip (dict): CLIP spec ``dict(model_name, pretrained, cache_dir)``.
        backbone (dict): e.g. ``dict(type='PromptedCLIPViT', ...)`` without
            a CLIP spec.
        head (dict): e.g. ``dict(type='MPAHead', ...)`` without a CLIP spec.
        Others as :class:`ImageClassifier`.
    """

    def __init__(self,
                 clip: dict,
                 backbone: dict,
                 head: dict,
                 neck: Optional[dict] = None,
                 train_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        clip_model = load_clip(**clip)
        super().__init__(
            backbone=dict(backbone, clip_model=clip_model),
            neck=neck,
            head=dict(head, clip_model=clip_model),
            train_cfg=train_cfg,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)

    def parse_losses(
        self, losses: Dict[str, torch.Tensor]
    ) -> Tuple[torch.Tensor, Dict[str, torch.Tensor]]:
        loss, log_vars = super().parse_losses(losses)
        if not torch.isfinite(loss):
            bad = [name for name, value in log_vars.items()
                   if name != 'loss' and not torch.isfinite(value)]
            values = ', '.join(f'{name}={log_vars[name].item()}'
                               for name in bad)
            causes = self.non_finite_causes()
            advice = ('Cause: ' + '; '.join(causes) if causes else
                      'No NaN/inf in the prototypes, the frozen weights or '
                      'the settings: resume from the last checkpoint with a '
                      'lower learning rate, or fp32/bf16 instead of fp16.')
            raise FloatingPointError(
                f'MPA-FER: non-finite loss term(s) {values}. Training stopped '
                f'before this update: the parameters and the checkpoints in '
                f'the work dir are intact. {advice}')
        return loss, log_vars

    def non_finite_causes(self) -> List[str]:
        """What, other than the learning rate, makes a loss NaN or
        infinite, where it can be seen: NaN/inf class prototypes, frozen
        weights or trainable tensors, and a temperature or logit scale that
        is not a positive finite number."""
        causes = []
        prototypes = getattr(self.head, 'prototypes', None)
        if prototypes is not None and not torch.isfinite(prototypes).all():
            classes = (~torch.isfinite(prototypes)).any(-1).nonzero()
            causes.append(
                f'the class prototypes of L_v hold NaN/inf (classes '
                f'{classes.flatten().tolist()}): they came from a prototype '
                f'cache or checkpoint; delete the cache file (PrototypeHook '
                f'logs its path) and train again to recompute them')
        for name, module in self.named_modules():
            value = getattr(module, 'temperature', None)
            if isinstance(value, (int, float)) and not (
                    value > 0 and math.isfinite(value)):
                causes.append(f'{name}.temperature={value} (must be > 0)')
        scale = getattr(self.head, 'logit_scale', None)
        if isinstance(scale, (int, float)) and not (
                scale > 0 and math.isfinite(scale)):
            causes.append(f'head.logit_scale={scale} (must be > 0)')
        bad = {True: [], False: []}  # requires_grad -> names
        for name, param in self.named_parameters():
            if not torch.isfinite(param).all():
                bad[param.requires_grad].append(name)
        if bad[False]:
            causes.append(f'frozen CLIP weights hold NaN/inf '
                          f'({bad[False][:4]}): the CLIP weight file or the '
                          f'checkpoint is damaged')
        if bad[True]:
            causes.append(f'trainable tensors already hold NaN/inf '
                          f'({bad[True]}): an earlier update diverged; '
                          f'resume from an earlier checkpoint with a lower '
                          f'learning rate')
        return causes

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        self._fill_frozen_weights(state_dict, prefix)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def _fill_frozen_weights(self, state_dict: dict, prefix: str) -> None:
        """If ``state_dict`` has no frozen parameter at all, add every
        missing non-trainable entry from the model as it is (CLIP as the
        spec loaded it); a checkpoint with some frozen weights is left
        alone so that a truncated one is still reported."""
        frozen = [name for name, param in self.named_parameters()
                  if not param.requires_grad]
        if not frozen:
            return
        if any(prefix + name in state_dict for name in frozen):
            MMLogger.get_current_instance().info(
                'Frozen CLIP weights loaded from the checkpoint (they replace '
                'those the CLIP spec built).')
            return
        trainable = {name for name, param in self.named_parameters()
                     if param.requires_grad}
        filled = 0
        for name, value in self.state_dict().items():
            if name not in trainable and prefix + name not in state_dict:
                state_dict[prefix + name] = value
                filled += 1
        MMLogger.get_current_instance().info(
            f'Checkpoint has no frozen CLIP weights (a prompts-only '
            f'export): kept {filled} frozen tensors as loaded from the CLIP '
            f'spec.')

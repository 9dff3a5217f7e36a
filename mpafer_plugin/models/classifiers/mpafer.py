"""The MPA-FER classifier: one frozen CLIP shared by backbone and head."""
import math
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import torch
from mmengine.dist import all_reduce, is_main_process
from mmengine.logging import MMLogger
from mmpretrain.models.classifiers import ImageClassifier
from mmpretrain.registry import MODELS

from ...compat.inline_prompt_learner import upgrade_model_state_dict
from ...utils.progress import progress_bar
from ..utils.clip_loader import load_clip
from ..utils.state_contract import (CheckpointMismatchError,
                                    frozen_parameter_names,
                                    holds_frozen_weights, mismatch_message,
                                    state_dict_mismatches, tensor_digest,
                                    trainable_parameter_names)


def _positive_or_not_a_number(value) -> bool:
    """False for an int or float that is not a positive finite number."""
    return not isinstance(value,
                          (int, float)) or (value > 0 and math.isfinite(value))


@MODELS.register_module()
class MPAFER(ImageClassifier):
    """An :class:`ImageClassifier` that loads CLIP once from ``clip`` and
    hands the built model to the backbone (which keeps the image tower) and
    the head (which keeps the text tower), so no weight is loaded or stored
    twice.

    A loss term that is NaN or infinite stops training *before* the update,
    with a :class:`FloatingPointError` naming the term, so the parameters
    and every checkpoint already written stay good.

    Loading a state dict is strict about what training changes: a missing
    trainable tensor, or any tensor of another shape, raises
    :class:`CheckpointMismatchError` naming the tensors and both shapes
    (:mod:`..utils.state_contract`), whatever ``strict`` the caller passed.
    A checkpoint that holds none of the frozen CLIP weights (a lean training
    checkpoint, a prompts-only export) loads too: the frozen weights are
    kept as the CLIP spec loaded them (``clip_spec``; the caller checks
    them against the checkpoint's :meth:`frozen_fingerprint`). A state dict
    of the inline-context head (``head.context``) loads as
    ``head.prompt_learner.context``
    (:mod:`mpafer_plugin.compat.inline_prompt_learner`).

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
        if not backbone.get('freeze_clip', True):
            raise ValueError(
                'model.backbone.freeze_clip=False: MPAFER learns prompts on '
                'a frozen CLIP whose text tower its head shares; to '
                'fine-tune the image encoder, use mmpretrain\'s '
                'ImageClassifier (configs/proxy/'
                'finetune_image_encoder_proxy.py).')
        self.clip_spec = dict(clip)
        clip_model = load_clip(**clip)
        super().__init__(
            backbone=dict(backbone, clip_model=clip_model),
            neck=neck,
            head=dict(head, clip_model=clip_model),
            train_cfg=train_cfg,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        self._clip_model = [clip_model]  # a list: not a registered child

    @property
    def clip_model(self) -> torch.nn.Module:
        """The open_clip model shared by the backbone and the head."""
        return self._clip_model[0]

    def frozen_fingerprint(self) -> str:
        """:func:`tensor_digest` of the frozen (CLIP) parameters."""
        params = dict(self.named_parameters())
        return tensor_digest(
            {name: params[name]
             for name in frozen_parameter_names(self)})

    def parse_losses(
        self, losses: Dict[str, torch.Tensor]
    ) -> Tuple[torch.Tensor, Dict[str, torch.Tensor]]:
        loss, log_vars = super().parse_losses(losses)
        if not torch.isfinite(loss):
            bad = [
                name for name, value in log_vars.items()
                if name != 'loss' and not torch.isfinite(value)
            ]
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

    @torch.no_grad()
    def compute_prototypes(
            self,
            dataloader: Iterable,
            classes: Optional[Sequence[str]] = None) -> torch.Tensor:
        """Class prototypes of ``L_v``: per-class means of the frozen,
        un-prompted CLIP global feature (prototype-guided visual alignment),

        .. math:: p_c = \\frac{1}{|X_c|} \\sum_{x \\in X_c} f_g(x),
            \\quad f_g(x) \\in \\mathbb{R}^D,

        over the labelled images ``X_c`` of class ``c`` that ``dataloader``
        yields (a pipeline without augmentation). Under distributed
        training each rank's loader holds its own shard; the sums and counts
        are all-reduced, so every rank returns the same prototypes.

        Args:
            dataloader: yields batches ``dict(inputs, data_samples)`` for
                :attr:`data_preprocessor` (``pseudo_collate``).
            classes (sequence of str, optional): class names, ``C`` of
                them; default the dataset's ``metainfo['classes']``.

        Returns:
            torch.Tensor: ``(C, D)`` float32 prototypes, on the CPU.

        Raises:
            ValueError: a class has no image (its prototype is undefined).
            FloatingPointError: a prototype is not finite (the frozen CLIP
                gives NaN/inf features).
        """
        if classes is None:
            classes = dataloader.dataset.metainfo['classes']
        device = next(self.parameters()).device
        shape = (len(classes), self.backbone.embed_dim)
        sums = torch.zeros(shape, device=device, dtype=torch.float64)
        counts = torch.zeros(len(classes), device=device, dtype=torch.float64)
        progress = progress_bar(
            len(dataloader), 'Prototypes (batches)',
            'current') if is_main_process() else None
        was_training = self.training
        self.eval()
        for batch in dataloader:
            data = self.data_preprocessor(batch, False)
            _, feats = self.backbone(data['inputs'], use_prompts=False)
            labels = torch.cat([s.gt_label for s in data['data_samples']])
            labels = labels.to(device)
            sums.index_add_(0, labels, feats.double())
            counts.index_add_(0, labels, torch.ones_like(sums[labels, 0]))
            if progress is not None:
                progress.update()
        self.train(was_training)
        all_reduce(sums, op='sum')
        all_reduce(counts, op='sum')
        empty = [classes[i] for i in torch.nonzero(counts == 0).flatten()]
        if empty:
            raise ValueError(f'No training image of class(es) {empty}; '
                             f'their prototypes are undefined.')
        prototypes = (sums / counts.unsqueeze(1)).float().cpu()
        bad = [
            classes[i]
            for i in torch.nonzero(~prototypes.isfinite().all(1)).flatten()
        ]
        if bad:
            raise FloatingPointError(
                f'The frozen CLIP gives non-finite features for the images '
                f'of class(es) {bad}: check the CLIP weights and the images '
                f'(not the learning rate: nothing is trained here).')
        return prototypes

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
            if not _positive_or_not_a_number(value):
                causes.append(f'{name}.temperature={value} (must be > 0)')
        scale = getattr(self.head, 'logit_scale', None)
        if not _positive_or_not_a_number(scale):
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
        # an older head's names first (this check runs before the head's
        # own _load_from_state_dict)
        upgrade_model_state_dict(self, state_dict, prefix)
        problems = state_dict_mismatches(self, state_dict, prefix)
        if problems:
            raise CheckpointMismatchError(
                mismatch_message('(state dict)', problems))
        self._fill_frozen_weights(state_dict, prefix)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def _fill_frozen_weights(self, state_dict: dict, prefix: str) -> None:
        """If ``state_dict`` has no frozen parameter at all, add every
        missing non-trainable entry from the model as it is (CLIP as the
        spec loaded it); a checkpoint with some frozen weights is left
        alone so that a truncated one is still reported."""
        if not frozen_parameter_names(self):
            return
        if holds_frozen_weights(self, state_dict, prefix):
            MMLogger.get_current_instance().info(
                'Frozen CLIP weights loaded from the checkpoint (they replace '
                'those the CLIP spec built).')
            return
        trainable = set(trainable_parameter_names(self))
        filled = 0
        for name, value in self.state_dict().items():
            if name not in trainable and prefix + name not in state_dict:
                state_dict[prefix + name] = value
                filled += 1
        MMLogger.get_current_instance().info(
            f'Checkpoint has no frozen CLIP weights (lean checkpoint or '
            f'prompts-only export): kept {filled} frozen tensors as loaded '
            f'from the CLIP spec {self.clip_spec}.')

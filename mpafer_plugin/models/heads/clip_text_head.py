"""A head that matches CLIP image features with one text feature per
class through the global-local classifier."""
from typing import Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmpretrain.models.heads import ClsHead

from ...utils.value_checks import check_class_names, check_number
from ..utils.clip_loader import load_clip
from ..utils.clip_text_encoder import CLIPTextEncoder
from .global_local_classifier import GlobalLocalClassifier


def _classifier_setting(name: str) -> property:
    """A head attribute that reads and sets ``self.classifier.<name>`` (so
    the classifier's check applies to it)."""
    return property(lambda self: getattr(self.classifier, name),
                    lambda self, value: setattr(self.classifier, name, value))


class CLIPTextHead(ClsHead):
    """The part :class:`MPAHead` and :class:`ZeroShotCLIPHead` share: CLIP's
    frozen text tower (kept in eval mode), the class names, and a
    :class:`GlobalLocalClassifier` whose logits
    ``s · (S_g + λ S_l)`` compare the backbone's ``(patch_feats,
    global_feat)`` with :meth:`text_features`, which a subclass defines.

    Args:
        classnames (Sequence[str]): class names, in label order.
        clip (dict, optional): CLIP spec, when the head builds its own.
        clip_model (nn.Module, optional): the open_clip model shared with
            the backbone (given by :class:`MPAFER`).
        local_topk (int): ``k``. Defaults to 16.
        local_weight (float): ``λ``. Defaults to 1.0.
        logit_scale (float, optional): ``s``; ``None`` takes CLIP's learned
            scale. Defaults to 100.
        attention_layout (str): memory layout of the text tower's frozen
            blocks (:class:`CLIPTextEncoder`): ``'auto'`` (a fixed rule),
            ``'timed'`` (opt-in), ``'batch_first'`` or ``'sequence_first'``.
            Defaults to ``'auto'``.
        **kwargs: as ``ClsHead`` (``loss``, ``topk``, ``init_cfg``).
    """

    def __init__(self,
                 classnames: Sequence[str],
                 clip: Optional[dict] = None,
                 clip_model: Optional[nn.Module] = None,
                 local_topk: int = 16,
                 local_weight: float = 1.0,
                 logit_scale: Optional[float] = 100.0,
                 attention_layout: str = 'auto',
                 **kwargs):
        super().__init__(**kwargs)
        if (clip is None) == (clip_model is None):
            raise ValueError('Give exactly one of `clip` (a CLIP spec dict) '
                             'and `clip_model` (a built open_clip model).')
        if clip_model is None:
            clip_model = load_clip(**clip)
        self.text_encoder = CLIPTextEncoder(clip_model, attention_layout)
        self.classnames = check_class_names(classnames,
                                            'model.head.classnames')
        topk = self.topk if isinstance(self.topk, (tuple, list)) else (
            self.topk, )  # ClsHead's accuracy top-k
        for k in topk:
            check_number(
                k, 'model.head.topk', 1, len(self.classnames), integer=True)
        self.num_classes = len(self.classnames)
        self.classifier = GlobalLocalClassifier(
            local_topk, local_weight,
            clip_model.logit_scale.exp().item()
            if logit_scale is None else logit_scale)

    def text_features(self) -> torch.Tensor:
        """``(C, D)`` the text feature of each class."""
        raise NotImplementedError

    def train(self, mode: bool = True) -> 'CLIPTextHead':
        """Set the train mode; the frozen text tower stays in eval."""
        super().train(mode)
        self.text_encoder.eval()
        return self

    # -- the classifier's settings and methods, as tools use them ----------
    local_topk = _classifier_setting('local_topk')
    local_weight = _classifier_setting('local_weight')
    logit_scale = _classifier_setting('logit_scale')

    global_text_similarity = staticmethod(
        GlobalLocalClassifier.global_text_similarity)
    patch_text_similarity = staticmethod(
        GlobalLocalClassifier.patch_text_similarity)

    def top_patches(
            self,
            similarity: torch.Tensor,
            k: Optional[int] = None) -> Tuple[torch.Tensor, torch.Tensor]:
        """See :meth:`GlobalLocalClassifier.top_patches`."""
        return self.classifier.top_patches(similarity, k)

    def global_local_logits(self, patch_feats: torch.Tensor,
                            global_feat: torch.Tensor,
                            text_feats: torch.Tensor) -> torch.Tensor:
        """``(B, N, D)``, ``(B, D)``, ``(C, D)`` → ``(B, C)`` logits."""
        return self.classifier(patch_feats, global_feat, text_feats)

    def forward(self, feats: Tuple[torch.Tensor, ...]) -> torch.Tensor:
        """``(patch_feats, global_feat)`` from the backbone → logits."""
        patch_feats, global_feat = feats[-2:]
        return self.global_local_logits(patch_feats, global_feat,
                                        self.text_features())

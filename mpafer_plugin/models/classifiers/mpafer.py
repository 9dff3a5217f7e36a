"""The MPA-FER classifier: one frozen CLIP shared by backbone and head."""
from typing import Optional

from mmpretrain.models.classifiers import ImageClassifier
from mmpretrain.registry import MODELS

from ..utils.clip_loader import load_clip


@MODELS.register_module()
class MPAFER(ImageClassifier):
    """An :class:`ImageClassifier` that loads CLIP once from ``clip`` and
    hands the built model to the backbone (which keeps the image tower) and
    the head (which keeps the text tower), so no weight is loaded or stored
    twice.

    Loss: ``L = CE + β (L_ta + L_pa) + γ L_v`` (METHOD.md §5), the terms
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

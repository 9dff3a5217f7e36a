"""The hard prompts of every class, tokenised once and encoded once."""
from typing import Any, Callable, Dict, Optional, Sequence

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule

from ..utils.clip_text_encoder import CLIPTextEncoder
from ..utils.hard_prompts import (DEFAULT_DESCRIPTIONS, build_hard_prompts,
                                  load_descriptions)


class HardPromptBank(BaseModule):
    """Hard prompts (docs/method.md §2): fixed sentences from a template,
    the class name and, for variant 3, each of the class's descriptions;
    their CLIP token ids; and, computed once per device and text-tower
    weights, their encoded features ``θ(h)`` and pooled token embeddings.

    The text tower is the owner's (a head's ``text_encoder``): it is passed
    to each call, not held, so that its weights are stored once.

    Args:
        classnames (Sequence[str]): class names, in label order.
        text_encoder (CLIPTextEncoder): tokenises the prompts.
        variant (int): 1, 2 or 3 (see ``hard_prompts``). Defaults to 3.
        descriptions (str, optional): descriptions file (variant 3);
            defaults to the one shipped in ``mpafer_plugin/resources``.
        granularities (Sequence[str], optional): description levels used;
            ``None`` = all.

    Attributes:
        texts (list[str]): the ``P`` sentences (``len(bank) == P``).
        token_ids: ``(P, L)`` token ids (a non-persistent buffer).
        labels: ``(P,)`` class of each prompt (a non-persistent buffer).
    """

    def __init__(self,
                 classnames: Sequence[str],
                 text_encoder: CLIPTextEncoder,
                 variant: int = 3,
                 descriptions: Optional[str] = None,
                 granularities: Optional[Sequence[str]] = None):
        super().__init__()
        described, source = None, 'model.head.classnames'
        if variant == 3:
            source = descriptions or DEFAULT_DESCRIPTIONS
            described = load_descriptions(source, classnames, granularities)
        self.texts, labels = build_hard_prompts(classnames, variant, described)
        self.num_classes = len(classnames)
        self.register_buffer(
            'token_ids',
            text_encoder.tokenize(self.texts, source),
            persistent=False)
        self.register_buffer('labels', torch.tensor(labels), persistent=False)
        self._cache: Dict[str, Any] = {}

    def __len__(self) -> int:
        return len(self.texts)

    def _load_from_state_dict(self, *args, **kwargs) -> None:
        super()._load_from_state_dict(*args, **kwargs)
        self._cache.clear()  # the text tower's weights may have changed

    def constants(self,
                  text_encoder: CLIPTextEncoder,
                  pool: Optional[Callable] = None) -> Dict[str, Any]:
        """The cached encodings: ``'features'`` ``(P, D)`` fp32 ``θ(h)``,
        and with ``pool`` (``(P, L, W)`` embeddings, ``(P, L)`` content
        mask → ``(P, W)``) ``'pooled'``, the pooled token embeddings."""
        cache = self._cache
        if cache.get('device') == self.token_ids.device and (
                pool is None or 'pooled' in cache):
            return cache
        cache = dict(device=self.token_ids.device)
        with torch.no_grad():
            ids = self.token_ids
            embeddings = text_encoder.embed(ids)
            cache['features'] = text_encoder(embeddings, ids).float()
            if pool is not None:
                cache['pooled'] = pool(embeddings.float(),
                                       CLIPTextEncoder.content_mask(ids))
        self._cache = cache
        return cache

    def class_features(self, text_encoder: CLIPTextEncoder) -> torch.Tensor:
        """``(C, D)`` per-class mean of the normalised prompt features,
        ``t_c = (1 / P_c) Σ_p θ(h_p) / ‖θ(h_p)‖``, cached likewise."""
        const = self.constants(text_encoder)
        if 'class_features' not in const:
            feats = F.normalize(const['features'], dim=-1)
            sums = feats.new_zeros(self.num_classes, feats.shape[-1])
            sums.index_add_(0, self.labels, feats)
            counts = torch.bincount(self.labels, minlength=self.num_classes)
            const['class_features'] = sums / counts.unsqueeze(1).to(sums)
        return const['class_features']

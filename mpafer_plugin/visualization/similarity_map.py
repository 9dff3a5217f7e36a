"""The patch-text similarity map of one image, as the classifier sees it.

For the image's patches ``z^l_i`` and a class text ``θ(t_c)`` the map is
``cos(z^l_i, θ(t_c))`` on the patch grid, computed by
:meth:`MPAHead.patch_text_similarity` and :meth:`MPAHead.top_patches`, the
very methods the logits use (docs/method.md §4), so the ``k`` patches it marks
are those behind ``S_l``.
"""
from dataclasses import dataclass
from typing import Callable, Optional, Union

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.dataset import pseudo_collate

from ..models.heads import MPAHead


@dataclass
class SimilarityMap:
    """One image's similarity map for one class.

    Attributes:
        image: ``(H, W, 3)`` uint8 RGB, the image the model was given
            (after the test pipeline's resizing).
        similarity: ``(h, w)`` patch-text cosine similarity on the patch
            grid.
        heatmap: ``(H, W)`` ``similarity`` upsampled bilinearly to the
            image.
        top_patches: ``(k,)`` indices (row-major on the grid) of the ``k``
            most similar patches, most similar first.
        class_index, class_name: the class the map is for.
        predicted_index: the model's prediction.
        probability: softmax probability of the class.
        global_similarity: ``S_g`` of the class.
        local_similarity: ``S_l`` of the class (top-``local_topk`` mean,
            as the classifier computes it).
        logit: the class's logit, ``s · (S_g + λ S_l)``.
    """
    image: np.ndarray
    similarity: np.ndarray
    heatmap: np.ndarray
    top_patches: np.ndarray
    class_index: int
    class_name: str
    predicted_index: int
    probability: float
    global_similarity: float
    local_similarity: float
    logit: float


@torch.no_grad()
def compute_similarity_map(model: torch.nn.Module,
                           pipeline: Callable[[dict], dict],
                           image: Union[str, np.ndarray],
                           class_index: Optional[int] = None,
                           topk: Optional[int] = None) -> SimilarityMap:
    """Run ``model`` on one image and return its similarity map.

    Args:
        model: an MPA-FER classifier (backbone returning ``(patch_feats,
            global_feat)``, head an :class:`MPAHead`), in eval mode.
        pipeline: the test pipeline (e.g. ``Compose(cfg.test_pipeline)``),
            which loads ``img_path`` and packs the inputs; for an array,
            the pipeline without its loader (``FERInferencer.pipeline``).
        image: the image file, or a BGR face crop (e.g. from
            ``FERInferencer.crop_faces``).
        class_index: the class to map; ``None`` = the predicted class.
        topk: how many patches to mark; ``None`` = the head's
            ``local_topk``.
    """
    head = model.head
    if not isinstance(head, MPAHead):
        raise TypeError(f'The model head is {type(head).__name__}; a '
                        f'similarity map needs an MPAHead.')
    data = pipeline(
        dict(img_path=image) if isinstance(image, str) else dict(
            img=image, img_shape=image.shape[:2], ori_shape=image.shape[:2]))
    if data is None:
        raise FileNotFoundError(f'Cannot load image {image}.')
    batch = model.data_preprocessor(pseudo_collate([data]), False)
    patch_feats, global_feat = model.extract_feat(batch['inputs'])[-2:]
    text = head.text_features()
    logits = head.global_local_logits(patch_feats, global_feat, text)[0]
    predicted = int(logits.argmax())
    index = predicted if class_index is None else class_index
    if not 0 <= index < head.num_classes:
        raise ValueError(f'class index {index} out of range for '
                         f'{head.num_classes} classes.')
    similarity = head.patch_text_similarity(patch_feats, text)  # (1, C, N)
    local = head.top_patches(similarity)[0].mean(dim=-1)[0, index]
    marked = head.top_patches(similarity, topk)[1][0, index]

    image = data['inputs'].permute(1, 2, 0).numpy()
    if getattr(model.data_preprocessor, 'to_rgb', False):
        image = image[..., ::-1]  # the loader gives BGR
    grid_h, grid_w = model.backbone.visual.grid_size
    grid = similarity[0, index].reshape(1, 1, grid_h, grid_w)
    heatmap = F.interpolate(
        grid, size=image.shape[:2], mode='bilinear', align_corners=False)
    return SimilarityMap(
        image=np.ascontiguousarray(image).astype(np.uint8),
        similarity=grid[0, 0].cpu().numpy(),
        heatmap=heatmap[0, 0].cpu().numpy(),
        top_patches=marked.cpu().numpy(),
        class_index=index,
        class_name=head.classnames[index],
        predicted_index=predicted,
        probability=float(logits.softmax(dim=-1)[index]),
        global_similarity=float(
            head.global_text_similarity(global_feat, text)[0, index]),
        local_similarity=float(local),
        logit=float(logits[index]))

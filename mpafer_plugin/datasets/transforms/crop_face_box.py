"""Crop an image to the face box its dataset annotated."""
from mmcv.transforms import BaseTransform
from mmpretrain.registry import TRANSFORMS


@TRANSFORMS.register_module()
class CropFaceBox(BaseTransform):
    """Crop ``results['img']`` to ``results['face_bbox']``.

    The box is ``(x1, y1, x2, y2)`` in pixels, ``x2``/``y2`` exclusive (as
    :class:`AffectNet` writes it with ``crop_face=True``), clipped to the
    image. Without a ``face_bbox`` key the results pass through unchanged.
    Place it right after the image is loaded.

    Required keys: ``img``; optional ``face_bbox``.
    Modified keys: ``img``, ``img_shape``.
    """

    def transform(self, results: dict) -> dict:
        bbox = results.get('face_bbox')
        if bbox is None:
            return results
        img = results['img']
        height, width = img.shape[:2]
        x1, y1, x2, y2 = (int(round(v)) for v in bbox)
        x1, x2 = max(x1, 0), min(x2, width)
        y1, y2 = max(y1, 0), min(y2, height)
        if x2 <= x1 or y2 <= y1:
            raise ValueError(
                f'Face box {tuple(bbox)} lies outside the {width}x{height} '
                f'image {results.get("img_path", "")!s}.')
        results['img'] = img[y1:y2, x1:x2]
        results['img_shape'] = results['img'].shape[:2]
        return results

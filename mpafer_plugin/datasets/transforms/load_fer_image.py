"""Load a FER image from a decoded array or a file, as 3 channels."""
import numpy as np
from mmcv.transforms import LoadImageFromFile
from mmpretrain.registry import TRANSFORMS


@TRANSFORMS.register_module()
class LoadFERImage(LoadImageFromFile):
    """Like ``LoadImageFromFile``, but pass through an already decoded
    ``results['img']`` (the csv layout of :class:`FERPlus` decodes its
    pixels into the data info), and turn gray images into 3 channels.

    Use it as the first transform of every FERPlus pipeline: a plain
    ``LoadImageFromFile`` only works with the folder layout.

    A file that cannot be decoded (empty, truncated, not an image) raises an
    ``OSError`` that names it, in training as in testing; a missing file
    raises ``FileNotFoundError`` with its path. Nothing is skipped silently
    (``tools/misc/check_dataset.py`` lists every such file before a run).

    Required keys: ``img`` or ``img_path``.
    Modified keys: ``img``, ``img_shape``, ``ori_shape``.
    Args: those of ``LoadImageFromFile`` (used when loading a file; with a
    decoded array only ``to_float32`` applies).
    """

    def transform(self, results: dict):
        if results.get('img') is None:
            results = self._load_file(results)
            if results is None:  # ignore_empty and the file is missing
                return None
        elif self.to_float32:
            results['img'] = results['img'].astype(np.float32)
        img = results['img']
        if img.ndim == 2:
            img = np.repeat(img[..., None], 3, axis=2)
        results['img'] = img
        results['img_shape'] = results['ori_shape'] = img.shape[:2]
        return results

    def _load_file(self, results: dict):
        """``LoadImageFromFile``, with decoding failures (an anonymous
        ``cv2.error``, ``AssertionError`` or PIL ``OSError``) re-raised as an
        ``OSError`` naming the file."""
        try:
            return super().transform(results)
        except FileNotFoundError:
            raise
        except Exception as err:  # noqa: BLE001  every decoder's own error
            raise OSError(
                f'Cannot decode image {results["img_path"]}: empty, '
                f'truncated or not an image ({type(err).__name__}: '
                f'{str(err).strip()}). tools/misc/check_dataset.py CONFIG '
                f'lists every such file.') from err

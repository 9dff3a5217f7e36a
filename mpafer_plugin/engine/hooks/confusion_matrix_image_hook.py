"""The confusion matrix of each evaluation, as an image for the visualizer
backends (``vis_backends``: local PNG files, TensorBoard, Weights & Biases)."""
from typing import Dict, Optional

import numpy as np
import torch
from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmpretrain.evaluation import ConfusionMatrix
from mmpretrain.registry import HOOKS

from ...compat import built_train_loop_epoch


def confusion_matrix_image(matrix, classes=None) -> np.ndarray:
    """``(H, W, 3)`` uint8 RGB drawing of ``M[true, predicted]`` with counts
    (drawn by :meth:`mmpretrain.evaluation.ConfusionMatrix.plot`)."""
    import matplotlib.pyplot as plt
    figure = ConfusionMatrix.plot(
        torch.as_tensor(matrix),
        include_values=True,
        classes=classes,
        show=False)
    figure.set_size_inches(6, 6)
    figure.tight_layout()
    figure.canvas.draw()
    image = np.asarray(figure.canvas.buffer_rgba())[..., :3].copy()
    plt.close(figure)
    return image


@HOOKS.register_module()
class ConfusionMatrixImageHook(Hook):
    """After each validation and test, send the confusion matrix computed by
    :class:`~mpafer_plugin.evaluation.PerClassAccuracy` to the runner's
    visualizer as image ``<val|test>_confusion_matrix`` at step ``epoch``
    (0 in a run that does not train: ``tools/test.py`` never builds the
    training data, which need not be on disk).

    With ``LocalVisBackend`` it lands in
    ``<work_dir>/<time>/vis_data/vis_image/``; with ``TensorboardVisBackend``
    or ``WandbVisBackend`` in their image panels.

    Args:
        metric_key (str): the metric holding the matrix (a list of lists).
    """
    priority = 'LOW'

    def __init__(self, metric_key: str = 'per_class_acc/confusion_matrix'):
        self.metric_key = metric_key

    def _send(self, runner, mode: str, metrics: Optional[Dict]) -> None:
        if not metrics or self.metric_key not in metrics \
                or not is_main_process():
            return
        loader = getattr(runner, f'{mode}_dataloader')
        classes = loader.dataset.metainfo.get('classes')
        image = confusion_matrix_image(metrics[self.metric_key], classes)
        runner.visualizer.add_image(
            f'{mode}_confusion_matrix',
            image,
            step=built_train_loop_epoch(runner))

    def after_val_epoch(self, runner, metrics=None) -> None:
        self._send(runner, 'val', metrics)

    def after_test_epoch(self, runner, metrics=None) -> None:
        self._send(runner, 'test', metrics)

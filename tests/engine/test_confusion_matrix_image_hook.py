"""ConfusionMatrixImageHook: each evaluation's confusion matrix reaches the
visualizer backends as an image (LocalVisBackend: a PNG file)."""
import glob
import os.path as osp
from types import SimpleNamespace

import numpy as np
from mmengine.visualization import Visualizer
from PIL import Image

from mpafer_plugin.engine.hooks import ConfusionMatrixImageHook
from mpafer_plugin.engine.hooks.confusion_matrix_image_hook import \
    confusion_matrix_image

CLASSES = ('Surprise', 'Fear', 'Disgust')
MATRIX = [[5, 1, 0], [0, 3, 3], [2, 0, 4]]


def fake_runner(tmp_path, name):
    visualizer = Visualizer.get_instance(
        name,
        vis_backends=[dict(type='LocalVisBackend')],
        save_dir=str(tmp_path))
    loader = SimpleNamespace(
        dataset=SimpleNamespace(metainfo=dict(classes=CLASSES)))
    return SimpleNamespace(
        visualizer=visualizer,
        _train_loop=SimpleNamespace(epoch=3),
        val_dataloader=loader,
        test_dataloader=loader)


def test_val_and_test_matrices_become_png_files(tmp_path):
    runner = fake_runner(tmp_path, 'cm_hook_png')
    hook = ConfusionMatrixImageHook()
    metrics = {'per_class_acc/confusion_matrix': MATRIX, 'accuracy/top1': 60.}
    hook.after_val_epoch(runner, metrics)
    hook.after_test_epoch(runner, metrics)
    saved = sorted(
        osp.basename(p)
        for p in glob.glob(str(tmp_path / 'vis_data' / 'vis_image' / '*.png')))
    assert saved == [
        'test_confusion_matrix_3.png', 'val_confusion_matrix_3.png'
    ]
    image = np.asarray(
        Image.open(tmp_path / 'vis_data' / 'vis_image' /
                   'val_confusion_matrix_3.png'))
    assert image.ndim == 3 and min(image.shape[:2]) >= 300
    assert len(np.unique(image.reshape(-1, image.shape[-1]), axis=0)) > 10


def test_the_drawing_depends_on_the_matrix():
    a = confusion_matrix_image(MATRIX, CLASSES)
    b = confusion_matrix_image(np.eye(3, dtype=int).tolist(), CLASSES)
    assert a.shape == b.shape and a.dtype == np.uint8
    assert (a != b).any()


def test_no_matrix_in_the_metrics_sends_nothing(tmp_path):
    runner = fake_runner(tmp_path, 'cm_hook_none')
    ConfusionMatrixImageHook().after_val_epoch(runner, {'accuracy/top1': 1.})
    ConfusionMatrixImageHook().after_val_epoch(runner, None)
    assert not glob.glob(str(tmp_path / '**' / '*.png'), recursive=True)

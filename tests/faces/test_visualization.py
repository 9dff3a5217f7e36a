"""Annotated images: boxes drawn where the faces are, small images
enlarged, names that mirror the input folder."""
import os.path as osp

import cv2
import numpy as np

from mpafer_plugin.faces import draw_faces
from mpafer_plugin.faces.visualization import BOX_COLOR, visualization_path

FACE = dict(face=0, box=[10, 10, 30, 30], pred_class='sad', pred_score=0.5)


def test_box_is_drawn_and_small_images_enlarged():
    image = np.zeros((40, 50, 3), np.uint8)
    out = draw_faces(image, dict(status='ok', faces=[FACE]))
    assert out.shape == (256, 320, 3)  # short side 40 -> 256
    scale = 256 / 40
    # the box's bottom edge at y = (30 - 1) * scale, in the box colour
    y = round(30 * scale) - 1
    assert out[y, round(20 * scale)].tolist() == list(BOX_COLOR)
    assert out[128, 5].tolist() == [0, 0, 0]  # left of the box untouched
    assert image.max() == 0  # input left alone
    big = np.zeros((300, 400, 3), np.uint8)
    assert draw_faces(big, dict(status='no_face', faces=[])).shape == \
        big.shape


def test_labels_at_the_border_stay_inside_the_image():
    """A face at the right and top edges: its label is shifted left to lie
    wholly inside the image (it ran off the right edge, cut off)."""
    image = np.zeros((300, 400, 3), np.uint8)
    edge = dict(FACE, box=[360, 0, 400, 40], pred_class='happiness')
    out = draw_faces(image, dict(status='ok', faces=[edge]))
    (text_w, _), _ = cv2.getTextSize('0 happiness 0.50',
                                     cv2.FONT_HERSHEY_SIMPLEX, 0.5, 2)
    assert text_w > 40  # wider than the face: it must move left
    label_rows = np.all(out[:30] == BOX_COLOR, axis=2)
    left = np.flatnonzero(label_rows.any(axis=0)).min()
    assert left == 400 - text_w - 1


def test_paths_mirror_the_input_folder(tmp_path):
    root = str(tmp_path / 'in')
    record = dict(source=osp.join(root, 'a', 'b.jpg'), frame=None)
    assert visualization_path(record, 'vis', root) == \
        osp.join('vis', 'a', 'b.png')
    assert visualization_path(record, 'vis') == osp.join('vis', 'b.png')
    video = dict(source='/x/clip.mp4', frame=12)
    assert visualization_path(video, 'vis') == \
        osp.join('vis', 'clip', 'frame_000012.png')
    assert visualization_path(dict(source='array:3', frame=None), 'vis') == \
        osp.join('vis', 'array_3.png')

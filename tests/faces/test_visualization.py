"""Annotated images: boxes drawn where the faces are, small images
enlarged, names that mirror the input folder."""
import os.path as osp

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

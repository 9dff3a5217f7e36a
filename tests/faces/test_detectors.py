"""Face detectors: built from config, found where a face is, and errors
that say what to do."""
import os

import numpy as np
import pytest

from mpafer_plugin.faces import (HaarCascadeFaceDetector,
                                 WholeImageFaceDetector, build_face_detector)
from mpafer_plugin.faces.detectors import expand_box
from .face_fixtures import face_photo, no_face, small_face, two_faces


def test_build_from_name_dict_none_or_callable():
    assert isinstance(build_face_detector(None), WholeImageFaceDetector)
    assert isinstance(build_face_detector('None'), WholeImageFaceDetector)
    haar = build_face_detector(
        dict(type='HaarCascadeFaceDetector', min_neighbors=9, upscale_to=0))
    assert isinstance(haar, HaarCascadeFaceDetector)
    assert (haar.min_neighbors, haar.upscale_to) == (9, 0)

    def custom(image):
        return np.zeros((0, 4))

    assert build_face_detector(custom) is custom
    with pytest.raises(KeyError, match='NoSuchDetector'):
        build_face_detector('NoSuchDetector')


def test_haar_boxes_are_sorted_and_inside_the_image():
    detector = HaarCascadeFaceDetector()
    boxes = detector(two_faces())
    assert boxes.shape == (2, 4) and boxes.dtype == np.int64
    assert boxes[0, 2] <= boxes[1, 0]  # left face first, no overlap
    assert len(detector(no_face())) == 0
    assert len(detector(face_photo()[..., 0])) == 1  # gray input


def test_small_image_is_upscaled_for_detection():
    image = small_face()  # 41 x 48
    assert len(HaarCascadeFaceDetector(upscale_to=0)(image)) == 0
    [box] = HaarCascadeFaceDetector()(image)
    assert 0 <= box[0] < box[2] <= 41 and 0 <= box[1] < box[3] <= 48


def test_missing_cascade_is_named(tmp_path):
    with pytest.raises(
            FileNotFoundError, match='no_such_cascade.xml.*'
            'opencv-python<5'):
        HaarCascadeFaceDetector(cascade='no_such_cascade.xml')
    bad = tmp_path / 'bad.xml'
    bad.write_text('<opencv_storage></opencv_storage>')
    with pytest.raises(ValueError, match='bad.xml is not a cascade'):
        HaarCascadeFaceDetector(cascade=str(bad))


def test_expand_box_grows_and_clips():
    assert expand_box([10, 20, 30, 60], 0.5, 100, 100).tolist() == \
        [0, 0, 40, 80]
    assert expand_box([10, 20, 30, 60], 0.0, 100, 100).tolist() == \
        [10, 20, 30, 60]
    assert expand_box([80, 80, 100, 100], 0.25, 100, 90).tolist() == \
        [75, 75, 100, 90]


def test_face_modules_import_each_other_without_a_cycle():
    """No module of mpafer_plugin.faces imports one that imports it back
    (detectors and mtcnn_detector did, one of them lazily to get by)."""
    import ast
    import os.path as osp

    import mpafer_plugin.faces as faces
    folder = osp.dirname(faces.__file__)
    graph = {}
    for name in os.listdir(folder):
        if name.endswith('.py') and name != '__init__.py':
            with open(osp.join(folder, name)) as f:
                tree = ast.parse(f.read())
            graph[name[:-3]] = {
                alias.name if node.module is None else node.module
                for node in ast.walk(tree)
                if isinstance(node, ast.ImportFrom) and node.level == 1
                for alias in node.names
            }
    assert {'detectors', 'mtcnn_detector', 'structures'} <= set(graph)

    def reaches(start, goal, seen=()):
        return any(dep == goal or (dep in graph and dep not in seen
                                   and reaches(dep, goal, seen + (dep, )))
                   for dep in graph[start])

    assert not [name for name in graph if reaches(name, name)], graph

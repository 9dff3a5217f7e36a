"""MTCNN detector: boxes and five landmarks on real photos, also rotated and
tiny, none on a face-free image; the default detector falls back to the
Haar cascade, with a warning, where its weights are not installed."""
import cv2
import numpy as np
import pytest
import torch

from mpafer_plugin.apis import FERInferencer
from mpafer_plugin.faces import (HaarCascadeFaceDetector, MTCNNFaceDetector,
                                 build_face_detector, default_face_detector)
from mpafer_plugin.faces import detectors as face_detectors
from mpafer_plugin.faces import mtcnn_detector as mtcnn_face_detector
from .face_fixtures import face_photo, no_face, small_face, two_faces

needs_mtcnn = pytest.mark.skipif(
    mtcnn_face_detector.mtcnn_weights_folder() is None,
    reason='facenet-pytorch (MTCNN weights) is not installed')


@pytest.fixture(scope='module')
def mtcnn():
    return MTCNNFaceDetector()


@needs_mtcnn
def test_landmarks_lie_where_the_face_parts_are(mtcnn):
    faces = mtcnn.detect(face_photo())
    [box], [points] = faces.boxes, faces.landmarks
    x1, y1, x2, y2 = box
    assert 150 < x1 < 200 and 330 < x2 < 380 and 100 < y1 < 150
    (lx, ly), (rx, ry), (nx, ny), (mlx, mly), (mrx, mry) = points
    assert x1 < lx < nx < rx < x2  # eyes either side of the nose
    assert max(ly, ry) < ny < min(mly, mry) < y2  # eyes, nose, mouth
    assert mlx < mrx and abs(ly - ry) < 15  # an upright face
    np.testing.assert_array_equal(mtcnn(face_photo()), faces.boxes)


@needs_mtcnn
@pytest.mark.parametrize('angle', [-30, 30])
def test_rotated_face_is_found_with_rotated_eyes(mtcnn, angle):
    image = face_photo()
    height, width = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
    faces = mtcnn.detect(cv2.warpAffine(image, matrix, (width, height)))
    assert len(faces.boxes) == 1
    (lx, ly), (rx, ry) = faces.landmarks[0][:2]
    tilt = np.degrees(np.arctan2(ry - ly, rx - lx))
    assert tilt == pytest.approx(-angle, abs=8)  # cv2 angles are CCW


@needs_mtcnn
def test_two_tiny_gray_and_no_face(mtcnn):
    assert len(mtcnn.detect(two_faces()).boxes) == 2
    [box] = mtcnn(small_face())  # 41 x 48: enlarged for detection
    assert 0 <= box[0] < box[2] <= 41 and 0 <= box[1] < box[3] <= 48
    gray = cv2.cvtColor(face_photo(), cv2.COLOR_BGR2GRAY)
    assert len(mtcnn(gray)) == 1
    faces = mtcnn.detect(no_face())
    assert faces.boxes.shape == (0, 4) and faces.landmarks.shape == (0, 5, 2)


@needs_mtcnn
def test_inferencer_aligns_faces_as_the_config_says(model_files):
    """The quick-start config inherits RAF-DB's face_crop (eyes similarity,
    100 px): MTCNN faces are aligned, Haar faces (no landmarks) are box
    crops; the record carries the landmarks."""
    _, config, full, _ = model_files
    inferencer = FERInferencer(config, full, device='cpu')
    assert isinstance(inferencer.detector, MTCNNFaceDetector)
    record, [crop] = inferencer.crop_faces(face_photo())
    [face] = record['faces']
    assert face['aligned'] and crop.shape == (100, 100, 3)
    assert len(face['landmarks']) == 5
    haar = FERInferencer(
        config, full, device='cpu', detector='HaarCascadeFaceDetector')
    record, [crop] = haar.crop_faces(face_photo())
    assert not record['faces'][0]['aligned']
    assert record['faces'][0]['landmarks'] is None and crop.shape[0] > 200


def test_default_falls_back_to_haar_with_a_warning(monkeypatch):
    monkeypatch.setattr(mtcnn_face_detector, 'mtcnn_weights_folder',
                        lambda: None)
    with pytest.warns(UserWarning, match='facenet-pytorch is not installed'):
        assert default_face_detector() == 'HaarCascadeFaceDetector'
    with pytest.warns(UserWarning):
        assert isinstance(build_face_detector('auto'), HaarCascadeFaceDetector)
    with pytest.raises(
            ImportError, match=r'pip install "mpafer_plugin\[faces\]"'):
        MTCNNFaceDetector()
    assert face_detectors.detect_faces(HaarCascadeFaceDetector(),
                                       face_photo()).landmarks is None


def _device_of(detector):
    return {p.device for p in detector.mtcnn.parameters()}


@needs_mtcnn
def test_detection_runs_where_it_is_asked():
    """MTCNN follows the given device (the model's) unless its config names
    one; ``meta`` stands for a device other than the CPU here."""
    assert _device_of(
        build_face_detector('MTCNNFaceDetector')) == {torch.device('cpu')}
    assert _device_of(build_face_detector(
        'MTCNNFaceDetector', device='meta')) == {torch.device('meta')}
    own = dict(type='MTCNNFaceDetector', device='cpu')
    assert _device_of(build_face_detector(
        own, device='meta')) == {torch.device('cpu')}
    # a detector without a device argument ignores it
    assert isinstance(
        build_face_detector('HaarCascadeFaceDetector', device='meta'),
        HaarCascadeFaceDetector)


@pytest.mark.parametrize('detector_device, expected', [(None, 'meta'),
                                                       ('cpu', 'cpu')])
def test_inferencer_builds_its_detector_on_the_model_device(
        monkeypatch, detector_device, expected):
    """FERInferencer gives its device to the detector (``--device cuda``
    detected on the CPU before), or ``detector_device`` when given."""
    from mpafer_plugin.apis import fer_inferencer
    asked = {}

    def build(detector, device=None):
        asked['device'] = device
        raise RuntimeError('stop here')

    monkeypatch.setattr(fer_inferencer, 'build_face_detector', build)
    monkeypatch.setattr(fer_inferencer.BaseInferencer, '__init__',
                        lambda self, **kwargs: setattr(self, 'model', model))
    model = type('Model', (), {})()
    model.head = type('Head', (), {'classnames': ['a']})()
    with pytest.raises(RuntimeError, match='stop here'):
        fer_inferencer.FERInferencer(
            model, device='meta', detector_device=detector_device)
    assert asked['device'] == expected


@needs_mtcnn
@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA')
def test_mtcnn_detects_on_cuda():
    detector = build_face_detector('MTCNNFaceDetector', device='cuda')
    assert {d.type for d in _device_of(detector)} == {'cuda'}
    assert len(detector(face_photo())) == 1

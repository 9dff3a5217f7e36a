"""Face crops with the training data's geometry: the eye similarity puts
the eyes on the template whatever the face's rotation and scale, a face
without landmarks gets the box crop, and a config's ``face_crop`` key
chooses."""
import cv2
import numpy as np
import pytest

from mpafer_plugin.faces import (BoxFaceCrop, EyesSimilarityFaceCrop,
                                 build_face_crop)
from mpafer_plugin.faces.crops import eyes_similarity
from .face_fixtures import face_photo

# Grace Hopper's landmarks in the 512 x 600 photo (MTCNN, rounded).
LANDMARKS = np.array([[221.7, 192.2], [309.8, 186.1], [269.4, 239.2],
                      [232.7, 279.6], [306.6, 275.9]], np.float32)
BOX = [174, 120, 356, 340]


def test_eye_similarity_maps_the_eyes_onto_the_targets():
    eyes = np.array([[10.0, 50.0], [30.0, 20.0]])
    targets = np.array([[34.0, 46.0], [66.0, 46.0]])
    matrix = eyes_similarity(eyes, targets)
    mapped = np.c_[eyes, np.ones(2)] @ matrix.T
    np.testing.assert_allclose(mapped, targets, atol=1e-9)
    linear = matrix[:, :2]  # a rotation times a scale: no shear
    np.testing.assert_allclose(
        linear @ linear.T, np.eye(2) * np.linalg.det(linear), atol=1e-9)
    with pytest.raises(ValueError, match='coincide'):
        eyes_similarity(np.array([[5.0, 5.0], [5.0, 5.0]]), targets)


@pytest.mark.parametrize('angle,scale', [(30, 1.0), (-15, 0.5), (0, 1.6)])
def test_aligned_crop_undoes_rotation_and_scale(angle, scale):
    """The photo rotated and scaled, its landmarks moved with it: the
    aligned crop is the upright photo's aligned crop."""
    image = face_photo()
    crop = EyesSimilarityFaceCrop(size=100)
    upright, aligned = crop(image, BOX, LANDMARKS)
    assert aligned and upright.shape == (100, 100, 3)
    height, width = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle, scale)
    moved = cv2.warpAffine(image, matrix, (width, height))
    points = np.c_[LANDMARKS, np.ones(5)] @ matrix.T
    again, _ = crop(moved, BOX, points)
    inner = (slice(20, 80), slice(20, 80))  # away from the black borders
    difference = np.abs(again[inner].astype(int) - upright[inner]).mean()
    assert difference < 8, difference  # resampling only (0.7 to 4.4)
    other = np.abs(again[inner].astype(int) -
                   cv2.resize(image[120:340, 174:356], (100, 100))[inner])
    assert other.mean() > 2 * difference  # it is not any face crop


def test_eyes_land_on_the_template():
    crop, _ = EyesSimilarityFaceCrop(
        size=200, left_eye=(0.3, 0.4), right_eye=(0.7, 0.4))(face_photo(), BOX,
                                                             LANDMARKS)
    # The darkest blob around each target is the pupil region.
    for x in (60, 140):
        window = cv2.GaussianBlur(crop, (9, 9), 0)[70:90, x - 10:x + 10]
        assert window.mean() < crop[40:160, 40:160].mean()


def test_without_landmarks_the_box_crop_is_used():
    image = face_photo()
    crop, aligned = EyesSimilarityFaceCrop(margin=0.1)(image, BOX, None)
    expected, _ = BoxFaceCrop(0.1)(image, BOX)
    assert not aligned and np.array_equal(crop, expected)
    assert expected.shape == (264, 218, 3)  # 220 + 2 * 22, 182 + 2 * 18


def test_config_key_chooses_and_sets_the_margin():
    assert isinstance(build_face_crop(None, 0.3), BoxFaceCrop)
    assert build_face_crop(None, 0.3).margin == 0.3
    eyes = build_face_crop(dict(type='EyesSimilarityFaceCrop', size=64), 0.3)
    assert eyes.size == 64 and eyes.fallback.margin == 0.3
    assert build_face_crop(dict(type='BoxFaceCrop', margin=0.1),
                           0.3).margin == 0.1
    with pytest.raises(ValueError, match='left of'):
        EyesSimilarityFaceCrop(left_eye=(0.7, 0.4), right_eye=(0.3, 0.4))

"""Real-face test images and a small trained-looking model, shared by the
inference tests.

The face photo is Grace Hopper's public-domain portrait that matplotlib (a
dependency of mmengine) ships as sample data, so it is there offline."""
import cv2
import numpy as np
import pytest
from matplotlib import cbook

from ..export.test_prompts_export import export, trained  # noqa: F401  fixture

FACE_PHOTO = cbook.get_sample_data('grace_hopper.jpg', asfileobj=False)


def face_photo() -> np.ndarray:
    """One frontal face, 600x512 BGR."""
    return cv2.imread(FACE_PHOTO)


def two_faces() -> np.ndarray:
    """The photo beside its mirror image: two faces, 600x1024."""
    image = face_photo()
    return np.concatenate([image, image[:, ::-1]], axis=1)


def no_face() -> np.ndarray:
    """A smooth colour ramp: no face."""
    ramp = np.linspace(0, 255, 320, dtype=np.float32)
    image = np.stack([np.tile(ramp, (240, 1))] * 3, axis=2)
    image[..., 1] = 128
    return image.astype(np.uint8)


def small_face() -> np.ndarray:
    """The face photo at 41x48 pixels."""
    return cv2.resize(face_photo(), (41, 48), interpolation=cv2.INTER_AREA)


@pytest.fixture
def model_files(trained, tmp_path):  # noqa: F811
    """``(model, config, full checkpoint, prompts-only export)``."""
    model, config, full = trained
    prompts = str(tmp_path / 'prompts.pth')
    export(config, full, prompts)
    return model, config, full, prompts

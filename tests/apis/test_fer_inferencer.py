"""FERInferencer: face detection, cropping and batched classification give
the model's own probabilities, for every kind of input."""
import os

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import Compose, default_collate
from mmpretrain.registry import TRANSFORMS

from mpafer_plugin.apis import FERInferencer
from ..conftest import CLASSNAMES, REPO_ROOT, TINY_CLIP
from ..faces.face_fixtures import (FACE_PHOTO, face_photo, no_face, small_face,
                                   two_faces)


def probs(face):
    """A face's probabilities as a tensor, in the order of its ``scores``
    (the model's class order)."""
    return torch.tensor(list(face['scores'].values()))


def predict_file(model, config, path):
    """The model's own prediction for an image file, through the config's
    test pipeline as the test loop runs it."""
    cfg = Config.fromfile(config)
    pipeline = Compose(
        [TRANSFORMS.build(t) for t in cfg.test_dataloader.dataset.pipeline])
    batch = default_collate([pipeline(dict(img_path=path))])
    with torch.no_grad():
        return model.test_step(batch)[0].pred_score


def test_probabilities_are_the_models_prediction_on_the_crop(
        model_files, tmp_path):
    model, config, full, _ = model_files
    inferencer = FERInferencer(config, full, device='cpu', margin=0.2)
    [record] = inferencer(FACE_PHOTO, show_dir=str(tmp_path / 'vis'))
    assert [p.name for p in (tmp_path / 'vis').iterdir()] == \
        ['grace_hopper.png']
    assert record['status'] == 'ok' and record['source'] == FACE_PHOTO
    [face] = record['faces']
    # The detector found the face (Grace Hopper's face spans about
    # x 150-380, y 100-330 of the 512x600 photo).
    x1, y1, x2, y2 = face['box']
    assert 120 < x1 < 200 and 300 < x2 < 420 and 60 < y1 < 150
    assert list(face['scores']) == inferencer.classes  # keyed by class name
    scores = probs(face)
    assert scores.sum().item() == pytest.approx(1.0, abs=1e-5)
    assert inferencer.classes[int(scores.argmax())] == face['pred_class']

    _, [crop] = inferencer.crop_faces(face_photo())
    crop_file = str(tmp_path / 'crop.png')  # lossless
    cv2.imwrite(crop_file, crop)
    expected = predict_file(model, config, crop_file)
    torch.testing.assert_close(scores, expected, rtol=1e-4, atol=1e-6)


def test_no_detector_classifies_the_whole_image(model_files):
    model, config, full, _ = model_files
    inferencer = FERInferencer(config, full, device='cpu', detector='none')
    [record] = inferencer(FACE_PHOTO)
    [face] = record['faces']
    assert face['box'] == [0, 0, 512, 600]
    torch.testing.assert_close(
        probs(face),
        predict_file(model, config, FACE_PHOTO),
        rtol=1e-4,
        atol=1e-6)


def test_prompts_export_alone_predicts_like_the_full_checkpoint(model_files):
    _, config, full, prompts = model_files
    from_export = FERInferencer(prompts, device='cpu')(two_faces())
    from_full = FERInferencer(config, full, device='cpu')(two_faces())
    assert from_export[0]['faces'] and \
        len(from_export[0]['faces']) == len(from_full[0]['faces'])
    for got, expected in zip(from_export[0]['faces'], from_full[0]['faces']):
        assert got['box'] == expected['box']
        np.testing.assert_allclose(
            probs(got), probs(expected), rtol=1e-5, atol=1e-7)


def test_no_face_several_faces_gray_and_small_images(model_files):
    _, config, full, _ = model_files
    inferencer = FERInferencer(config, full, device='cpu')
    gray = cv2.cvtColor(face_photo(), cv2.COLOR_BGR2GRAY)
    blank, several, gray_rec, small = inferencer(
        [no_face(), two_faces(), gray,
         small_face()], batch_size=2)

    assert blank['status'] == 'no_face' and blank['faces'] == []
    assert several['status'] == 'ok' and len(several['faces']) == 2
    left, right = (face['box'] for face in several['faces'])
    assert left[2] <= right[0]  # distinct, sorted left to right
    assert [face['face'] for face in several['faces']] == [0, 1]
    for record in (gray_rec, small):
        assert record['status'] == 'ok' and len(record['faces']) == 1
        assert sum(record['faces'][0]['scores'].values()) == pytest.approx(
            1, 1e-5)
    assert small['image_shape'] == [48, 41]
    x1, y1, x2, y2 = small['faces'][0]['box']
    assert 0 <= x1 < x2 <= 41 and 0 <= y1 < y2 <= 48


def test_batch_size_does_not_change_results(model_files):
    _, config, full, _ = model_files
    inferencer = FERInferencer(config, full, device='cpu')
    inputs = [two_faces(), no_face(), face_photo()]
    one = inferencer(inputs, batch_size=1)
    three = inferencer(inputs, batch_size=3)
    assert [len(r['faces']) for r in one] == [2, 0, 1]
    for a, b in zip(one, three):
        for fa, fb in zip(a['faces'], b['faces']):
            np.testing.assert_allclose(
                probs(fa), probs(fb), rtol=1e-5, atol=1e-7)


def test_unreadable_file_is_reported_and_skipped(model_files, tmp_path):
    _, config, full, _ = model_files
    folder = tmp_path / 'photos'
    folder.mkdir()
    (folder / 'a_broken.jpg').write_bytes(b'not a jpeg')
    cv2.imwrite(str(folder / 'b_face.png'), face_photo())
    inferencer = FERInferencer(config, full, device='cpu')
    broken, good = inferencer(str(folder), show_dir=str(tmp_path / 'vis'))
    assert broken['status'] == 'unreadable' and broken['faces'] == []
    assert broken['source'].endswith('a_broken.jpg') and broken['error']
    assert good['status'] == 'ok' and len(good['faces']) == 1
    assert (tmp_path / 'vis' / 'b_face.png').is_file()
    assert not (tmp_path / 'vis' / 'a_broken.png').exists()


def test_missing_input_and_config_less_checkpoint_are_named(model_files):
    _, config, full, _ = model_files
    with pytest.raises(ValueError, match='full.pth is not a prompts-only'):
        FERInferencer(full, device='cpu')
    inferencer = FERInferencer(config, full, device='cpu')
    with pytest.raises(FileNotFoundError, match='nowhere.jpg'):
        inferencer('nowhere.jpg')


def test_paper_config_without_checkpoint():
    """configs/mpafer_rafdb.py (LoadFERImage, 224 px) with a tiny CLIP and
    no checkpoint: untrained prompts, said so, and it still runs."""
    inferencer = FERInferencer(
        os.path.join(REPO_ROOT, 'configs', 'mpafer_rafdb.py'),
        device='cpu',
        detector=None,
        cfg_options={'model.clip': TINY_CLIP})
    assert inferencer.classes == CLASSNAMES
    assert [t.__class__.__name__ for t in inferencer.pipeline.transforms] \
        == ['Resize', 'PackInputs']
    [record] = inferencer(small_face())
    assert sum(record['faces'][0]['scores'].values()) == pytest.approx(
        1, abs=1e-5)


@pytest.mark.parametrize('margin', [-0.1, float('nan'), 2.5])
def test_bad_margin_is_refused_before_the_model_loads(margin):
    with pytest.raises(ValueError, match=r'margin must be in \[0, 2.0\]'):
        FERInferencer('no/such/config.py', margin=margin)


def test_bad_items_get_their_own_record_and_cost_no_other(model_files):
    """An empty, NaN, infinite or boolean array, or a ``None`` (what
    ``cv2.imread`` returns for a missing file), is one ``'unreadable'``
    record with the reason; before, the whole batch failed (a
    ``ZeroDivisionError`` in the detector's scaling) or a class was
    predicted for it."""
    _, config, full, _ = model_files
    inferencer = FERInferencer(config, full, device='cpu')
    nan = face_photo().astype(np.float32)
    nan[0, 0, 0] = np.nan
    inf = face_photo().astype(np.float64)
    inf[1, 1, 1] = np.inf
    inputs = [
        np.zeros((0, 0, 3), np.uint8), None, nan, inf,
        np.ones((64, 64), bool),
        face_photo(), 'not an image object'.encode()
    ]
    records = inferencer(inputs, batch_size=4)
    assert [r['status']
            for r in records] == ['unreadable'] * 5 + ['ok', 'unreadable']
    reasons = [r['error'] for r in records]
    assert 'an empty image (shape (0, 0, 3))' in reasons[0]
    assert reasons[1].startswith('None, not an image')
    assert 'NaN or infinite' in reasons[2] and 'NaN or infinite' in reasons[3]
    assert 'boolean array' in reasons[4] and 'a mask' in reasons[4]
    assert 'a bytes, not an image' in reasons[6]
    assert all(r['faces'] == [] for i, r in enumerate(records) if i != 5)
    alone = inferencer(face_photo())[0]
    np.testing.assert_allclose(
        probs(records[5]['faces'][0]), probs(alone['faces'][0]), atol=1e-6)


def test_pil_images_and_tensors_are_read_in_their_own_convention(model_files):
    """A PIL image (RGB) and a channel-first RGB tensor (uint8 or float in
    [0, 1]) give the prediction of the same picture as a BGR array."""
    from PIL import Image
    _, config, full, _ = model_files
    inferencer = FERInferencer(config, full, device='cpu')
    bgr = face_photo()
    rgb = bgr[..., ::-1].copy()
    inputs = [
        bgr,
        Image.fromarray(rgb),
        torch.from_numpy(rgb).permute(2, 0, 1),
        torch.from_numpy(rgb).permute(2, 0, 1).float() / 255,
        torch.zeros(5, 8, 8),
    ]
    records = inferencer(inputs)
    assert [r['status'] for r in records] == ['ok'] * 4 + ['unreadable']
    assert 'channel-first RGB (3, H, W)' in records[4]['error']
    reference = probs(records[0]['faces'][0])
    for record in records[1:4]:
        np.testing.assert_allclose(
            probs(record['faces'][0]), reference, atol=1e-5)
    single = inferencer(Image.fromarray(rgb))  # one image, not in a list
    assert single[0]['status'] == 'ok'

"""tools/infer.py over a folder, a video and an aligned crop: rows per face,
JSON / CSV that parse, annotated images, a summary naming the images without
a face and the unreadable files, and results kept on interruption."""
import csv
import json

import cv2
import numpy as np
import pytest

from tools.infer import main
from ..apis.face_fixtures import (FACE_PHOTO, face_photo,  # noqa: F401
                                  model_files, no_face, small_face, trained,
                                  two_faces)


@pytest.fixture
def photo_folder(tmp_path):
    """photos/{face.jpg, nested/{pair.png, gray.png, small.png, empty.png,
    broken.jpg}}: 1 + 2 + 1 + 1 + 0 faces and one unreadable file."""
    root = tmp_path / 'photos'
    (root / 'nested').mkdir(parents=True)
    cv2.imwrite(str(root / 'face.jpg'), face_photo())
    cv2.imwrite(str(root / 'nested' / 'pair.png'), two_faces())
    cv2.imwrite(str(root / 'nested' / 'gray.png'),
                cv2.cvtColor(face_photo(), cv2.COLOR_BGR2GRAY))
    cv2.imwrite(str(root / 'nested' / 'small.png'), small_face())
    cv2.imwrite(str(root / 'nested' / 'empty.png'), no_face())
    (root / 'nested' / 'broken.jpg').write_bytes(b'\xff\xd8 truncated')
    (root / 'notes.txt').write_text('not an image')
    return str(root)


def test_folder_to_json(model_files, photo_folder, tmp_path, capsys):
    _, config, full, _ = model_files
    out = tmp_path / 'out'
    assert main([photo_folder, '--config', config, '--checkpoint', full,
                 '--out', str(out), '--device', 'cpu',
                 '--batch-size', '2']) == 0
    rows = json.loads((out / 'results.json').read_text())
    per_source = {}
    for row in rows:
        name = row['source'][len(photo_folder) + 1:]
        per_source.setdefault(name, []).append(row)
    assert {name: len(faces) for name, faces in per_source.items()} == {
        'face.jpg': 1, 'nested/pair.png': 2, 'nested/gray.png': 1,
        'nested/small.png': 1}
    for row in rows:
        assert row['frame'] is None
        assert sum(row['scores'].values()) == pytest.approx(1, abs=1e-5)
        assert row['pred_class'] == max(row['scores'],
                                        key=row['scores'].get)
    assert per_source['nested/pair.png'][0]['box'] != \
        per_source['nested/pair.png'][1]['box']

    summary = json.loads((out / 'summary.json').read_text())
    assert summary['frames'] == 6 and summary['faces'] == 5
    assert summary['no_face'] == [f'{photo_folder}/nested/empty.png']
    [unreadable] = summary['unreadable']
    assert unreadable.startswith(f'{photo_folder}/nested/broken.jpg')
    assert not summary['interrupted']
    assert 'nested/broken.jpg' in capsys.readouterr().out
    for name in ('face', 'nested/pair', 'nested/gray', 'nested/small',
                 'nested/empty'):
        assert (out / 'vis' / f'{name}.png').is_file(), name


def test_video_to_csv(model_files, tmp_path):
    _, config, full, _ = model_files
    video = str(tmp_path / 'clip.avi')
    face = cv2.resize(face_photo(), (160, 188))
    writer = cv2.VideoWriter(video, cv2.VideoWriter_fourcc(*'MJPG'), 5,
                             (160, 188))
    for index in range(7):  # faces in even frames, none in odd ones
        writer.write(face if index % 2 == 0 else
                     np.full_like(face, 90))
    writer.release()
    out = tmp_path / 'out'
    assert main([video, '--config', config, '--checkpoint', full,
                 '--out', str(out), '--device', 'cpu', '--format', 'csv',
                 '--video-stride', '2']) == 0
    with open(out / 'results.csv', newline='') as f:
        rows = list(csv.DictReader(f))
    assert [int(row['frame']) for row in rows] == [0, 2, 4, 6]
    for row in rows:
        assert row['source'] == video and row['face'] == '0'
        probs = [float(v) for k, v in row.items() if k.startswith('prob_')]
        assert len(probs) == 7 and sum(probs) == pytest.approx(1, abs=1e-4)
        assert float(row['pred_score']) == pytest.approx(max(probs))
    assert (out / 'vis' / 'clip' / 'frame_000004.png').is_file()
    assert not (out / 'vis' / 'clip' / 'frame_000001.png').exists()


def test_prompts_export_on_an_aligned_crop(model_files, tmp_path):
    _, _, _, prompts = model_files
    crop = tmp_path / 'crop.png'
    cv2.imwrite(str(crop), cv2.resize(face_photo(), (64, 64)))
    out = tmp_path / 'out'
    assert main([str(crop), '--prompts', prompts, '--no-detect', '--out',
                 str(out), '--device', 'cpu']) == 0
    [row] = json.loads((out / 'results.json').read_text())
    assert row['box'] == [0, 0, 64, 64]
    assert (out / 'vis' / 'crop.png').is_file()


def test_interruption_keeps_the_rows_written(model_files, photo_folder,
                                             tmp_path, monkeypatch):
    from mpafer_plugin.apis import FERInferencer
    _, config, full, _ = model_files
    iter_results = FERInferencer.iter_results

    def interrupted(self, *args):
        for index, item in enumerate(iter_results(self, *args)):
            if index == 4:
                raise KeyboardInterrupt
            yield item

    monkeypatch.setattr(FERInferencer, 'iter_results', interrupted)
    out = tmp_path / 'out'
    assert main([photo_folder, '--config', config, '--checkpoint', full,
                 '--out', str(out), '--device', 'cpu']) == 130
    rows = json.loads((out / 'results.json').read_text())
    # face.jpg, nested/broken.jpg (unreadable), nested/empty.png (no
    # face), nested/gray.png: two faces before Ctrl-C.
    assert [row['source'][len(photo_folder) + 1:] for row in rows] == [
        'face.jpg', 'nested/gray.png']
    summary = json.loads((out / 'summary.json').read_text())
    assert summary['interrupted'] and summary['frames'] == 4
    assert not (out / 'results.json.partial').exists()


def test_checkpoint_without_config_is_refused(model_files, tmp_path):
    _, _, full, _ = model_files
    with pytest.raises(SystemExit):
        main([FACE_PHOTO, '--checkpoint', full, '--out', str(tmp_path)])

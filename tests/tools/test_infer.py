"""tools/infer.py over a folder, a video and an aligned crop: rows per face,
JSON / CSV that parse, annotated images, a summary naming the images without
a face and the unreadable files, and results kept on interruption."""
import csv
import json

import cv2
import numpy as np
import pytest

from tools.infer import main
from ..faces.face_fixtures import (FACE_PHOTO, face_photo, no_face, small_face,
                                   two_faces)


@pytest.fixture
def photo_folder(tmp_path):
    """photos/{face.jpg, nested/{pair.png, gray.png, small.png, empty.png,
    broken.jpg}}: 1 + 2 + 1 + 1 + 0 faces and one unreadable file."""
    root = tmp_path / 'photos'
    (root / 'nested').mkdir(parents=True)
    cv2.imwrite(str(root / 'face.jpg'), face_photo())
    cv2.imwrite(str(root / 'nested' / 'pair.png'), two_faces())
    cv2.imwrite(
        str(root / 'nested' / 'gray.png'),
        cv2.cvtColor(face_photo(), cv2.COLOR_BGR2GRAY))
    cv2.imwrite(str(root / 'nested' / 'small.png'), small_face())
    cv2.imwrite(str(root / 'nested' / 'empty.png'), no_face())
    (root / 'nested' / 'broken.jpg').write_bytes(b'\xff\xd8 truncated')
    (root / 'notes.txt').write_text('not an image')
    return str(root)


def test_folder_to_json(model_files, photo_folder, tmp_path, capsys):
    _, config, full, _ = model_files
    out = tmp_path / 'out'
    assert main([
        photo_folder, '--config', config, '--checkpoint', full, '--out',
        str(out), '--device', 'cpu', '--batch-size', '2'
    ]) == 0
    rows = json.loads((out / 'results.json').read_text())
    per_source = {}
    for row in rows:
        name = row['source'][len(photo_folder) + 1:]
        per_source.setdefault(name, []).append(row)
    assert {
        name: len(faces)
        for name, faces in per_source.items()
    } == {
        'face.jpg': 1,
        'nested/pair.png': 2,
        'nested/gray.png': 1,
        'nested/small.png': 1
    }
    for row in rows:
        assert row['frame'] is None
        assert sum(row['scores'].values()) == pytest.approx(1, abs=1e-5)
        assert row['pred_class'] == max(row['scores'], key=row['scores'].get)
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
        writer.write(face if index % 2 == 0 else np.full_like(face, 90))
    writer.release()
    out = tmp_path / 'out'
    assert main([
        video, '--config', config, '--checkpoint', full, '--out',
        str(out), '--device', 'cpu', '--format', 'csv', '--video-stride', '2'
    ]) == 0
    with open(out / 'results.csv', newline='') as f:
        rows = list(csv.DictReader(f))
    assert [int(row['frame']) for row in rows] == [0, 2, 4, 6]
    for row in rows:
        assert row['source'] == video and row['face'] == '0'
        probs = [float(v) for k, v in row.items() if k.startswith('prob_')]
        assert len(probs) == 7 and sum(probs) == pytest.approx(1, abs=1e-4)
        assert float(row['pred_score']) == pytest.approx(max(probs))
    assert [float(row['time']) for row in rows] == [0, 0.4, 0.8, 1.2]
    assert [row['track'] for row in rows] == ['0'] * 4
    assert video_frames(out / 'vis' / 'clip.mp4') == 4


def video_frames(path):
    """How many frames OpenCV decodes from ``path``."""
    capture = VideoCapture(str(path))  # the real one, also when patched
    frames = 0
    while capture.grab():
        frames += 1
    capture.release()
    return frames


def moving_face_video(path, frames=6, fps=5):
    """The face photo drifting right by 4 px a frame: one face track."""
    face = cv2.resize(face_photo(), (160, 188))
    writer = cv2.VideoWriter(
        str(path), cv2.VideoWriter_fourcc(*'MJPG'), fps, (200, 188))
    for index in range(frames):
        canvas = np.full((188, 200, 3), 90, np.uint8)
        canvas[:, 4 * index:4 * index + 160] = face
        writer.write(canvas)
    writer.release()
    return str(path)


def test_prompts_export_on_an_aligned_crop(model_files, tmp_path):
    _, _, _, prompts = model_files
    crop = tmp_path / 'crop.png'
    cv2.imwrite(str(crop), cv2.resize(face_photo(), (64, 64)))
    out = tmp_path / 'out'
    assert main([
        str(crop), '--prompts', prompts, '--no-detect', '--out',
        str(out), '--device', 'cpu'
    ]) == 0
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
    assert main([
        photo_folder, '--config', config, '--checkpoint', full, '--out',
        str(out), '--device', 'cpu'
    ]) == 130
    rows = json.loads((out / 'results.json').read_text())
    # face.jpg, nested/broken.jpg (unreadable), nested/empty.png (no
    # face), nested/gray.png: two faces before Ctrl-C.
    assert [row['source'][len(photo_folder) + 1:]
            for row in rows] == ['face.jpg', 'nested/gray.png']
    summary = json.loads((out / 'summary.json').read_text())
    assert summary['interrupted'] and summary['frames'] == 4
    assert not (out / 'results.json.partial').exists()


def test_checkpoint_without_config_is_refused(model_files, tmp_path):
    _, _, full, _ = model_files
    with pytest.raises(SystemExit):
        main([FACE_PHOTO, '--checkpoint', full, '--out', str(tmp_path)])


def _crash_after(n_records, monkeypatch):
    """Make FERInferencer.iter_results raise RuntimeError after
    ``n_records`` records, as a bug or a full disk would."""
    from mpafer_plugin.apis import FERInferencer
    iter_results = FERInferencer.iter_results

    def crashing(self, *args):
        for index, item in enumerate(iter_results(self, *args)):
            if index == n_records:
                raise RuntimeError('simulated crash')
            yield item

    monkeypatch.setattr(FERInferencer, 'iter_results', crashing)


def test_crash_keeps_an_earlier_complete_result(model_files, photo_folder,
                                                tmp_path, monkeypatch, capsys):
    _, config, full, _ = model_files
    out = tmp_path / 'out'
    command = [
        photo_folder, '--config', config, '--checkpoint', full, '--out',
        str(out), '--device', 'cpu', '--no-vis'
    ]
    assert main(command) == 0
    complete = (out / 'results.json').read_text()
    summary = (out / 'summary.json').read_text()
    assert len(json.loads(complete)) == 5
    _crash_after(1, monkeypatch)
    with pytest.raises(RuntimeError, match='simulated crash'):
        main(command)
    # Before: results.json was replaced by the crashed run's rows ([] here).
    assert (out / 'results.json').read_text() == complete
    assert (out / 'summary.json').read_text() == summary
    partial = json.loads((out / 'results.json.partial').read_text())
    assert [row['source'] for row in partial] == [f'{photo_folder}/face.jpg']
    assert 'results.json.partial' in capsys.readouterr().err


def test_output_folder_inside_the_input_is_never_read(model_files,
                                                      photo_folder):
    _, config, full, _ = model_files
    out = f'{photo_folder}/nested/out'
    command = [
        photo_folder, '--config', config, '--checkpoint', full, '--out', out,
        '--device', 'cpu'
    ]
    for _ in range(2):  # the second run finds the first one's vis/ images
        assert main(command) == 0
        summary = json.loads(open(f'{out}/summary.json').read())
        assert summary['frames'] == 6 and summary['faces'] == 5
    rows = json.loads(open(f'{out}/results.json').read())
    assert not [row for row in rows if row['source'].startswith(out)]
    with pytest.raises(SystemExit, match="--out's vis .* is INPUT"):
        main([
            f'{out}/vis', '--config', config, '--checkpoint', full, '--out',
            out
        ])


def test_files_failing_mid_run_are_skipped_and_counted(model_files,
                                                       photo_folder, tmp_path,
                                                       monkeypatch):
    """A dangling link and a file deleted after the input list was made are
    named in summary.json's ``unreadable`` (the documented skip policy) and
    the run completes."""
    import os

    import tools.infer as infer
    _, config, full, _ = model_files
    os.symlink(f'{photo_folder}/gone.png', f'{photo_folder}/dangling.png')
    expand_inputs = infer.expand_inputs

    def expand_then_delete(*args, **kwargs):
        items = expand_inputs(*args, **kwargs)
        os.remove(f'{photo_folder}/nested/gray.png')
        return items

    monkeypatch.setattr(infer, 'expand_inputs', expand_then_delete)
    out = tmp_path / 'out'
    assert main([
        photo_folder, '--config', config, '--checkpoint', full, '--out',
        str(out), '--device', 'cpu'
    ]) == 0
    summary = json.loads((out / 'summary.json').read_text())
    assert summary['frames'] == 7 and summary['faces'] == 4
    assert sorted(line.split(':')[0] for line in summary['unreadable']) == [
        f'{photo_folder}/dangling.png', f'{photo_folder}/nested/broken.jpg',
        f'{photo_folder}/nested/gray.png'
    ]


@pytest.mark.parametrize('margin', ['-0.1', 'nan', '3'])
def test_bad_margin_is_refused(model_files, tmp_path, margin, capsys):
    _, config, full, _ = model_files
    with pytest.raises(SystemExit):
        main([
            FACE_PHOTO, '--config', config, '--checkpoint', full, '--out',
            str(tmp_path), '--margin', margin
        ])
    assert '--margin must be in [0, 2.0]' in capsys.readouterr().err


def test_smoothed_video_keeps_one_track(model_files, tmp_path):
    _, config, full, _ = model_files
    video = moving_face_video(tmp_path / 'drift.avi')
    out = tmp_path / 'out'
    assert main([
        video, '--config', config, '--checkpoint', full, '--out',
        str(out), '--device', 'cpu', '--smooth', '0.5'
    ]) == 0
    rows = json.loads((out / 'results.json').read_text())
    assert [row['track'] for row in rows] == [0] * 6
    assert [row['time'] for row in rows] == [0, 0.2, 0.4, 0.6, 0.8, 1.0]
    for row in rows:
        assert sum(row['scores'].values()) == pytest.approx(1, abs=1e-5)
    assert video_frames(out / 'vis' / 'drift.mp4') == 6


VideoCapture = cv2.VideoCapture


class FakeCamera:
    """cv2.VideoCapture(0) reading a video file, raising KeyboardInterrupt
    (Ctrl-C) at frame ``interrupt_at``."""
    video, interrupt_at, opened = None, None, []

    def __init__(self, index):
        assert index == 0
        self.capture = VideoCapture(self.video)
        self.frames = 0
        FakeCamera.opened.append(self)

    def grab(self):
        if self.frames == self.interrupt_at:
            raise KeyboardInterrupt
        self.frames += 1
        return self.capture.grab()

    def __getattr__(self, name):
        return getattr(self.capture, name)


@pytest.fixture
def camera(tmp_path, monkeypatch):
    from mpafer_plugin.faces import media_inputs
    FakeCamera.video = moving_face_video(tmp_path / 'camera.avi')
    FakeCamera.interrupt_at, FakeCamera.opened = None, []
    monkeypatch.setattr(media_inputs.cv2, 'VideoCapture', FakeCamera)
    return FakeCamera


def test_camera_index_and_ctrl_c_keep_every_row(model_files, tmp_path, camera):
    """``tools/infer.py 0``: live frames are classified as they come, with
    clock timestamps; Ctrl-C at the 4th frame ends with exit 130, the 3
    rows, a playable annotated video and the camera released."""
    _, config, full, _ = model_files
    camera.interrupt_at = 3
    out = tmp_path / 'out'
    assert main([
        '0', '--config', config, '--checkpoint', full, '--out',
        str(out), '--device', 'cpu', '--batch-size', '16'
    ]) == 130
    rows = json.loads((out / 'results.json').read_text())
    assert [(row['source'], row['frame'], row['track']) for row in rows] \
        == [('0', 0, 0), ('0', 1, 0), ('0', 2, 0)]
    times = [row['time'] for row in rows]
    assert times == sorted(times) and times[0] >= 0
    summary = json.loads((out / 'summary.json').read_text())
    assert summary['interrupted'] and summary['frames'] == 3
    assert video_frames(out / 'vis' / '0.mp4') == 3
    assert not camera.opened[0].capture.isOpened()  # released


def test_q_in_the_window_ends_cleanly(model_files, tmp_path, camera,
                                      monkeypatch):
    import tools.infer as infer
    _, config, full, _ = model_files
    keys = iter([-1, ord('q')])
    shown = []
    monkeypatch.setattr(infer.cv2, 'imshow',
                        lambda title, image: shown.append(image.shape))
    monkeypatch.setattr(infer.cv2, 'waitKey', lambda delay: next(keys))
    monkeypatch.setattr(infer.cv2, 'destroyAllWindows', lambda: None)
    monkeypatch.setenv('DISPLAY', ':0')  # the window is faked
    out = tmp_path / 'out'
    assert main([
        '0', '--config', config, '--checkpoint', full, '--out',
        str(out), '--device', 'cpu', '--show'
    ]) == 0
    assert len(json.loads((out / 'results.json').read_text())) == 2
    summary = json.loads((out / 'summary.json').read_text())
    assert summary['ended_with_q'] and summary['frames'] == 2
    assert len(shown) == 2
    assert not camera.opened[0].capture.isOpened()


def test_amp_classifies_under_bf16_autocast(model_files, tmp_path,
                                            monkeypatch):
    """--amp: the model runs under bf16 autocast (seen from inside its
    forward), the face detector does not; probabilities stay close to
    fp32's."""
    import torch

    from mpafer_plugin.models import MPAFER
    _, config, full, _ = model_files
    crop = tmp_path / 'crop.png'
    cv2.imwrite(str(crop), cv2.resize(face_photo(), (64, 64)))
    seen, forward = [], MPAFER.forward

    def spy(self, *args, **kwargs):
        seen.append(
            torch.is_autocast_enabled('cpu')
            and torch.get_autocast_dtype('cpu') == torch.bfloat16)
        return forward(self, *args, **kwargs)

    monkeypatch.setattr(MPAFER, 'forward', spy)
    rows = {}
    for amp in ([], ['--amp']):
        out = tmp_path / f'out{len(amp)}'
        assert main([
            str(crop), '--config', config, '--checkpoint', full, '--no-detect',
            '--out',
            str(out), '--device', 'cpu', '--no-vis'
        ] + amp) == 0
        [rows[bool(amp)]] = json.loads((out / 'results.json').read_text())
    assert seen == [False, True]
    for name, p in rows[False]['scores'].items():
        assert rows[True]['scores'][name] == pytest.approx(p, abs=0.05)

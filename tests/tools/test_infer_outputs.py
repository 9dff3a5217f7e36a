"""tools/infer.py's outputs: one per input, replaced as one set, checked
before anything loads; an exit status that says whether anything was
classified (issue 21 items 10-12)."""
import json
import os

import cv2
import numpy as np
import pytest

from mpafer_plugin.utils import StagedOutputs
from tools.infer import main
from ..faces.face_fixtures import face_photo
from .test_infer import _crash_after, video_frames


def run(model_files, inputs, out, *extra):
    _, config, full, _ = model_files
    return main([
        inputs, '--config', config, '--checkpoint', full, '--out',
        str(out), '--device', 'cpu', *extra
    ])


@pytest.fixture
def photo(tmp_path):
    """A face photo, ``tmp_path/a.png``."""
    path = str(tmp_path / 'a.png')
    cv2.imwrite(path, face_photo())
    return path


def test_inputs_sharing_a_name_get_one_picture_each(model_files, tmp_path):
    folder = tmp_path / 'photos'
    folder.mkdir()
    for ext in ('jpg', 'png', 'bmp'):
        cv2.imwrite(str(folder / f'face.{ext}'), face_photo())
    cv2.imwrite(str(folder / 'alone.png'), face_photo())
    out = tmp_path / 'out'
    assert run(model_files, str(folder), out) == 0
    # before: one vis/face.png for three images
    assert sorted(os.listdir(out / 'vis')) == [
        'alone.png', 'face.bmp.png', 'face.jpg.png', 'face.png.png'
    ]


def test_a_second_run_replaces_the_whole_set(model_files, tmp_path, capsys):
    folder = tmp_path / 'photos'
    folder.mkdir()
    for name in ('a.png', 'b.png'):
        cv2.imwrite(str(folder / name), face_photo())
    out = tmp_path / 'out'
    assert run(model_files, str(folder), out) == 0
    single = str(tmp_path / 'c.png')
    cv2.imwrite(single, face_photo())
    capsys.readouterr()
    assert run(model_files, single, out, '--format', 'csv') == 0
    # before: a.png and b.png of the first run stayed beside the new results
    assert sorted(os.listdir(out)) == ['results.csv', 'summary.json', 'vis']
    assert os.listdir(out / 'vis') == ['c.png']
    assert 'what an earlier run left and this one did not write: ' \
        'results.json' in capsys.readouterr().out


def moving_video(path, frames=6):
    face = cv2.resize(face_photo(), (160, 188))
    writer = cv2.VideoWriter(
        str(path), cv2.VideoWriter_fourcc(*'MJPG'), 5, (160, 188))
    for _ in range(frames):
        writer.write(face)
    writer.release()
    return str(path)


def test_a_failed_run_leaves_the_complete_video(model_files, tmp_path,
                                                monkeypatch, capsys):
    video = moving_video(tmp_path / 'clip.avi')
    out = tmp_path / 'out'
    assert run(model_files, video, out) == 0
    assert video_frames(out / 'vis' / 'clip.mp4') == 6
    _crash_after(2, monkeypatch)
    with pytest.raises(RuntimeError, match='simulated crash'):
        run(model_files, video, out)
    # before: the complete video was replaced by a 44-byte file
    assert video_frames(out / 'vis' / 'clip.mp4') == 6
    assert not StagedOutputs.leftovers(str(out))


def test_a_killed_runs_staging_folder_is_named(model_files, tmp_path, photo,
                                               capsys):
    out = tmp_path / 'out'
    leftover = out / '.staging-0123'
    leftover.mkdir(parents=True)
    assert run(model_files, photo, out) == 0
    assert f'note: {leftover} holds the outputs of an earlier run' in \
        capsys.readouterr().err


@pytest.fixture
def no_loading(monkeypatch):
    """Fail the test if the model is loaded."""
    from mpafer_plugin.apis import FERInferencer

    def refuse(*args, **kwargs):
        raise AssertionError('the model was loaded')

    monkeypatch.setattr(FERInferencer, '__init__', refuse)


def test_out_naming_a_file_fails_before_loading(model_files, tmp_path, photo,
                                                no_loading):
    out = tmp_path / 'taken.json'
    out.write_text('{}')
    with pytest.raises(
            SystemExit, match=r'--out .*taken.json is a file; '
            'give a folder'):
        run(model_files, photo, out)
    assert out.read_text() == '{}'


def test_show_without_a_display_fails_before_loading(model_files, tmp_path,
                                                     photo, monkeypatch,
                                                     no_loading):
    monkeypatch.delenv('DISPLAY', raising=False)
    monkeypatch.delenv('WAYLAND_DISPLAY', raising=False)
    monkeypatch.setattr('sys.platform', 'linux')
    with pytest.raises(SystemExit, match='--show needs a display'):
        run(model_files, photo, tmp_path / 'out', '--show')


def test_outputs_that_are_inputs_are_refused_before_loading(
        model_files, tmp_path, photo, no_loading):
    _, config, full, _ = model_files
    out = tmp_path / 'out'
    out.mkdir()
    os.symlink(full, out / 'summary.json')  # a link to the checkpoint
    with pytest.raises(
            SystemExit, match=r"--out's summary.json .* is "
            '--checkpoint'):
        run(model_files, photo, out)


class ClosedCamera:

    def __init__(self, *args):
        pass

    def isOpened(self):
        return False

    def release(self):
        pass


def test_nothing_processed_exits_1(model_files, tmp_path, monkeypatch, capsys):
    folder = tmp_path / 'broken'
    folder.mkdir()
    for name in ('a.jpg', 'b.png'):
        (folder / name).write_bytes(b'not an image')
    out = tmp_path / 'out'
    assert run(model_files, str(folder), out) == 1  # before: 0
    assert 'no input could be processed (2 tried' in capsys.readouterr().err
    assert json.loads((out / 'summary.json').read_text())['frames'] == 2
    from mpafer_plugin.faces import media_inputs
    monkeypatch.setattr(media_inputs.cv2, 'VideoCapture', ClosedCamera)
    assert run(model_files, '7', tmp_path / 'camera') == 1
    one_good = tmp_path / 'mixed'
    one_good.mkdir()
    (one_good / 'a.jpg').write_bytes(b'not an image')
    cv2.imwrite(str(one_good / 'b.png'), np.full((64, 64, 3), 90, np.uint8))
    assert run(model_files, str(one_good), tmp_path / 'out2') == 0

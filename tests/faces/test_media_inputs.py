"""Inputs to frames: folders recursively, every N-th video frame, arrays of
any common layout as BGR, unreadable files reported."""
import cv2
import numpy as np
import pytest

from mpafer_plugin.faces import expand_inputs, iter_frames
from mpafer_plugin.faces.media_inputs import count_frames, to_bgr


def test_arrays_of_any_layout_become_bgr_uint8():
    gray = np.arange(12, dtype=np.uint8).reshape(3, 4)
    for array in (gray, gray[..., None], gray.astype(np.uint16) * 257,
                  gray.astype(np.float32) / 255):
        out = to_bgr(array)
        assert out.shape == (3, 4, 3) and out.dtype == np.uint8
        np.testing.assert_array_equal(out[..., 1], gray)
    bgra = np.dstack([np.full((2, 2), v, np.uint8) for v in (1, 2, 3, 4)])
    assert to_bgr(bgra)[0, 0].tolist() == [1, 2, 3]
    with pytest.raises(ValueError, match='shape'):
        to_bgr(np.zeros((2, 2, 2)))


def test_folder_is_searched_recursively_for_images(tmp_path):
    (tmp_path / 'b').mkdir()
    for name in ('a.PNG', 'b/c.jpg', 'b/readme.txt', 'b/d.bmp'):
        (tmp_path / name).write_bytes(b'')
    assert expand_inputs(str(tmp_path)) == [
        str(tmp_path / 'a.PNG'),
        str(tmp_path / 'b' / 'c.jpg'),
        str(tmp_path / 'b' / 'd.bmp')
    ]
    frames = list(iter_frames(expand_inputs(str(tmp_path))))
    assert all(f.image is None and f.error for f in frames)
    with pytest.raises(FileNotFoundError, match='missing.png'):
        expand_inputs(str(tmp_path / 'missing.png'))


def test_excluded_folders_are_never_searched(tmp_path):
    (tmp_path / 'out' / 'vis').mkdir(parents=True)
    for name in ('a.png', 'out/vis/a.png', 'out/results.png'):
        (tmp_path / name).write_bytes(b'')
    out = str(tmp_path / 'out')
    assert expand_inputs(
        str(tmp_path), exclude=[out + '/']) == [str(tmp_path / 'a.png')]
    with pytest.raises(ValueError, match='inside the output folder'):
        expand_inputs(str(tmp_path / 'out' / 'vis' / 'a.png'), exclude=[out])


def test_an_expanded_list_is_not_searched_again(tmp_path):
    (tmp_path / 'a.png').write_bytes(b'')
    items = expand_inputs(str(tmp_path))
    (tmp_path / 'a.png').unlink()  # deleted during the run
    assert expand_inputs(items) is items
    [frame] = iter_frames(items)
    assert frame.image is None and 'cannot read' in frame.error


def test_video_every_nth_frame(tmp_path):
    video = str(tmp_path / 'v.avi')
    writer = cv2.VideoWriter(video, cv2.VideoWriter_fourcc(*'MJPG'), 10,
                             (32, 24))
    for value in range(0, 250, 25):  # 10 frames of growing brightness
        writer.write(np.full((24, 32, 3), value, np.uint8))
    writer.release()
    items = expand_inputs(video)
    assert count_frames(items, 3) == 4
    frames = list(iter_frames(items, video_stride=3))
    assert [f.frame for f in frames] == [0, 3, 6, 9]
    brightness = [int(f.image.mean()) for f in frames]
    assert brightness == sorted(brightness) and brightness[0] < 10
    broken = tmp_path / 'broken.mp4'
    broken.write_bytes(b'no video here')
    [frame] = iter_frames([str(broken)])
    assert frame.image is None and 'video' in frame.error
    with pytest.raises(ValueError, match='video_stride'):
        next(iter_frames(items, video_stride=0))


def test_live_sources_are_recognised(tmp_path, monkeypatch):
    from mpafer_plugin.faces.media_inputs import is_stream
    assert is_stream('0') and is_stream('rtsp://host/stream')
    assert is_stream('http://host/video.mjpg')
    assert not is_stream('photo.jpg') and not is_stream('C:/x.jpg')
    monkeypatch.chdir(tmp_path)
    (tmp_path / '0').write_bytes(b'')  # a file named 0 is a file
    assert not is_stream('0')
    assert expand_inputs(['rtsp://host/stream']) == ['rtsp://host/stream']
    [frame] = iter_frames(['rtsp://127.0.0.1:9/none'])
    assert frame.image is None and 'cannot open this camera' in frame.error

"""IoU tracker: the same face keeps its id across frames, a new face gets a
new one, a new video starts over; smoothing is the documented moving
average and follows the predicted class."""
import pytest

from mpafer_plugin.faces.tracking import FaceTracker, box_iou


def record(frame, *faces, source='v.mp4'):
    return dict(
        source=source,
        frame=frame,
        faces=[
            dict(
                face=i,
                box=box,
                scores=dict(happy=p, sad=1 - p),
                pred_class='happy' if p >= 0.5 else 'sad')
            for i, (box, p) in enumerate(faces)
        ])


def test_iou():
    assert box_iou([0, 0, 10, 10], [0, 0, 10, 10]) == 1
    assert box_iou([0, 0, 10, 10], [5, 0, 15, 10]) == pytest.approx(50 / 150)
    assert box_iou([0, 0, 10, 10], [10, 0, 20, 10]) == 0


def test_ids_follow_the_boxes():
    tracker = FaceTracker()
    left, right = [0, 0, 10, 10], [50, 0, 60, 10]
    first = tracker.update(record(0, (left, 0.9), (right, 0.2)))
    assert [f['track'] for f in first['faces']] == [0, 1]
    # the faces swapped order in the record and moved a little
    second = tracker.update(
        record(1, ([51, 1, 61, 11], 0.2), ([1, 0, 11, 10], 0.9)))
    assert [f['track'] for f in second['faces']] == [1, 0]
    third = tracker.update(record(2, ([100, 0, 110, 10], 0.5)))
    assert [f['track'] for f in third['faces']] == [2]
    other = tracker.update(record(0, (left, 0.5), source='w.mp4'))
    assert [f['track'] for f in other['faces']] == [0]
    still = dict(source='a.jpg', frame=None, faces=[dict(face=0)])
    assert tracker.update(still) == dict(
        source='a.jpg', frame=None, faces=[dict(face=0)])


def test_smoothing_is_a_moving_average():
    tracker = FaceTracker(smoothing=0.75)
    box = [0, 0, 10, 10]
    tracker.update(record(0, (box, 0.9)))
    [face] = tracker.update(record(1, (box, 0.1)))['faces']
    assert face['scores']['happy'] == pytest.approx(0.75 * 0.9 + 0.25 * 0.1)
    assert face['raw_scores']['happy'] == pytest.approx(0.1)
    assert face['pred_class'] == 'happy'  # a one-frame flicker is smoothed
    assert face['pred_score'] == pytest.approx(0.7)
    [unsmoothed] = FaceTracker().update(record(1, (box, 0.1)))['faces']
    assert unsmoothed['pred_class'] == 'sad'
    with pytest.raises(ValueError, match=r'smoothing must be in \[0, 1\)'):
        FaceTracker(smoothing=1)

"""Results writer: parseable JSON / CSV, a complete file when the run is
interrupted (Ctrl-C), and an earlier file kept when the run crashes."""
import csv
import json

import pytest

from mpafer_plugin.faces import FaceResultsWriter

CLASSES = ['happy', 'sad']
RECORD = dict(
    source='a.jpg',
    frame=None,
    faces=[
        dict(
            face=0,
            box=[1, 2, 3, 4],
            aligned=True,
            pred_class='sad',
            pred_score=0.75,
            scores=dict(happy=0.25, sad=0.75)),
        dict(
            face=1,
            box=[5, 6, 7, 8],
            aligned=False,
            pred_class='happy',
            pred_score=0.5,
            scores=dict(happy=0.5, sad=0.5))
    ])
NO_FACE = dict(source='b.jpg', frame=3, faces=[])


@pytest.mark.parametrize('fmt', ['json', 'csv'])
def test_rows_parse_and_survive_an_exception(tmp_path, fmt):
    path = str(tmp_path / f'results.{fmt}')
    with pytest.raises(KeyboardInterrupt):
        with FaceResultsWriter(path, CLASSES, fmt) as writer:
            writer.write(RECORD)
            writer.write(NO_FACE)
            raise KeyboardInterrupt
    assert writer.rows == 2
    if fmt == 'json':
        rows = json.loads(open(path).read())
        assert rows[0] == dict(
            source='a.jpg',
            frame=None,
            time=None,
            track=None,
            face=0,
            box=[1, 2, 3, 4],
            aligned=True,
            pred_class='sad',
            pred_score=0.75,
            scores=dict(happy=0.25, sad=0.75))
    else:
        rows = list(csv.DictReader(open(path, newline='')))
        assert rows[1] == dict(
            source='a.jpg',
            frame='',
            time='',
            track='',
            face='1',
            x1='5',
            y1='6',
            x2='7',
            y2='8',
            aligned='0',
            pred_class='happy',
            pred_score='0.500000',
            prob_happy='0.500000',
            prob_sad='0.500000')
    assert len(rows) == 2


def test_empty_run_writes_an_empty_valid_file(tmp_path):
    path = str(tmp_path / 'results.json')
    with FaceResultsWriter(path, CLASSES) as writer:
        writer.write(NO_FACE)
    assert json.loads(open(path).read()) == []
    with pytest.raises(ValueError, match="'xml'"):
        FaceResultsWriter(path, CLASSES, 'xml')


@pytest.mark.parametrize('fmt', ['json', 'csv'])
def test_crash_keeps_the_earlier_file(tmp_path, fmt):
    path = tmp_path / f'results.{fmt}'
    path.write_text('earlier complete run')
    with pytest.raises(RuntimeError):
        with FaceResultsWriter(str(path), CLASSES, fmt) as writer:
            writer.write(RECORD)
            raise RuntimeError('crash')
    assert path.read_text() == 'earlier complete run'
    partial = open(writer.partial_path, newline='').read()
    rows = json.loads(partial) if fmt == 'json' else \
        list(csv.DictReader(partial.splitlines()))
    assert len(rows) == 2


def test_a_class_listed_twice_is_refused(tmp_path):
    """Two ``prob_anger`` columns would split one class's probability."""
    with pytest.raises(ValueError, match=r"\['anger'\] are listed more"):
        FaceResultsWriter(
            str(tmp_path / 'r.csv'), ['fear', 'anger', 'anger'], 'csv')

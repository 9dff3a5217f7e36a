"""Write per-face inference results as JSON or CSV, one row per face, as
they come: an interrupted run keeps every row written so far.

Row: ``source``, ``frame`` (video frame index, empty for an image),
``time`` (seconds into the video or since a live source opened, empty for
an image), ``track`` (the face's track id across video frames with
:class:`FaceTracker`, else empty), ``face`` (index in the image, left
to right), ``box`` (``x1, y1, x2, y2``, pixels, ``x2``/``y2``
exclusive), ``aligned`` (cropped on the eyes from the landmarks, else from
the box; CSV ``1`` / ``0``), ``pred_class``, ``pred_score`` and the
probability of every class. CSV flattens the box into ``x1 … y2`` and
the probabilities into ``prob_<class>`` columns; JSON is a list of
objects with ``box`` and ``scores`` (``{class: probability}``).

The rows go to a new file, ``<path>.partial``, which replaces ``path`` only
when the run ends: normally, or by Ctrl-C (``KeyboardInterrupt``: the user
ended it; every row so far is kept). On any other exception (a crash) the
partial file is closed as valid JSON / CSV and left beside ``path``, and an
earlier ``path`` (a complete run into the same folder) is kept as it was.
After a hard kill, ``<path>.partial`` holds every row written (CSV complete,
JSON without its closing bracket). ``tools/infer.py`` gives a path in its
staging folder (:class:`~mpafer_plugin.utils.StagedOutputs`), so its whole
set of outputs is replaced at once.
"""
import csv
import json
import os
import os.path as osp
from typing import Sequence

from ..utils.value_checks import check_class_names


def _blank(value):
    return '' if value is None else value


class FaceResultsWriter:
    """Context manager: ``with FaceResultsWriter(path, classes, fmt) as w:
    w.write(record)`` for each result of :class:`FERInferencer`.

    Args:
        path (str): the results file.
        classes (Sequence[str]): class names, in the model's order.
        fmt (str): ``'json'`` or ``'csv'``.
    """

    FORMATS = ('json', 'csv')

    def __init__(self, path: str, classes: Sequence[str], fmt: str = 'json'):
        if fmt not in self.FORMATS:
            raise ValueError(f'format must be one of {self.FORMATS}, not '
                             f'{fmt!r}.')
        self.path, self.fmt = path, fmt
        self.classes = check_class_names(classes, 'FaceResultsWriter classes')
        self.rows = 0
        self._file = None

    def __enter__(self):
        os.makedirs(osp.dirname(osp.abspath(self.path)), exist_ok=True)
        self._file = open(self.partial_path, 'w', newline='', encoding='utf-8')
        if self.fmt == 'csv':
            self._csv = csv.writer(self._file)
            self._csv.writerow([
                'source', 'frame', 'time', 'track', 'face', 'x1', 'y1', 'x2',
                'y2', 'aligned', 'pred_class', 'pred_score'
            ] + [f'prob_{name}' for name in self.classes])
        else:
            self._file.write('[')
        self._file.flush()
        return self

    def write(self, record: dict) -> None:
        """Write one row per face of ``record`` and flush."""
        for face in record['faces']:
            scores = [float(face['scores'][name]) for name in self.classes]
            if self.fmt == 'csv':
                self._csv.writerow([
                    record['source'],
                    _blank(record['frame']),
                    _blank(record.get('time')),
                    _blank(face.get('track')), face['face'], *face['box'],
                    int(bool(face.get('aligned'))), face['pred_class'],
                    f'{face["pred_score"]:.6f}'
                ] + [f'{p:.6f}' for p in scores])
            else:
                row = dict(
                    source=record['source'],
                    frame=record['frame'],
                    time=record.get('time'),
                    track=face.get('track'),
                    face=face['face'],
                    box=list(face['box']),
                    aligned=bool(face.get('aligned')),
                    pred_class=face['pred_class'],
                    pred_score=float(face['pred_score']),
                    scores=dict(zip(self.classes, scores)))
                if 'zero_shot' in face:  # FERInferencer(compare_zero_shot)
                    row['zero_shot'] = face['zero_shot']
                self._file.write((',\n ' if self.rows else '\n ') +
                                 json.dumps(row))
            self.rows += 1
        self._file.flush()

    @property
    def partial_path(self) -> str:
        return self.path + '.partial'

    def __exit__(self, exc_type, exc_value, traceback):
        if self.fmt == 'json':
            self._file.write('\n]\n')
        self._file.close()
        if exc_type is None or issubclass(exc_type, KeyboardInterrupt):
            os.replace(self.partial_path, self.path)
        return False

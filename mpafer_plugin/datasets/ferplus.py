"""FERPlus: the FER2013 images with the FER+ crowd votes."""
import warnings
from typing import List, Optional, Sequence, Tuple

import numpy as np
from mmpretrain.registry import DATASETS

from .fer_dataset import FERDataset, check_choice
from .utils import read_csv_rows

EMOTIONS = ('neutral', 'happiness', 'surprise', 'sadness', 'anger', 'disgust',
            'fear', 'contempt')
VOTE_COLUMNS = EMOTIONS + ('unknown', 'NF')
USAGES = {'train': 'Training', 'val': 'PublicTest', 'test': 'PrivateTest'}
FOLDERS = {
    'train': 'FER2013Train',
    'val': 'FER2013Valid',
    'test': 'FER2013Test'
}
FER_FILES = ('fer2013.csv', 'icml_face_data.csv')
LABEL_MODES = ('majority', 'argmax', 'argmax8', 'probability')
SIDE = 48


def vote_label(votes: Sequence[int], mode: str = 'majority') -> Optional[int]:
    """The class of one image from its 10 vote counts (``VOTE_COLUMNS``
    order), or ``None`` if the image is dropped.

    - ``majority`` (official): zero every count <= 1; keep the top class if
      its count is > 50 % of the remaining votes (so ties are dropped), drop
      it if it is unknown or NF.
    - ``argmax``: the first maximum over all 10 counts; drop unknown/NF
      winners and rows without votes.
    - ``argmax8``: the first maximum over the 8 emotions; drop rows without
      emotion votes.
    - ``probability``: the class that :func:`vote_distribution`'s target
      peaks at (zero every count <= 1; the first maximum over all 10 counts;
      drop unknown/NF winners and rows without votes).
    """
    check_choice('label_mode', mode, LABEL_MODES)
    votes = list(votes)
    if mode == 'argmax8':
        votes = votes[:len(EMOTIONS)]
    elif mode in ('majority', 'probability'):
        votes = [v if v > 1 else 0 for v in votes]
    top = max(votes)
    if top == 0 or (mode == 'majority' and not 2 * top > sum(votes)):
        return None
    label = votes.index(top)
    return label if label < len(EMOTIONS) else None


def vote_distribution(votes: Sequence[int]) -> np.ndarray:
    """The soft target of one image (``label_mode='probability'``): its
    counts over the 8 emotions (``EMOTIONS`` order), a count <= 1 set to 0
    (one annotator alone is an outlier, as in the majority rule), divided by
    their sum,

    .. math:: q_c = \\frac{n_c [n_c > 1]}{\\sum_{k=1}^{8} n_k [n_k > 1]},

    ``(8,)`` float32 summing to 1. Unknown and NF votes are not classes and
    are left out. Only called for images :func:`vote_label` keeps, which
    have an emotion count > 1."""
    counts = np.array([v if v > 1 else 0 for v in list(votes)[:len(EMOTIONS)]],
                      dtype=np.float64)
    return (counts / counts.sum()).astype(np.float32)


def _parse_votes(fields: List[str], where: str) -> List[int]:
    try:
        votes = [int(v) for v in fields]
    except ValueError:
        votes = []
    if len(votes) != len(VOTE_COLUMNS) or min(votes) < 0:
        raise ValueError(f'{where}: expected {len(VOTE_COLUMNS)} vote counts '
                         f'({",".join(VOTE_COLUMNS)}), got {fields}.')
    return votes


def _decode_pixels(text: str, where: str) -> np.ndarray:
    """A ``48 x 48`` uint8 gray image from 2,304 space-separated values."""
    with warnings.catch_warnings():  # older numpy warns on bad data
        warnings.simplefilter('ignore', DeprecationWarning)
        try:
            values = np.fromstring(text, dtype=np.int64, sep=' ')
        except ValueError:
            values = np.empty(0, dtype=np.int64)
    if values.size != SIDE * SIDE or values.min() < 0 or values.max() > 255:
        raise ValueError(f'{where}: pixels are not {SIDE * SIDE} '
                         f'space-separated integers in 0..255.')
    return values.astype(np.uint8).reshape(SIDE, SIDE)


@DATASETS.register_module()
class FERPlus(FERDataset):
    """FERPlus, from the FER2013 csv or the official generator's folders.

    ``layout='csv'``::

        <data_root>/
          fer2013.csv       emotion,pixels,Usage   (or icml_face_data.csv:
                            "emotion, Usage, pixels")
          fer2013new.csv    Usage,Image name,neutral,...,contempt,unknown,NF

    Row *i* of ``fer2013new.csv`` holds the votes (out of 10) for row *i* of
    ``fer2013.csv``, whose ``pixels`` are a 48x48 gray image and ``Usage``
    the split (Training / PublicTest / PrivateTest). Rows with an empty
    ``Image name`` are skipped (the count is logged); a name listed twice
    (in any split) is refused, naming both lines. The pixels of the split's
    kept rows are decoded (and checked) once and kept as one uint8 array per
    image; each data info carries ``img`` (48x48x3 uint8), so pipelines
    must start with :class:`LoadFERImage`, not ``LoadImageFromFile``.

    ``layout='folder'``, written by the official generator::

        <data_root>/FER2013Train/  FER2013Valid/  FER2013Test/
          label.csv     ferXXXXXXX.png,"(0, 0, 48, 48)",<10 vote counts>
          ferXXXXXXX.png

    (no header; an older vote version than ``fer2013new.csv``). Data infos
    carry ``img_path``. ``layout='auto'`` takes the csv layout if a FER2013
    csv exists, else the folder layout if the split's folder exists.

    Classes, in index order: Neutral, Happiness, Surprise, Sadness, Anger,
    Disgust, Fear, Contempt. ``label_mode`` picks the label rule, see
    :func:`vote_label`; FER2013Test has 3,153 images with ``majority``,
    3,546 with ``argmax``, 3,573 with ``argmax8`` (``fer2013new.csv``
    votes). The split size and the dropped rows are logged.

    Args:
        data_root (str): the folder holding the files above.
        split (str): ``'train'``, ``'val'`` (PublicTest) or ``'test'``
            (PrivateTest).
        layout (str): ``'auto'``, ``'csv'`` or ``'folder'``.
        label_mode (str): ``'majority'``, ``'argmax'``, ``'argmax8'`` or
            ``'probability'`` (each data info also carries ``gt_score``, the
            soft target of :func:`vote_distribution`, for a cross-entropy to
            the vote distribution; evaluate on ``'majority'``).
        fer_file (str, optional): csv layout image file, relative to
            ``data_root``; default the first of ``fer2013.csv``,
            ``icml_face_data.csv`` that exists.
        label_file (str): csv layout vote file, relative to ``data_root``.
        **kwargs: other :class:`FERDataset` arguments (``backend_args``,
            ``pipeline``…).

    Layouts, duplicate names and image files are checked by
    :class:`FERDataset`.
    """

    NAME = 'FERPlus'
    SPLITS = tuple(USAGES)
    LAYOUTS = ('csv', 'folder')
    METAINFO = dict(classes=tuple(e.capitalize() for e in EMOTIONS))

    def __init__(self,
                 data_root: str,
                 split: str = 'train',
                 layout: str = 'auto',
                 label_mode: str = 'majority',
                 fer_file: Optional[str] = None,
                 label_file: str = 'fer2013new.csv',
                 **kwargs):
        check_choice('label_mode', label_mode, LABEL_MODES)
        self.label_mode = label_mode
        self.fer_file = fer_file
        self._unnamed = 0
        super().__init__(
            data_root=data_root,
            split=split,
            layout=layout,
            ann_file=label_file,
            **kwargs)

    def get_data_info(self, idx: int) -> dict:
        """The data info; a decoded gray image becomes ``img`` HxWx3."""
        info = super().get_data_info(idx)
        if 'img' in info:
            info['img'] = np.repeat(info['img'][..., None], 3, axis=2)
            info['img_shape'] = info['ori_shape'] = info['img'].shape[:2]
        return info

    def layout_candidates(self) -> List[Tuple[str, str, str]]:
        return [('csv', path, 'file') for path in self._fer_candidates()
                ] + [('folder', self._folder(), 'folder')]

    def read_layout(self, layout: str) -> Tuple[List[dict], str]:
        self._unnamed = 0
        if layout == 'folder':
            label_csv = self.file_backend.join_path(self._folder(),
                                                    'label.csv')
            return self._read_folder(label_csv), label_csv
        fer_file = next((path for path in self._fer_candidates()
                         if self.file_backend.isfile(path)), None)
        if fer_file is None:
            raise FileNotFoundError(
                f'FER2013 image file not found: looked for '
                f'{" or ".join(self._fer_candidates())}.')
        return self._read_csv(fer_file), f'{fer_file} + {self.ann_file}'

    def select(self, rows: List[dict]) -> Tuple[List[dict], str]:
        """Keep the images the label rule labels."""
        kept = [row for row in rows if row['gt_label'] is not None]
        return kept, (f' under label_mode={self.label_mode!r} ('
                      f'{len(rows) - len(kept)} dropped by the label rule, '
                      f'{self._unnamed} rows without a name)')

    def _targets(self, votes: List[int]) -> dict:
        """``gt_label`` (``None`` if the label rule drops the image) and,
        with ``label_mode='probability'``, the soft target ``gt_score``."""
        label = vote_label(votes, self.label_mode)
        if self.label_mode != 'probability' or label is None:
            return dict(gt_label=label)
        return dict(gt_label=label, gt_score=vote_distribution(votes))

    def _folder(self) -> str:
        return self.file_backend.join_path(self.data_root, FOLDERS[self.split])

    def _fer_candidates(self) -> List[str]:
        names = FER_FILES if self.fer_file is None else (self.fer_file, )
        return [
            self.file_backend.join_path(self.data_root, name) for name in names
        ]

    def _named(self, name: str, split: str) -> bool:
        """Whether a row has an image name; an unnamed row of the split is
        counted."""
        if not name:
            self._unnamed += split == self.split
        return bool(name)

    def _read_csv(self, fer_file: str) -> List[dict]:
        """Rows of every split; the pixels of the split's labelled images
        are decoded (``img``)."""
        labels = _read_vote_rows(self.file_backend, self.ann_file)
        images = read_csv_rows(self.file_backend, fer_file)
        header = [name.strip() for name in next(images, (0, []))[1]]
        if sorted(header) != ['Usage', 'emotion', 'pixels']:
            raise ValueError(f'{fer_file}: expected the columns emotion, '
                             f'pixels, Usage (any order), got {header}.')
        pixels_col, usage_col = header.index('pixels'), header.index('Usage')
        splits = {usage: split for split, usage in USAGES.items()}
        rows, num_images = [], 0
        for i, (lineno, row) in enumerate(images):
            num_images = i + 1
            if i == len(labels):
                break  # more images than vote rows, reported below
            where = f'{fer_file}:{lineno}'
            if len(row) != len(header):
                raise ValueError(f'{where}: expected {len(header)} columns, '
                                 f'got {len(row)}.')
            label_lineno, label_row = labels[i]
            label_where = f'{self.ann_file}:{label_lineno}'
            if len(label_row) != 2 + len(VOTE_COLUMNS):
                raise ValueError(f'{label_where}: expected '
                                 f'{2 + len(VOTE_COLUMNS)} columns, got '
                                 f'{len(label_row)}.')
            targets = self._targets(_parse_votes(label_row[2:], label_where))
            split = splits.get(row[usage_col].strip())
            if split is None:
                raise ValueError(f'{where}: Usage {row[usage_col].strip()!r} '
                                 f'is not one of {sorted(splits)}.')
            name = label_row[1].strip()
            if not self._named(name, split):
                continue
            info = dict(**targets, _id=name, _where=label_where, _split=split)
            if split == self.split and targets['gt_label'] is not None:
                info['img'] = _decode_pixels(row[pixels_col], where)
            rows.append(info)
        if num_images != len(labels):
            more = 'at least ' if num_images > len(labels) else ''
            raise ValueError(
                f'{fer_file} has {more}{num_images} image rows but '
                f'{self.ann_file} has {len(labels)} vote rows: they must '
                f'match row by row.')
        return rows

    def _read_folder(self, label_csv: str) -> List[dict]:
        """The rows of ``<folder>/label.csv``."""
        folder = self._folder()
        rows = []
        for lineno, row in read_csv_rows(self.file_backend, label_csv):
            where = f'{label_csv}:{lineno}'
            if len(row) != 2 + len(VOTE_COLUMNS):
                raise ValueError(f'{where}: expected {2 + len(VOTE_COLUMNS)} '
                                 f'columns (name, face box, votes), got '
                                 f'{len(row)}.')
            targets = self._targets(_parse_votes(row[2:], where))
            name = row[0].strip()
            if self._named(name, self.split):
                rows.append(
                    dict(
                        img_path=self.file_backend.join_path(folder, name),
                        **targets,
                        _id=name,
                        _where=where))
        return rows


def _read_vote_rows(backend, path: str) -> List[Tuple[int, List[str]]]:
    """The ``(line number, fields)`` rows of ``fer2013new.csv`` after its
    header, which is checked."""
    rows = list(read_csv_rows(backend, path))
    expected = ('Usage', 'Image name') + VOTE_COLUMNS
    header = tuple(name.strip() for name in rows[0][1]) if rows else ()
    if header != expected:
        where = f'{path}:{rows[0][0]}' if rows else path
        raise ValueError(f'{where}: expected the header '
                         f'{",".join(expected)}, got {",".join(header)}.')
    return rows[1:]

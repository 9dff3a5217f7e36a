"""FERPlus: the FER2013 images with the FER+ crowd votes."""
import os.path as osp
import warnings
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.logging import MMLogger
from mmpretrain.datasets import BaseDataset
from mmpretrain.registry import DATASETS

from .utils import check_images_exist, read_csv_rows

EMOTIONS = ('neutral', 'happiness', 'surprise', 'sadness', 'anger',
            'disgust', 'fear', 'contempt')
VOTE_COLUMNS = EMOTIONS + ('unknown', 'NF')
USAGES = {'train': 'Training', 'val': 'PublicTest', 'test': 'PrivateTest'}
FOLDERS = {'train': 'FER2013Train', 'val': 'FER2013Valid',
           'test': 'FER2013Test'}
FER_FILES = ('fer2013.csv', 'icml_face_data.csv')
LABEL_MODES = ('majority', 'argmax', 'argmax8')
LAYOUTS = ('auto', 'csv', 'folder')
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
    """
    if mode not in LABEL_MODES:
        raise ValueError(f'label_mode must be one of {LABEL_MODES}, got '
                         f'{mode!r}.')
    votes = list(votes)
    if mode == 'argmax8':
        votes = votes[:len(EMOTIONS)]
    elif mode == 'majority':
        votes = [v if v > 1 else 0 for v in votes]
    top = max(votes)
    if top == 0 or (mode == 'majority' and not 2 * top > sum(votes)):
        return None
    label = votes.index(top)
    return label if label < len(EMOTIONS) else None


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
class FERPlus(BaseDataset):
    """FERPlus, from the FER2013 csv or the official generator's folders.

    ``layout='csv'``::

        <data_root>/
          fer2013.csv       emotion,pixels,Usage   (or icml_face_data.csv:
                            "emotion, Usage, pixels")
          fer2013new.csv    Usage,Image name,neutral,...,contempt,unknown,NF

    Row *i* of ``fer2013new.csv`` holds the votes (out of 10) for row *i* of
    ``fer2013.csv``, whose ``pixels`` are a 48x48 gray image and ``Usage``
    the split (Training / PublicTest / PrivateTest). Rows with an empty
    ``Image name`` are skipped; for a repeated name the later row wins (as
    in the official generator). The pixels of the split's kept rows are
    decoded (and checked) once and kept as one uint8 array per image; each
    data info carries ``img`` (48x48x3 uint8), so pipelines must start with
    :class:`LoadFERImage`, not ``LoadImageFromFile``.

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
        label_mode (str): ``'majority'``, ``'argmax'`` or ``'argmax8'``.
        fer_file (str, optional): csv layout image file, relative to
            ``data_root``; default the first of ``fer2013.csv``,
            ``icml_face_data.csv`` that exists.
        label_file (str): csv layout vote file, relative to ``data_root``.
        **kwargs: other :class:`mmpretrain.datasets.BaseDataset` arguments.
    """

    METAINFO = dict(classes=tuple(e.capitalize() for e in EMOTIONS))

    def __init__(self,
                 data_root: str,
                 split: str = 'train',
                 layout: str = 'auto',
                 label_mode: str = 'majority',
                 fer_file: Optional[str] = None,
                 label_file: str = 'fer2013new.csv',
                 **kwargs):
        if split not in USAGES:
            raise ValueError(f'split must be one of {sorted(USAGES)}, got '
                             f'{split!r}.')
        if layout not in LAYOUTS:
            raise ValueError(f'layout must be one of {LAYOUTS}, got '
                             f'{layout!r}.')
        if label_mode not in LABEL_MODES:
            raise ValueError(f'label_mode must be one of {LABEL_MODES}, got '
                             f'{label_mode!r}.')
        self.split = split
        self.layout = layout
        self.label_mode = label_mode
        self.fer_file = fer_file
        super().__init__(ann_file=label_file, data_root=data_root, **kwargs)

    def get_data_info(self, idx: int) -> dict:
        """The data info; a decoded gray image becomes ``img`` HxWx3."""
        info = super().get_data_info(idx)
        if 'img' in info:
            info['img'] = np.repeat(info['img'][..., None], 3, axis=2)
            info['img_shape'] = info['ori_shape'] = info['img'].shape[:2]
        return info

    def load_data_list(self) -> List[dict]:
        """Read the split in the layout found (or asked for), label it."""
        fer_file = self._find_fer_file()
        folder = osp.join(self.data_root, FOLDERS[self.split])
        layout = self.layout
        if layout == 'auto':
            if fer_file is not None:
                layout = 'csv'
            elif osp.isdir(folder):
                layout = 'folder'
            else:
                raise FileNotFoundError(
                    f'No FERPlus {self.split} split found: looked for '
                    f'{" or ".join(self._fer_candidates())} (csv layout) '
                    f'and the folder {folder} (folder layout).')
        if layout == 'csv':
            if fer_file is None:
                raise FileNotFoundError(
                    f'FER2013 image file not found: looked for '
                    f'{" or ".join(self._fer_candidates())}.')
            entries, skipped = self._read_csv(fer_file)
            source = f'{fer_file} + {self.ann_file}'
        else:
            entries, skipped = self._read_folder(folder)
            source = osp.join(folder, 'label.csv')
        data_list = [dict(gt_label=label, **image)
                     for image, label in entries.values() if label is not None]
        MMLogger.get_current_instance().info(
            f'FERPlus {self.split} ({layout} layout, {self.label_mode}): '
            f'{len(data_list)} images; dropped {len(entries) - len(data_list)}'
            f' by the label rule, {skipped["unnamed"]} rows without a name, '
            f'{skipped["repeated"]} rows repeating a later name.')
        if not data_list:
            raise ValueError(f'{source}: no {self.split} images are left '
                             f'under label_mode={self.label_mode!r}.')
        if layout == 'folder':
            check_images_exist(data_list, self.split, source)
        return data_list

    def _fer_candidates(self) -> List[str]:
        names = FER_FILES if self.fer_file is None else (self.fer_file, )
        return [osp.join(self.data_root, name) for name in names]

    def _find_fer_file(self) -> Optional[str]:
        return next((path for path in self._fer_candidates()
                     if osp.isfile(path)), None)

    def _read_csv(self, fer_file: str) -> Tuple[Dict, Dict]:
        """The split's ``{name: ({'img': gray} or None, label or None)}``
        (only kept images are decoded) and skip counts."""
        labels = _read_vote_rows(self.ann_file)
        latest = {}  # name -> index of its last label row
        for i, (_, row) in enumerate(labels):
            name = row[1].strip() if len(row) > 1 else ''
            if name:
                latest[name] = i
        images = read_csv_rows(fer_file)
        header = [name.strip() for name in next(images, (0, []))[1]]
        if sorted(header) != ['Usage', 'emotion', 'pixels']:
            raise ValueError(f'{fer_file}: expected the columns emotion, '
                             f'pixels, Usage (any order), got {header}.')
        pixels_col, usage_col = header.index('pixels'), header.index('Usage')
        entries, skipped = {}, dict(unnamed=0, repeated=0)
        num_images = 0
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
            label = vote_label(_parse_votes(label_row[2:], label_where),
                               self.label_mode)
            usage = row[usage_col].strip()
            if usage not in USAGES.values():
                raise ValueError(f'{where}: Usage {usage!r} is not one of '
                                 f'{sorted(USAGES.values())}.')
            if usage != USAGES[self.split]:
                continue
            name = label_row[1].strip()
            if not name:
                skipped['unnamed'] += 1
            elif latest[name] != i:
                skipped['repeated'] += 1
            else:
                entries[name] = (None if label is None else dict(
                    img=_decode_pixels(row[pixels_col], where)), label)
        if num_images != len(labels):
            more = 'at least ' if num_images > len(labels) else ''
            raise ValueError(
                f'{fer_file} has {more}{num_images} image rows but '
                f'{self.ann_file} has {len(labels)} vote rows: they must '
                f'match row by row.')
        return entries, skipped

    def _read_folder(self, folder: str) -> Tuple[Dict, Dict]:
        """The split's ``{name: ({'img_path': path}, label or None)}`` and
        skip counts, from ``<folder>/label.csv``."""
        label_csv = osp.join(folder, 'label.csv')
        entries, skipped = {}, dict(unnamed=0, repeated=0)
        for lineno, row in read_csv_rows(label_csv):
            where = f'{label_csv}:{lineno}'
            if len(row) != 2 + len(VOTE_COLUMNS):
                raise ValueError(f'{where}: expected {2 + len(VOTE_COLUMNS)} '
                                 f'columns (name, face box, votes), got '
                                 f'{len(row)}.')
            label = vote_label(_parse_votes(row[2:], where),
                               self.label_mode)
            name = row[0].strip()
            if not name:
                skipped['unnamed'] += 1
                continue
            skipped['repeated'] += name in entries
            entries[name] = (dict(img_path=osp.join(folder, name)), label)
        return entries, skipped


def _read_vote_rows(path: str) -> List[Tuple[int, List[str]]]:
    """The ``(line number, fields)`` rows of ``fer2013new.csv`` after its
    header, which is checked."""
    rows = list(read_csv_rows(path))
    expected = ('Usage', 'Image name') + VOTE_COLUMNS
    header = tuple(name.strip() for name in rows[0][1]) if rows else ()
    if header != expected:
        where = f'{path}:{rows[0][0]}' if rows else path
        raise ValueError(f'{where}: expected the header '
                         f'{",".join(expected)}, got {",".join(header)}.')
    return rows[1:]

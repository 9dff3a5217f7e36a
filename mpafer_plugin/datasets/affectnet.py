"""AffectNet (manually annotated part) in both of its release layouts."""
import io
import posixpath
from collections import Counter
from typing import List, Optional, Tuple

import numpy as np
from mmpretrain.registry import DATASETS

from .fer_dataset import FERDataset, check_choice
from .utils import list_names, read_csv_rows

# Expression ids 0..10; 8..10 are never an expression class.
ID_NAMES = ('Neutral', 'Happiness', 'Sadness', 'Surprise', 'Fear', 'Disgust',
            'Anger', 'Contempt', 'None', 'Uncertain', 'Non-Face')
CLASSES = ID_NAMES[:8]
COLUMNS = ('subDirectory_filePath', 'face_x', 'face_y', 'face_width',
           'face_height', 'facial_landmarks', 'expression', 'valence',
           'arousal')
CSV_FILES = {'train': 'training.csv', 'val': 'validation.csv'}
NPY_DIRS = {'train': 'train_set', 'val': 'val_set'}
NPY_SUFFIX = '_exp.npy'
VA_SUFFIXES = ('_val.npy', '_aro.npy')
INVALID_VA = -2.0  # the csv's "no valence / arousal" value


def _as_va(values, where: str) -> Optional[np.ndarray]:
    """``(2,)`` float32 valence and arousal in ``[-1, 1]``, or ``None`` when
    either is the invalid marker -2."""
    try:
        va = np.array([float(str(v).strip()) for v in values], np.float32)
    except ValueError:
        va = np.array([np.nan], np.float32)
    if va.shape == (2, ) and (va == INVALID_VA).any():
        return None
    if va.shape != (2, ) or not (np.abs(va) <= 1).all():
        raise ValueError(f'{where}: valence and arousal {list(values)} are '
                         f'not two numbers in [-1, 1] (or -2, invalid).')
    return va


def _as_id(value) -> Optional[int]:
    """The expression id in a csv field or an ``.npy`` scalar (the newer
    release stores strings such as ``'3'``), or ``None`` if it is not an
    integer in 0..10."""
    try:
        expression = int(str(value).strip())
    except ValueError:
        return None
    return expression if 0 <= expression < len(ID_NAMES) else None


def _natural_key(stem: str):
    """Sort numeric ids as numbers, after them any other names."""
    return (0, int(stem), '') if stem.isdigit() else (1, 0, stem)


@DATASETS.register_module()
class AffectNet(FERDataset):
    """AffectNet's manually annotated images, in either release layout.

    ``layout='csv'``, the original release::

        <data_root>/
          Manually_Annotated_file_lists/training.csv    validation.csv
          Manually_Annotated_Images/<subDirectory_filePath>

    Columns: ``subDirectory_filePath, face_x, face_y, face_width,
    face_height, facial_landmarks, expression, valence, arousal``; the
    landmarks are 136 floats joined by ``;``. A header row is detected (its
    first field is ``subDirectory_filePath``): copies of ``validation.csv``
    disagree on having one.

    ``layout='npy'``, the newer release (images are already face crops)::

        <data_root>/{train_set,val_set}/
          images/<id>.jpg
          annotations/<id>_exp.npy    (also _val, _aro, _lnd, unused)

    ``layout='auto'`` takes the csv layout if its label file exists, else the
    npy layout if ``<data_root>/train_set`` (or ``val_set``) exists.

    Expression ids: 0 Neutral, 1 Happiness, 2 Sadness, 3 Surprise, 4 Fear,
    5 Disgust, 6 Anger, 7 Contempt, 8 None, 9 Uncertain, 10 Non-Face; the id
    is the ``gt_label``. Protocols: AffectNet-7 keeps 0..6, AffectNet-8 keeps
    0..7; 8..10 are always dropped, and the counts dropped are logged. The
    official validation set has 500 images per class.

    Args:
        data_root (str): the AffectNet folder.
        split (str): ``'train'`` or ``'val'``.
        num_classes (int): 7 or 8, the protocol.
        ann_file (str, optional): csv label file relative to ``data_root``;
            default ``Manually_Annotated_file_lists/{training,validation}
            .csv``.
        img_dir (str): csv-layout image folder relative to ``data_root``.
        crop_face (bool): csv layout only: put ``face_bbox = (x, y, x + w,
            y + h)`` in each data info, for :class:`CropFaceBox`.
        layout (str): ``'auto'``, ``'csv'`` or ``'npy'``.
        valence_arousal (bool): put ``gt_va`` (``(2,)`` float32 valence and
            arousal, from the csv's columns or ``<id>_val.npy`` /
            ``<id>_aro.npy``) in each data info, and drop the images whose
            valence or arousal is the invalid value -2, counted in the log
            like the excluded expressions. Pack it with
            ``PackInputs(algorithm_keys=('gt_va', ))``.
        **kwargs: other :class:`FERDataset` arguments (``backend_args``,
            ``pipeline``…).

    Layouts, duplicate rows and image files are checked by
    :class:`FERDataset`.
    """

    NAME = 'AffectNet'
    SPLITS = tuple(CSV_FILES)
    LAYOUTS = ('csv', 'npy')
    METAINFO = dict(classes=CLASSES)

    def __init__(self,
                 data_root: str,
                 split: str = 'train',
                 num_classes: int = 7,
                 ann_file: Optional[str] = None,
                 img_dir: str = 'Manually_Annotated_Images',
                 crop_face: bool = False,
                 layout: str = 'auto',
                 valence_arousal: bool = False,
                 **kwargs):
        check_choice('num_classes', num_classes, (7, 8))
        self.valence_arousal = valence_arousal
        if ann_file is None and split in CSV_FILES:
            ann_file = f'Manually_Annotated_file_lists/{CSV_FILES[split]}'
        self.num_classes = num_classes
        self.crop_face = crop_face
        self._ann_split = split  # the split ann_file belongs to
        metainfo = dict(kwargs.pop('metainfo', None) or {})
        if kwargs.get('classes') is None:
            metainfo.setdefault('classes', CLASSES[:num_classes])
        super().__init__(
            data_root=data_root,
            split=split,
            layout=layout,
            ann_file=ann_file or '',
            data_prefix=dict(img_path=img_dir),
            metainfo=metainfo,
            **kwargs)

    def own_classes(self) -> Tuple[str, ...]:
        return CLASSES[:self.num_classes]

    def label_name(self, label) -> str:
        return f'{label} {ID_NAMES[label]}'

    def layout_candidates(self) -> List[Tuple[str, str, str]]:
        return [('csv', self._csv_file(), 'file'),
                ('npy', self._npy_dir(), 'folder')]

    def read_layout(self, layout: str) -> Tuple[List[dict], str]:
        if layout == 'csv':
            return self._read_csv(), self._csv_file()
        if self.crop_face:
            raise ValueError('crop_face needs the csv layout: the npy '
                             'layout has no face boxes (its images are '
                             'already face crops).')
        ann_dir = self.file_backend.join_path(self._npy_dir(), 'annotations')
        return self._read_npy(ann_dir), ann_dir

    def read_other_split(self, layout: str) -> List[dict]:
        if layout == 'csv':
            # an ann_file of another name may be this split's own list
            return [] if self._csv_file() == self.ann_file else \
                self._read_csv()
        return self._read_npy(
            self.file_backend.join_path(self._npy_dir(), 'annotations'),
            labels=False)

    def _csv_file(self) -> str:
        """The label file of ``self.split``: ``ann_file`` for the split it
        was given for, else the official name beside it."""
        if self.split == self._ann_split:
            return self.ann_file
        return posixpath.join(
            posixpath.dirname(self.ann_file), CSV_FILES[self.split])

    def select(self, rows: List[dict]) -> Tuple[List[dict], str]:
        """Keep the protocol's classes; count the rows dropped per id."""
        kept = [row for row in rows if row['gt_label'] < self.num_classes]
        dropped = Counter(row['gt_label'] for row in rows
                          if row['gt_label'] >= self.num_classes)
        detail = ', '.join(f'{i} {ID_NAMES[i]}: {dropped[i]}'
                           for i in sorted(dropped))
        note = ''
        if self.valence_arousal:
            valid = [row for row in kept if row['gt_va'] is not None]
            note = (f', dropped {len(kept) - len(valid)} more with invalid '
                    f'(-2) valence or arousal')
            kept = valid
        return kept, (f' with an expression id in 0..{self.num_classes - 1} '
                      f'(AffectNet-{self.num_classes}: kept {len(kept)} of '
                      f'{len(rows)} rows, dropped {sum(dropped.values())} '
                      f'by the protocol ({detail or "none"}){note})')

    def _npy_dir(self) -> str:
        return self.file_backend.join_path(self.data_root,
                                           NPY_DIRS[self.split])

    def _read_csv(self) -> List[dict]:
        """All rows of the label file, as rows of :class:`FERDataset`."""
        img_dir = self.data_prefix['img_path']
        rows = []
        ann_file = self._csv_file()
        for n, (lineno,
                row) in enumerate(read_csv_rows(self.file_backend, ann_file)):
            if n == 0 and row[0].strip() == COLUMNS[0]:
                continue  # header
            where = f'{ann_file}:{lineno}'
            if len(row) != len(COLUMNS):
                raise ValueError(f'{where}: expected {len(COLUMNS)} columns '
                                 f'({",".join(COLUMNS)}), got {len(row)}.')
            expression = _as_id(row[6])
            if expression is None:
                raise ValueError(f'{where}: expression {row[6]!r} is not an '
                                 f'integer in 0..{len(ID_NAMES) - 1}.')
            name = row[0].strip()
            info = dict(
                img_path=self.file_backend.join_path(img_dir, name),
                gt_label=expression,
                _id=name,
                _where=where)
            if self.crop_face:
                info['face_bbox'] = self._face_bbox(row[1:5], where)
            if self.valence_arousal:
                info['gt_va'] = _as_va(row[7:9], where)
            rows.append(info)
        return rows

    @staticmethod
    def _face_bbox(fields: List[str], where: str) -> tuple:
        try:
            x, y, w, h = (int(v) for v in fields)
        except ValueError:
            raise ValueError(f'{where}: face box {fields} is not four '
                             f'integers.') from None
        if w <= 0 or h <= 0:
            raise ValueError(f'{where}: face box {fields} has no area.')
        if x + w <= 0 or y + h <= 0:
            raise ValueError(f'{where}: face box {fields} lies outside the '
                             f'image (left of or above it).')
        return (x, y, x + w, y + h)

    def _read_npy(self, ann_dir: str, labels: bool = True) -> List[dict]:
        """All ``annotations/<id>_exp.npy`` of the split, as rows (without
        reading the labels, ``gt_label=None``, unless ``labels``)."""
        backend = self.file_backend
        if not backend.isdir(ann_dir):
            raise FileNotFoundError(f'AffectNet annotation folder {ann_dir} '
                                    f'does not exist.')
        stems = sorted(
            (name[:-len(NPY_SUFFIX)] for name in list_names(backend, ann_dir)
             if name.endswith(NPY_SUFFIX) and not name.startswith('.')),
            key=_natural_key)
        img_dir = backend.join_path(self._npy_dir(), 'images')
        rows = []
        for stem in stems:
            path = backend.join_path(ann_dir, stem + NPY_SUFFIX)
            img_path = backend.join_path(img_dir, stem + '.jpg')
            if not labels:
                rows.append(
                    dict(
                        img_path=img_path,
                        gt_label=None,
                        _id=img_path,
                        _where=path))
                continue
            try:
                value = np.load(
                    io.BytesIO(backend.get(path)), allow_pickle=False)
            except (OSError, ValueError) as err:
                raise ValueError(
                    f'{path}: not a numpy file ({err}).') from None
            expression = _as_id(value.item()) if value.size == 1 else None
            if expression is None:
                raise ValueError(f'{path}: expression {value!r} is not an '
                                 f'integer in 0..{len(ID_NAMES) - 1}.')
            info = dict(
                img_path=img_path,
                gt_label=expression,
                _id=img_path,  # stems repeat across the split folders
                _where=path)
            if self.valence_arousal:
                info['gt_va'] = self._read_npy_va(ann_dir, stem)
            rows.append(info)
        return rows

    def _read_npy_va(self, ann_dir: str, stem: str) -> Optional[np.ndarray]:
        """Valence and arousal of ``<stem>_val.npy`` / ``_aro.npy``."""
        values = []
        for suffix in VA_SUFFIXES:
            path = self.file_backend.join_path(ann_dir, stem + suffix)
            try:
                value = np.load(
                    io.BytesIO(self.file_backend.get(path)),
                    allow_pickle=False)
            except (OSError, ValueError) as err:
                raise ValueError(f'{path}: not a numpy file ({err}).') \
                    from None
            values.append(value.item() if value.size == 1 else value)
        return _as_va(
            values,
            self.file_backend.join_path(ann_dir, stem) + '_{val,aro}.npy')

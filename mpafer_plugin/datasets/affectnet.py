"""AffectNet (manually annotated part) in both of its release layouts."""
import os
import os.path as osp
from collections import Counter
from typing import List, Optional

import numpy as np
from mmengine.logging import MMLogger
from mmpretrain.datasets import BaseDataset
from mmpretrain.registry import DATASETS

from .utils import check_images_exist, read_csv_rows

# Expression ids 0..10; 8..10 are never an expression class.
ID_NAMES = ('Neutral', 'Happiness', 'Sadness', 'Surprise', 'Fear', 'Disgust',
            'Anger', 'Contempt', 'None', 'Uncertain', 'Non-Face')
CLASSES = ID_NAMES[:8]
COLUMNS = ('subDirectory_filePath', 'face_x', 'face_y', 'face_width',
           'face_height', 'facial_landmarks', 'expression', 'valence',
           'arousal')
CSV_FILES = {'train': 'training.csv', 'val': 'validation.csv'}
NPY_DIRS = {'train': 'train_set', 'val': 'val_set'}
LAYOUTS = ('auto', 'csv', 'npy')


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
class AffectNet(BaseDataset):
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
        **kwargs: other :class:`mmpretrain.datasets.BaseDataset` arguments.
    """

    METAINFO = dict(classes=CLASSES)

    def __init__(self,
                 data_root: str,
                 split: str = 'train',
                 num_classes: int = 7,
                 ann_file: Optional[str] = None,
                 img_dir: str = 'Manually_Annotated_Images',
                 crop_face: bool = False,
                 layout: str = 'auto',
                 **kwargs):
        if split not in CSV_FILES:
            raise ValueError(f'split must be one of {sorted(CSV_FILES)}, '
                             f'got {split!r}.')
        if num_classes not in (7, 8):
            raise ValueError(f'num_classes must be 7 or 8, got '
                             f'{num_classes!r}.')
        if layout not in LAYOUTS:
            raise ValueError(f'layout must be one of {LAYOUTS}, got '
                             f'{layout!r}.')
        if ann_file is None:
            ann_file = osp.join('Manually_Annotated_file_lists',
                                CSV_FILES[split])
        self.split = split
        self.num_classes = num_classes
        self.crop_face = crop_face
        self.layout = layout
        metainfo = dict(kwargs.pop('metainfo', None) or {})
        if kwargs.get('classes') is None:
            metainfo.setdefault('classes', CLASSES[:num_classes])
        super().__init__(
            ann_file=ann_file,
            data_root=data_root,
            data_prefix=dict(img_path=img_dir),
            metainfo=metainfo,
            **kwargs)

    def load_data_list(self) -> List[dict]:
        """Read the split's rows and keep the protocol's classes."""
        layout = self._resolve_layout()
        if layout == 'csv':
            rows, source = self._read_csv(), self.ann_file
        else:
            if self.crop_face:
                raise ValueError('crop_face needs the csv layout: the npy '
                                 'layout has no face boxes (its images are '
                                 'already face crops).')
            rows, source = self._read_npy()
        data_list = [d for d in rows if d['gt_label'] < self.num_classes]
        dropped = Counter(d['gt_label'] for d in rows
                          if d['gt_label'] >= self.num_classes)
        detail = ', '.join(f'{i} {ID_NAMES[i]}: {dropped[i]}'
                           for i in sorted(dropped))
        MMLogger.get_current_instance().info(
            f'AffectNet-{self.num_classes} {self.split} ({layout} layout, '
            f'{source}): kept {len(data_list)} of {len(rows)} rows, dropped '
            f'{sum(dropped.values())} by the protocol ({detail or "none"}).')
        if not data_list:
            raise ValueError(f'{source}: no {self.split} images with an '
                             f'expression id in 0..{self.num_classes - 1}.')
        check_images_exist(data_list, self.split, source)
        return data_list

    def _resolve_layout(self) -> str:
        if self.layout != 'auto':
            return self.layout
        if osp.isfile(self.ann_file):
            return 'csv'
        if osp.isdir(osp.join(self.data_root, NPY_DIRS[self.split])):
            return 'npy'
        raise FileNotFoundError(
            f'No AffectNet {self.split} split found: looked for the label '
            f'file {self.ann_file} (csv layout) and the folder '
            f'{osp.join(self.data_root, NPY_DIRS[self.split])} (npy layout).')

    def _read_csv(self) -> List[dict]:
        """All rows of the label file, as data infos."""
        img_dir = self.data_prefix['img_path']
        rows = []
        for n, (lineno, row) in enumerate(read_csv_rows(self.ann_file)):
            if n == 0 and row[0].strip() == COLUMNS[0]:
                continue  # header
            where = f'{self.ann_file}:{lineno}'
            if len(row) != len(COLUMNS):
                raise ValueError(f'{where}: expected {len(COLUMNS)} columns '
                                 f'({",".join(COLUMNS)}), got {len(row)}.')
            expression = _as_id(row[6])
            if expression is None:
                raise ValueError(f'{where}: expression {row[6]!r} is not an '
                                 f'integer in 0..{len(ID_NAMES) - 1}.')
            info = dict(img_path=osp.join(img_dir, row[0].strip()),
                        gt_label=expression)
            if self.crop_face:
                info['face_bbox'] = self._face_bbox(row[1:5], where)
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
        return (x, y, x + w, y + h)

    def _read_npy(self):
        """All ``annotations/<id>_exp.npy`` of the split, as data infos,
        and the annotation folder."""
        split_dir = osp.join(self.data_root, NPY_DIRS[self.split])
        ann_dir = osp.join(split_dir, 'annotations')
        if not osp.isdir(ann_dir):
            raise FileNotFoundError(f'AffectNet annotation folder {ann_dir} '
                                    f'does not exist.')
        suffix = '_exp.npy'
        stems = sorted((name[:-len(suffix)] for name in os.listdir(ann_dir)
                        if name.endswith(suffix)), key=_natural_key)
        rows = []
        for stem in stems:
            path = osp.join(ann_dir, stem + suffix)
            value = np.load(path, allow_pickle=False)
            expression = _as_id(value.item()) if value.size == 1 else None
            if expression is None:
                raise ValueError(f'{path}: expression {value!r} is not an '
                                 f'integer in 0..{len(ID_NAMES) - 1}.')
            rows.append(dict(
                img_path=osp.join(split_dir, 'images', stem + '.jpg'),
                gt_label=expression))
        return rows, ann_dir

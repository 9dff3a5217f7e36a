"""The base of every FER reader: choices, layouts, classes, duplicates,
files."""
import os.path as osp
import posixpath
from collections import Counter
from typing import Dict, List, Optional, Sequence, Tuple

from mmengine.fileio import LocalBackend, get_file_backend
from mmengine.logging import MMLogger
from mmpretrain.datasets import BaseDataset

from ..utils.value_checks import check_class_names
from .utils import why_not_a_file

EXAMPLES = 3  # bad images named in one error message


def check_choice(key: str, value, choices: Sequence) -> None:
    """Raise ``ValueError`` naming ``key`` unless ``value`` is a choice."""
    if value not in choices:
        raise ValueError(f'{key} must be one of {tuple(choices)}, got '
                         f'{value!r}.')


class FERDataset(BaseDataset):
    """A FER dataset in one of several file layouts.

    A reader subclass gives its :attr:`SPLITS` and :attr:`LAYOUTS`, where
    each layout is found (:meth:`layout_candidates`) and how to read it
    (:meth:`read_layout`); this base does the rest, the same way for every
    dataset:

    1. ``split`` and ``layout`` are checked against the choices;
       ``layout='auto'`` takes the first layout whose file or folder exists.
    2. The reader returns one row per annotation entry: a data info with
       ``_id`` (the image as the annotations name it), ``_where``
       (``file:line``, or ``None`` for a folder listing) and, when the
       annotation file holds several splits, ``_split``. Where each split
       has its own file or folder, those of the other splits that exist are
       read too (:meth:`read_other_split`), for step 3.
    3. An image listed twice (same or other label, in this or any other
       split) is refused, naming both lines. Names are compared normalised
       (``./1/a.jpg``, ``1//a.jpg`` and ``1/a.jpg`` are one image), and on
       a local disk two entries resolving to one file (links) are one image.
    4. The rows of the split are kept, and :meth:`select` may drop some by
       a documented rule (logged); an empty split is an error.
    5. Every listed image must be a readable file: a missing one, a dangling
       link or a folder named like an image is refused with its line.

    6. The labels follow ``metainfo['classes']``: the annotations' label
       order is the reader's own (:meth:`own_classes`); an override listing
       the same classes in another order remaps every label to it (logged),
       one naming other classes, or a class twice, is refused.

    Files are read through MMEngine's file backend of ``data_root``
    (``backend_args``), so the data may sit on any storage MMEngine reads.

    Args:
        data_root (str): the dataset folder.
        split (str): one of :attr:`SPLITS`.
        layout (str): ``'auto'`` or one of :attr:`LAYOUTS`.
        backend_args (dict, optional): arguments of the file backend.
        **kwargs: other :class:`mmpretrain.datasets.BaseDataset` arguments.
    """

    NAME = 'FER'  # the dataset's name in messages
    SPLITS: Tuple[str, ...] = ()
    LAYOUTS: Tuple[str, ...] = ()

    def __init__(self,
                 data_root: str,
                 split: str,
                 layout: str = 'auto',
                 backend_args: Optional[dict] = None,
                 **kwargs):
        check_choice('split', split, self.SPLITS)
        check_choice('layout', layout, ('auto', ) + self.LAYOUTS)
        self.split = split
        self.layout = layout
        self.backend_args = backend_args
        self.file_backend = get_file_backend(
            data_root, backend_args=backend_args)
        super().__init__(data_root=data_root, **kwargs)

    # ------------------------------------------------ what a reader gives
    def layout_candidates(self) -> List[Tuple[str, str, str]]:
        """``[(layout, path, 'file' or 'folder')]``: ``layout='auto'``
        takes the first layout whose path exists."""
        raise NotImplementedError

    def read_layout(self, layout: str) -> Tuple[List[dict], str]:
        """All rows of the annotations (see the class doc) and the source
        (file or folder) they came from."""
        raise NotImplementedError

    def read_other_split(self, layout: str) -> List[dict]:
        """The rows of ``self.split`` (set to another split by the caller)
        for the duplicate check; readers may skip what the check does not
        need (labels)."""
        return self.read_layout(layout)[0]

    def select(self, rows: List[dict]) -> Tuple[List[dict], str]:
        """The rows kept and a note on those dropped, for the log."""
        return rows, ''

    def own_classes(self) -> Tuple[str, ...]:
        """The classes in the label order of the annotations."""
        return tuple(type(self).METAINFO['classes'])

    def label_name(self, label) -> str:
        """A label (in the reader's own order) as messages show it."""
        classes = self.own_classes()
        if isinstance(label, int) and 0 <= label < len(classes):
            return f'{label} {classes[label]}'
        return str(label)

    # ------------------------------------------------------- the checks
    def load_data_list(self) -> List[dict]:
        remap = self._class_remap()
        layout = self.resolve_layout()
        rows, source = self.read_layout(layout)
        if not any('_split' in row for row in rows):  # a source per split
            rows = [dict(row, _split=self.split)
                    for row in rows] + self._other_split_rows(layout)
        self._refuse_duplicates(rows)
        rows = [row for row in rows if row.pop('_split') == self.split]
        data_list, note = self.select(rows)
        if remap is not None:
            for info in data_list:
                info['gt_label'] = remap[info['gt_label']]
        MMLogger.get_current_instance().info(
            f'{self.NAME} {self.split} ({layout} layout, {source}): '
            f'{len(data_list)} images{note}.')
        if not data_list:
            raise ValueError(f'{source}: no {self.split} images{note}.')
        self._refuse_non_files(data_list, source)
        for info in data_list:
            del info['_id'], info['_where']
        return data_list

    def resolve_layout(self) -> str:
        """The layout asked for, or the one found for ``'auto'``."""
        if self.layout != 'auto':
            return self.layout
        candidates = self.layout_candidates()
        for layout, path, kind in candidates:
            found = (
                self.file_backend.isdir(path)
                if kind == 'folder' else self.file_backend.isfile(path))
            if found:
                return layout
        looked = ' and '.join(f'the {kind} {path} ({layout} layout)'
                              for layout, path, kind in candidates)
        raise FileNotFoundError(f'No {self.NAME} {self.split} split found: '
                                f'looked for {looked}.')

    def _class_remap(self) -> Optional[List[int]]:
        """``None`` if ``metainfo['classes']`` is the reader's own order,
        else the new label of each own label; other classes are refused."""
        own = self.own_classes()
        asked = check_class_names(
            self.metainfo.get('classes') or own,
            f'{type(self).__name__} metainfo.classes')
        if [c.lower() for c in asked] == [c.lower() for c in own]:
            return None
        lowered = [c.strip().lower() for c in asked]
        if sorted(lowered) != sorted(c.lower() for c in own):
            raise ValueError(
                f'{type(self).__name__} metainfo.classes={asked}: the '
                f'{self.NAME} annotations label the classes {list(own)}. '
                f'List exactly these (in any order: the labels are '
                f'remapped to it); a renamed class belongs in '
                f'model.head.classnames, in the same order.')
        remap = [lowered.index(c.lower()) for c in own]
        MMLogger.get_current_instance().info(
            f'{self.NAME} {self.split}: metainfo.classes {asked} orders the '
            f'classes differently from the annotations ({list(own)}); '
            f'labels are remapped to metainfo.classes.')
        return remap

    def _other_split_rows(self, layout: str) -> List[dict]:
        """The rows of every other split whose file or folder exists."""
        own, rows = self.split, []
        try:
            for split in self.SPLITS:
                self.split = split
                if split == own or not self._layout_exists(layout):
                    continue
                rows.extend(
                    dict(row, _split=split)
                    for row in self.read_other_split(layout))
        finally:
            self.split = own
        return rows

    def _layout_exists(self, layout: str) -> bool:
        for name, path, kind in self.layout_candidates():
            if name == layout:
                return (self.file_backend.isdir(path) if kind == 'folder' else
                        self.file_backend.isfile(path))
        return False

    def _image_keys(self, row: dict) -> List[str]:
        """What makes two rows one image: the normalised name and, on a
        local disk, the file the image path resolves to."""
        keys = [
            'name:' + posixpath.normpath(str(row['_id']).replace('\\', '/'))
        ]
        path = row.get('img_path')
        if path is not None and isinstance(self.file_backend, LocalBackend) \
                and osp.exists(path):
            keys.append('file:' + osp.realpath(path))
        return keys

    def _refuse_duplicates(self, rows: List[dict]) -> None:
        first: Dict[str, dict] = {}
        for row in rows:
            for key in self._image_keys(row):
                seen = first.setdefault(key, row)
                if seen is not row:
                    splits = '' if seen['_split'] == row['_split'] else (
                        f', in the {seen["_split"]} and the {row["_split"]} '
                        f'split')
                    raise ValueError(
                        f'{self.NAME}: image {row["_id"]!r} is listed twice, '
                        f'at {self._where(seen)} and at {self._where(row)}'
                        f'{splits}. Keep one line (an image has one label, '
                        f'in one split).')

    def _where(self, row: dict) -> str:
        """Where a row comes from, and its label, for messages."""
        where = row['_where'] or row.get('img_path') or row['_id']
        label = row.get('gt_label')
        return where + (f' (label {self.label_name(label)})'
                        if label is not None else '')

    def _refuse_non_files(self, data_list: List[dict], source: str) -> None:
        bad = []
        for info in data_list:
            if 'img_path' in info:
                reason = why_not_a_file(self.file_backend, info['img_path'])
                if reason is not None:
                    bad.append((info, reason))
        if not bad:
            return
        counts = Counter(reason.split(' to ')[0] for _, reason in bad)
        examples = '; '.join(
            (f'{info["_where"]}: ' if info['_where'] else '') +
            f'{info["img_path"]} ({reason})'
            for info, reason in bad[:EXAMPLES])
        raise FileNotFoundError(
            f'{len(bad)} of {len(data_list)} {self.split} images listed in '
            f'{source} are not readable image files '
            f'({", ".join(f"{n} {what}" for what, n in counts.items())}), '
            f'e.g. {examples}.')

"""The base of every FER reader: choices, layouts, duplicates, files."""
from collections import Counter
from typing import Dict, List, Optional, Sequence, Tuple

from mmengine.fileio import get_file_backend
from mmengine.logging import MMLogger
from mmpretrain.datasets import BaseDataset

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
       annotation file holds several splits, ``_split``.
    3. An image listed twice (same or other label, in any split) is refused,
       naming both lines.
    4. The rows of the split are kept, and :meth:`select` may drop some by
       a documented rule (logged); an empty split is an error.
    5. Every listed image must be a readable file: a missing one, a dangling
       link or a folder named like an image is refused with its line.

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

    def select(self, rows: List[dict]) -> Tuple[List[dict], str]:
        """The rows kept and a note on those dropped, for the log."""
        return rows, ''

    def label_name(self, label) -> str:
        """A label as messages show it."""
        classes = self.metainfo.get('classes') or ()
        if isinstance(label, int) and 0 <= label < len(classes):
            return f'{label} {classes[label]}'
        return str(label)

    # ------------------------------------------------------- the checks
    def load_data_list(self) -> List[dict]:
        layout = self.resolve_layout()
        rows, source = self.read_layout(layout)
        self._refuse_duplicates(rows)
        rows = [
            row for row in rows if row.pop('_split', self.split) == self.split
        ]
        data_list, note = self.select(rows)
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

    def _refuse_duplicates(self, rows: List[dict]) -> None:
        first: Dict[str, dict] = {}
        for row in rows:
            seen = first.setdefault(row['_id'], row)
            if seen is not row:
                raise ValueError(
                    f'{self.NAME}: image {row["_id"]!r} is listed twice, at '
                    f'{seen["_where"]} (label '
                    f'{self.label_name(seen["gt_label"])}) and at '
                    f'{row["_where"]} (label '
                    f'{self.label_name(row["gt_label"])}). Keep one line.')

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

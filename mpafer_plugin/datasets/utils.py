"""Helpers shared by the FER dataset readers."""
import csv
import os.path as osp
from typing import Iterator, List, Tuple


def read_csv_rows(path: str) -> Iterator[Tuple[int, List[str]]]:
    """Yield ``(line number, fields)`` for each non-blank row of a csv file.

    The line number is the physical line the row ends on (1-based), so
    quoted fields spanning lines still point at the right place. A UTF-8
    byte-order mark is ignored.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path} does not exist.')
    with open(path, newline='', encoding='utf-8-sig') as f:
        reader = csv.reader(f)
        for row in reader:
            if any(field.strip() for field in row):
                yield reader.line_num, row


def check_images_exist(data_list: List[dict], what: str, source: str):
    """Raise ``FileNotFoundError`` with a count and examples if any
    ``img_path`` of ``data_list`` (``what`` images listed in ``source``) is
    not a file."""
    missing = [d['img_path'] for d in data_list
               if not osp.isfile(d['img_path'])]
    if missing:
        raise FileNotFoundError(
            f'{len(missing)} of {len(data_list)} {what} images listed in '
            f'{source} are missing, e.g. {missing[:3]}.')

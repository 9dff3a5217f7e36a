"""Annotation and image files read through MMEngine's file backends.

Every reader of this package reads its files through these functions, so a
dataset may sit on any :mod:`mmengine.fileio` backend (local disk, HTTP,
object storage) and every failure names the file, and the line where there
is one.
"""
import csv
import io
import os
import os.path as osp
from typing import Iterator, List, Optional, Tuple

from mmengine.fileio import BaseStorageBackend, LocalBackend

from .image_files import is_image_name


def read_text(backend: BaseStorageBackend, path: str) -> str:
    """The text of an annotation file, which must be UTF-8 (a byte-order
    mark is dropped).

    Raises:
        FileNotFoundError: naming ``path`` when it is not a file.
        ValueError: ``path:line`` of the first byte that is not UTF-8 (a
            file saved as Latin-1, UTF-16 or GBK, say).
    """
    if not backend.isfile(path):
        raise FileNotFoundError(f'{path} does not exist.')
    raw = backend.get(path)
    try:
        return raw.decode('utf-8-sig')
    except UnicodeDecodeError as err:
        line = raw[:err.start].count(b'\n') + 1
        raise ValueError(
            f'{path}:{line}: not UTF-8 text (byte 0x{raw[err.start]:02x} at '
            f'offset {err.start}); save the file as UTF-8.') from None


def read_lines(backend: BaseStorageBackend,
               path: str) -> Iterator[Tuple[int, List[str]]]:
    """Yield ``(line number, whitespace-separated fields)`` for each
    non-blank line of a text file (1-based line numbers)."""
    for lineno, line in enumerate(read_text(backend, path).splitlines(), 1):
        fields = line.split()
        if fields:
            yield lineno, fields


def read_csv_rows(backend: BaseStorageBackend,
                  path: str) -> Iterator[Tuple[int, List[str]]]:
    """Yield ``(line number, fields)`` for each non-blank row of a csv file.

    The line number is the physical line the row ends on (1-based), so
    quoted fields spanning lines still point at the right place.
    """
    reader = csv.reader(io.StringIO(read_text(backend, path), newline=''))
    for row in reader:
        if any(field.strip() for field in row):
            yield reader.line_num, row


def list_names(backend: BaseStorageBackend, folder: str) -> List[str]:
    """Every entry of ``folder`` (files, folders and links, dangling ones
    too), sorted."""
    if isinstance(backend, LocalBackend):
        return sorted(os.listdir(folder))
    return sorted(backend.list_dir_or_file(folder, list_dir=True))


def list_files(backend: BaseStorageBackend, folder: str) -> List[str]:
    """Every file under ``folder``, in subfolders too (dangling links
    included), as sorted paths relative to it; hidden folders (``.git``,
    ``.ipynb_checkpoints``) are not searched."""
    if not isinstance(backend, LocalBackend):
        return sorted(
            path for path in backend.list_dir_or_file(
                folder, list_dir=False, recursive=True)
            if not any(part.startswith('.') for part in path.split('/')[:-1]))
    found = []
    for root, subfolders, names in os.walk(folder):
        # a folder named like an image is listed (and refused as no file)
        names = names + [name for name in subfolders if is_image_name(name)]
        subfolders[:] = [
            name for name in subfolders
            if not name.startswith('.') and not is_image_name(name)
        ]
        relative = osp.relpath(root, folder)
        found.extend(name if relative ==
                     '.' else osp.join(relative, name).replace(os.sep, '/')
                     for name in names)
    return sorted(found)


def why_not_a_file(backend: BaseStorageBackend, path: str) -> Optional[str]:
    """``None`` if ``path`` is a readable file, else why it is not: missing,
    a dangling link (and to what), a folder."""
    if isinstance(backend, LocalBackend):
        if osp.islink(path) and not osp.exists(path):
            return f'a dangling link to {os.readlink(path)}'
        if osp.isdir(path):
            return 'a folder, not a file'
        if not osp.exists(path):
            return 'missing'
        if not osp.isfile(path):
            return 'not a regular file'
        return None if os.access(path, os.R_OK) else 'not readable'
    return None if backend.isfile(path) else 'missing'

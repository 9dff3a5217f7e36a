"""Where a prompts-only export finds its CLIP weights file, wherever it is
used.

An export's config names CLIP's frozen weights (``model.clip.pretrained``):
an open_clip tag (``'openai'``), kept as it is, or a local file, often
given relative to the folder the export was made in. For a local file,
:func:`record_clip_file` stores in ``meta['clip_file']``::

    given               the path as the config gave it
    absolute            that path made absolute when exporting
    relative_to_export  its path relative to the export file's folder

and :func:`resolve_clip_file` picks, when the export is loaded, the first
of these that exists:

1. an explicit override (``init_model(..., clip_pretrained=PATH)``,
   ``--clip PATH`` on the tools), which :func:`init_model` applies
   instead of looking;
2. the stored absolute path;
3. the stored relative path, from the export file's folder;
4. the file's name alone, in the export file's folder (the export moved
   into one folder with its CLIP file);
5. the path as given, from the working directory.

Nothing found is an error that names every path tried and ``--clip``.
Whichever file is found is then checked against the export's CLIP
fingerprint (:func:`~mpafer_plugin.engine.checkpoint_contract.
verify_checkpoint`), so another file of the same architecture is refused.
"""
import os.path as osp
from typing import List, Optional

__all__ = ['record_clip_file', 'resolve_clip_file']

META_KEY = 'clip_file'


def record_clip_file(pretrained: Optional[str], out_file: str) -> \
        Optional[dict]:
    """``meta['clip_file']`` of an export written to ``out_file`` from a
    config whose ``model.clip.pretrained`` is ``pretrained``; ``None`` for a
    tag or random weights (nothing to find)."""
    if not isinstance(pretrained, str) or not osp.isfile(pretrained):
        return None
    absolute = osp.abspath(pretrained)
    return dict(
        given=pretrained,
        absolute=absolute,
        relative_to_export=osp.relpath(absolute,
                                       osp.dirname(osp.abspath(out_file))))


def _candidates(record: dict, export_file: str) -> List[str]:
    folder = osp.dirname(osp.abspath(export_file))
    paths = [
        record['absolute'],
        osp.join(folder, record['relative_to_export']),
        osp.join(folder, osp.basename(record['given'])),
        osp.abspath(record['given'])
    ]
    return list(dict.fromkeys(osp.normpath(path) for path in paths))


def resolve_clip_file(meta: dict, export_file: str,
                      pretrained: Optional[str]) -> Optional[str]:
    """The CLIP weights file of the export ``export_file`` (its loaded
    ``meta``), as an absolute path; ``None`` when the export records none
    (a tag, random weights, or an export written before the record) or
    when ``pretrained`` (its config's, after ``cfg_options``) is no longer
    the one it recorded. Raises ``FileNotFoundError`` naming every path
    tried."""
    record = meta.get(META_KEY)
    if not record or pretrained != record['given']:
        return None
    tried = _candidates(record, export_file)
    for path in tried:
        if osp.isfile(path):
            return path
    raise FileNotFoundError(
        f'The CLIP weights file of the prompts-only export {export_file} '
        f'(model.clip.pretrained={record["given"]!r} when it was exported) '
        f'was not found; tried:\n  ' + '\n  '.join(tried) +
        '\nGive its location with --clip PATH '
        '(init_model(..., clip_pretrained=PATH)).')


def add_clip_argument(parser) -> None:
    """``--clip PATH`` for a tool that takes a prompts-only export (its
    value goes to ``init_model(..., clip_pretrained=...)``)."""
    parser.add_argument(
        '--clip',
        metavar='PATH',
        help='CLIP weights file (or open_clip tag) instead '
        'of the one the config or export names')

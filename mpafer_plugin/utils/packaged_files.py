"""Configs and tools shipped with the package, found by name as OpenMMLab's
``mim`` finds them.

A wheel ships ``configs/`` and ``tools/`` as ``mpafer_plugin/.mim/configs``
and ``.mim/tools`` (setup.py); a checkout has them beside the package.
:func:`config_file` lets every tool take ``quickstart_synthetic_rafdb.py``
(or ``_base_/datasets/rafdb.py``) from any folder, as ``mim train
mpafer_plugin CONFIG`` does; :func:`tool_file` is what the console commands
(``mpafer-infer`` ..., :mod:`mpafer_plugin.cli`) run.
"""
import glob
import os.path as osp
from typing import List

PACKAGE = osp.dirname(osp.dirname(osp.abspath(__file__)))


def packaged_dirs(kind: str) -> List[str]:
    """The folders holding the package's ``kind`` (``'configs'`` or
    ``'tools'``): ``.mim/<kind>`` of an installed package, and
    ``<checkout>/<kind>`` when the package is imported from its checkout."""
    checkout = osp.dirname(PACKAGE)
    candidates = [osp.join(PACKAGE, '.mim', kind)]
    if osp.isfile(osp.join(checkout, 'setup.py')):
        candidates.append(osp.join(checkout, kind))
    return [d for d in candidates if osp.isdir(d)]


def config_file(name: str) -> str:
    """``name`` when it is a file (or not a ``.py`` name: an export, a
    checkpoint), else the package's config of that relative path or file
    name; ``name`` unchanged when there is none, so the caller's own error
    names it. Usable as an argparse ``type``.

    Raises:
        ValueError: the file name matches several packaged configs.
    """
    if osp.exists(name) or not name.endswith('.py'):
        return name
    for root in packaged_dirs('configs'):
        if osp.isfile(osp.join(root, name)):
            return osp.join(root, name)
        found = sorted(
            glob.glob(
                osp.join(root, '**', osp.basename(name)), recursive=True))
        if len(found) > 1:
            raise ValueError(
                f'config {name!r} is not a file here and names '
                f'{len(found)} packaged configs: '
                f'{[osp.relpath(f, root) for f in found]}; give one of '
                f'these relative paths.')
        if found:
            return found[0]
    return name


def tool_file(relative: str) -> str:
    """The path of the package's tool ``relative`` (``'infer.py'``,
    ``'model_converters/export_deploy.py'``)."""
    for root in packaged_dirs('tools'):
        if osp.isfile(osp.join(root, relative)):
            return osp.join(root, relative)
    raise FileNotFoundError(
        f'tools/{relative} is not installed with mpafer_plugin '
        f'({PACKAGE}): reinstall the package (pip install .).')

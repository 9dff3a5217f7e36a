"""The one check every tool that writes runs before it loads anything: no
output may be one of the run's inputs.

Inputs are the files and folders a run reads: images, the config (and
every file or folder a config value names: the CLIP weights, the
descriptions file, ``data_root``, ``load_from``…), checkpoints and exports.
Paths are compared after resolving links (``osp.realpath``), so a link to
the input photo is the photo. An output *folder* that a tool replaces as a
whole must not hold an input either.

Usage in a tool, right after parsing its arguments::

    guard_outputs(outputs={'--out': args.out},
                  inputs={'CONFIG': args.config,
                          'CHECKPOINT': args.checkpoint},
                  cfg=cfg)  # adds every path the config names

It raises :class:`OutputIsInputError` (a ``ValueError``) naming the
option, the input and the way out; tools turn it into ``error: …`` and
exit 1.
"""
import os
import os.path as osp
from typing import Dict, Iterable, Iterator, Mapping, Optional, Tuple

PathMap = Mapping[str, Optional[str]]


class OutputIsInputError(ValueError):
    """An output of a run is (or holds) one of its inputs."""


def config_paths(cfg) -> Iterator[Tuple[str, str]]:
    """``(config key, path)`` for every string in ``cfg`` (an MMEngine
    ``Config`` or a dict) that names an existing file or folder, and the
    config file itself."""
    filename = getattr(cfg, 'filename', None)
    if filename:
        yield 'the config', filename

    def walk(value, key):
        if isinstance(value, Mapping):
            for name, item in value.items():
                yield from walk(item, f'{key}.{name}' if key else str(name))
        elif isinstance(value, (list, tuple)):
            for index, item in enumerate(value):
                yield from walk(item, f'{key}[{index}]')
        elif isinstance(value, str) and value and osp.exists(value):
            yield key, value

    for key, path in walk(cfg.to_dict() if hasattr(cfg, 'to_dict') else cfg,
                          ''):
        if key != 'work_dir':  # an output folder, not an input
            yield key, path


def _resolved(path: str) -> str:
    return osp.realpath(osp.abspath(os.fspath(path)))


def _inside(path: str, folder: str) -> bool:
    return path.startswith(folder.rstrip(os.sep) + os.sep)


def guard_outputs(outputs: PathMap,
                  inputs: PathMap = {},
                  cfg=None,
                  replaced_folders: Iterable[str] = ()) -> None:
    """Refuse any output that resolves to an input.

    Args:
        outputs: ``{option: path}`` of what the run writes (``None``
            values are skipped).
        inputs: ``{what: path}`` of what it reads (``None`` skipped; a path
            that does not exist is still compared, by name).
        cfg: a config whose named files and folders are inputs too
            (:func:`config_paths`).
        replaced_folders: the options in ``outputs`` that name a folder the
            tool replaces as a whole: no input may lie inside it.
    """
    named: Dict[str, str] = {}
    for what, path in inputs.items():
        if path:
            named.setdefault(_resolved(path), what)
    if cfg is not None:
        for key, path in config_paths(cfg):
            named.setdefault(_resolved(path), f'{key} of the config')
    replaced = set(replaced_folders)
    for option, path in outputs.items():
        if not path:
            continue
        out = _resolved(path)
        what = named.get(out)
        if what is not None:
            raise OutputIsInputError(
                f'{option} {path} is {what} ({out}), an input of this run: '
                f'writing it would destroy it. Write the output elsewhere.')
        if option in replaced:
            for source, source_what in named.items():
                if _inside(source, out):
                    raise OutputIsInputError(
                        f'{option} {path} holds {source_what} ({source}), '
                        f'an input of this run: the folder is replaced by '
                        f'the outputs. Write the output elsewhere.')


def exit_if_output_is_input(outputs,
                            inputs={},
                            cfg=None,
                            replaced_folders=()) -> None:
    """:func:`guard_outputs` (same arguments) for a command-line tool: an
    output that is an input ends the run with ``error: …`` and exit status
    1, before the tool loads anything or writes a byte."""
    try:
        guard_outputs(outputs, inputs, cfg, replaced_folders)
    except OutputIsInputError as error:
        raise SystemExit(f'error: {error}') from None

"""Check the datasets of a config before training: everything a run would
die on later, each named.

- the dataset type exists (a typo is named, with the closest names);
- each split builds (annotation errors, duplicate lines, missing files are
  refused by the readers, naming file and line);
- images per class and split; a class without a training image;
- every image file opens and is an image (``--no-decode``: its header
  only; by default it is decoded in full);
- face boxes (AffectNet ``crop_face=True``) that lie outside their image;
- the pipeline's input size fits the CLIP of ``model.clip``.

Usage: python tools/misc/check_dataset.py CONFIG [--no-decode]
       [--cfg-options k=v ...]

Exits with status 1 when anything above fails.
"""
import argparse
import difflib
import io
import sys
from typing import List, Optional, Tuple

import numpy as np
import open_clip
from mmengine.config import Config, DictAction
from mmengine.fileio import LocalBackend, get_file_backend
from mmengine.registry import init_default_scope
from mmpretrain.registry import DATASETS
from PIL import Image

import mpafer_plugin  # noqa: F401  registers the datasets (and CLIP configs)
from mpafer_plugin.utils import config_file, progress_bar

LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def open_image(path: str, backend_args: Optional[dict], decode: bool):
    """Open ``path`` (any MMEngine backend) with pillow: its header, and
    with ``decode`` every pixel. Returns ``(width, height)``."""
    backend = get_file_backend(path, backend_args=backend_args)
    source = path if isinstance(backend, LocalBackend) else io.BytesIO(
        backend.get(path))
    with Image.open(source) as image:
        if decode:
            image.load()
        return image.size


def bad_images(dataset, decode: bool) -> List[Tuple[str, str]]:
    """``[(path, reason)]`` for each file that does not open (or decode)
    as an image, and each face box outside its image."""
    backend_args = getattr(dataset, 'backend_args', None)
    bad = []
    progress = progress_bar(len(dataset), 'decoding images')
    for index in range(len(dataset)):
        info = dataset.get_data_info(index)
        path = info.get('img_path')
        if path is not None:
            try:
                width, height = open_image(path, backend_args, decode)
            except Exception as err:  # noqa: BLE001  report every failure
                bad.append((path, f'unreadable: {type(err).__name__}: '
                            f'{err}'))
            else:
                box = info.get('face_bbox')
                if box is not None and not (box[0] < width and box[1] < height
                                            and box[2] > 0 and box[3] > 0):
                    bad.append((path, f'face box {tuple(box)} lies outside '
                                f'the {width}x{height} image'))
        progress.update()
    print()
    return bad


def class_counts(dataset) -> List[int]:
    classes = dataset.metainfo.get('classes') or []
    return np.bincount(
        dataset.get_gt_labels(), minlength=len(classes)).tolist()


def count_table(dataset) -> str:
    classes = dataset.metainfo.get('classes') or []
    counts = class_counts(dataset)
    rows = [
        f'    {name:<12} {count:>8,}' for name, count in zip(classes, counts)
    ]
    return '\n'.join(rows + [f'    {"total":<12} {sum(counts):>8,}'])


def unknown_type(dataset_cfg) -> Optional[str]:
    """Why ``dataset_cfg.type`` names no registered dataset, or ``None``."""
    name = dataset_cfg.get('type')
    if not isinstance(name, str) or DATASETS.get(name) is not None:
        return None
    close = difflib.get_close_matches(name, list(DATASETS.module_dict), 3, 0.6)
    hint = f' Did you mean {" or ".join(map(repr, close))}?' if close else ''
    return (f'unknown dataset type {name!r}: not registered in '
            f'mmpretrain.registry.DATASETS.{hint}')


def clip_input_size(cfg) -> Optional[Tuple[str, Tuple[int, int]]]:
    """``(model_name, (height, width))`` the CLIP of ``model.clip`` takes,
    from its open_clip config (no weights are loaded)."""
    clip = (cfg.get('model') or {}).get('clip')
    if not clip or not clip.get('model_name'):
        return None
    model_cfg = open_clip.get_model_config(clip['model_name'])
    if model_cfg is None:
        return None  # load_clip names an unknown model itself
    size = model_cfg['vision_cfg']['image_size']
    size = (size, size) if isinstance(size, int) else tuple(size)
    return clip['model_name'], size


def input_size_problem(dataset, clip) -> Optional[str]:
    """Why the first item's ``inputs`` do not fit the CLIP, or ``None``."""
    if clip is None or not len(dataset):
        return None
    try:
        inputs = dataset[0]['inputs']
    except Exception as err:  # noqa: BLE001  any pipeline failure
        return f'the pipeline fails on the first image: {err}'
    model_name, size = clip
    got = tuple(inputs.shape[-2:])
    if got == size:
        return None
    return (f'the pipeline gives {got[0]}x{got[1]} inputs but the CLIP '
            f'{model_name!r} takes {size[0]}x{size[1]}: set the resize or '
            f'crop scale of the pipeline to {size[0]}.')


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', type=config_file)
    parser.add_argument(
        '--no-decode',
        action='store_true',
        help='open each image and read its header, do not '
        'decode its pixels')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    clip = clip_input_size(cfg)

    seen, failed = {}, False
    for loader in LOADERS:
        if not cfg.get(loader):
            continue
        dataset_cfg = cfg[loader].dataset
        key = repr(dataset_cfg.to_dict())
        name = loader.replace('_dataloader', '')
        if key in seen:
            print(f'{name}: same dataset as {seen[key]}')
            continue
        seen[key] = name
        problem = unknown_type(dataset_cfg)
        if problem is None:
            try:
                dataset = DATASETS.build(dataset_cfg)
            except Exception as err:  # noqa: BLE001  any reader's error
                problem = f'{type(err).__name__}: {err}'
        if problem is not None:
            print(f'{name}: FAILED to build {dataset_cfg.get("type")}: '
                  f'{problem}')
            failed = True
            continue
        print(f'{name}: {dataset_cfg.type} ({len(dataset):,} images)')
        print(count_table(dataset))
        classes = dataset.metainfo.get('classes') or []
        empty = [c for c, n in zip(classes, class_counts(dataset)) if not n]
        if empty and name == 'train':
            print(f'{name}: FAILED: no training image of class(es) {empty}')
            failed = True
        elif empty:
            print(f'{name}: warning: no image of class(es) {empty}')
        bad = bad_images(dataset, decode=not args.no_decode)
        for path, reason in bad:
            print(f'  {path}: {reason}')
        if bad:
            print(f'{name}: {len(bad)} bad image(s)')
            failed = True
        problem = input_size_problem(dataset, clip)
        if problem is not None:
            print(f'{name}: FAILED: {problem}')
            failed = True
    print('FAILED' if failed else 'OK')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())

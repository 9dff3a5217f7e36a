"""Check the datasets of a config before training: images per class and
split, and every missing or unreadable image file, each named.

Usage: python tools/check_dataset.py CONFIG [--no-decode]
       [--cfg-options k=v ...]

Exits with status 1 when a split cannot be built or a file cannot be read.
"""
import argparse
import sys

import numpy as np
from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope
from mmpretrain.registry import DATASETS
from PIL import Image

import mpafer_plugin  # noqa: F401  registers the datasets
from mpafer_plugin.utils import progress_bar

LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def unreadable_images(dataset) -> list:
    """``[(path, reason)]`` for the files PIL cannot fully decode."""
    bad = []
    progress = progress_bar(len(dataset), 'decoding images')
    for index in range(len(dataset)):
        path = dataset.get_data_info(index).get('img_path')
        if path is not None:
            try:
                with Image.open(path) as image:
                    image.load()
            except Exception as err:  # noqa: BLE001  report every failure
                bad.append((path, f'{type(err).__name__}: {err}'))
        progress.update()
    print()
    return bad


def count_table(dataset) -> str:
    classes = dataset.metainfo.get('classes') or []
    counts = np.bincount(dataset.get_gt_labels(),
                         minlength=len(classes)).tolist()
    rows = [f'    {name:<12} {count:>8,}'
            for name, count in zip(classes, counts)]
    return '\n'.join(rows + [f'    {"total":<12} {sum(counts):>8,}'])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('--no-decode', action='store_true',
                        help='only check that files exist, do not decode')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))

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
        try:
            dataset = DATASETS.build(dataset_cfg)
        except (OSError, ValueError) as err:
            print(f'{name}: FAILED to build {dataset_cfg.type}: {err}')
            failed = True
            continue
        print(f'{name}: {dataset_cfg.type} ({len(dataset):,} images)')
        print(count_table(dataset))
        if args.no_decode:
            continue
        bad = unreadable_images(dataset)
        for path, reason in bad:
            print(f'  unreadable: {path} ({reason})')
        failed |= bool(bad)
        if bad:
            print(f'{name}: {len(bad)} unreadable image(s)')
    print('FAILED' if failed else 'OK')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())

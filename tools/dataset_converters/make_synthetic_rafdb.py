"""Generate the synthetic, RAF-DB-layout dataset of drawn faces used by the
offline quick start and the tests (not real faces).

Usage: python tools/dataset_converters/make_synthetic_rafdb.py \
           --out data/synthetic_rafdb
       python tools/dataset_converters/make_synthetic_rafdb.py --out DIR \
           --rafdb-size [--scale 0.01] [--workers 16]
           # --rafdb-size: RAF-DB's 12,271 / 3,068 images
       python tools/dataset_converters/make_synthetic_rafdb.py --out DIR \
           --intensity 0.35 0.9 --yaw 0.5 --occlusion 0.3 \
           --identities 300 --rendering shaded   # a shifted domain
           # (FaceStyle; the proxy's own recipe: docs/proxy.md)

The style used is written to ``DIR/generator.json``.
"""
import argparse
import json
import os
import os.path as osp

from mpafer_plugin.testing import (FaceStyle, make_synthetic_rafdb,
                                   rafdb_split_counts)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--out',
        default='data/synthetic_rafdb',
        help='output folder (the "basic" level)')
    parser.add_argument('--train-per-class', type=int, default=40)
    parser.add_argument('--test-per-class', type=int, default=10)
    parser.add_argument(
        '--rafdb-size',
        action='store_true',
        help="RAF-DB's own images per class and split "
        '(12,271 train, 3,068 test) instead of '
        '--train/test-per-class')
    parser.add_argument(
        '--scale',
        type=float,
        default=1.0,
        help='with --rafdb-size: times this (a small dry '
        'run: 0.01)')
    parser.add_argument('--image-size', type=int, default=100)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--with-original',
        action='store_true',
        help='also write Image/original/<name>.jpg')
    parser.add_argument(
        '--workers',
        type=int,
        default=os.cpu_count(),
        help='processes drawing faces (default: one per '
        'CPU; the images do not depend on it)')
    default = FaceStyle()
    style = parser.add_argument_group(
        'style', 'how the faces are drawn (FaceStyle; the defaults are the '
        "quick start's, the stand-in CLIP's pretraining style)")
    style.add_argument(
        '--intensity',
        type=float,
        nargs=2,
        default=default.intensity,
        metavar=('LO', 'HI'),
        help='range of expression strength (1 = typical)')
    style.add_argument(
        '--shape-noise', type=float, default=default.shape_noise)
    style.add_argument(
        '--rotation',
        type=float,
        default=default.rotation,
        help='in-plane roll, +- degrees')
    style.add_argument(
        '--yaw', type=float, default=default.yaw, help='head turn, 0-1')
    style.add_argument(
        '--occlusion',
        type=float,
        default=default.occlusion,
        help='probability of an occluder')
    style.add_argument(
        '--identities',
        type=int,
        default=default.identities,
        help='number of identities (0: the one default geometry)')
    style.add_argument(
        '--identity-seed', type=int, default=default.identity_seed)
    style.add_argument(
        '--rendering',
        choices=('line', 'soft', 'shaded'),
        default=default.rendering)
    args = parser.parse_args()
    face_style = FaceStyle(
        intensity=tuple(args.intensity),
        shape_noise=args.shape_noise,
        rotation=args.rotation,
        yaw=args.yaw,
        occlusion=args.occlusion,
        identities=args.identities,
        identity_seed=args.identity_seed,
        rendering=args.rendering)
    train, test = args.train_per_class, args.test_per_class
    if args.rafdb_size:
        counts = rafdb_split_counts(args.scale)
        train, test = counts['train'], counts['test']
    summary = make_synthetic_rafdb(
        args.out,
        train,
        test,
        args.image_size,
        args.seed,
        args.with_original,
        workers=args.workers,
        style=face_style)
    with open(osp.join(args.out, 'generator.json'), 'w') as f:
        json.dump(
            dict(
                seed=args.seed,
                image_size=args.image_size,
                counts=summary,
                style=face_style.to_dict()),
            f,
            indent=1)
    for split, counts in summary.items():
        print(f'{split}: {sum(counts)} images, per class {counts}')
    print(f'written to {args.out}')


if __name__ == '__main__':
    main()

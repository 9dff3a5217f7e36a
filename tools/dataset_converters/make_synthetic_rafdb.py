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

from mpafer_plugin.testing import make_synthetic_rafdb, rafdb_split_counts
from mpafer_plugin.testing.synthetic_faces import (add_face_style_arguments,
                                                   face_style_from_args)


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
    add_face_style_arguments(
        parser, 'how the faces are drawn (FaceStyle; the defaults are the '
        "quick start's, the stand-in CLIP's pretraining style)")
    args = parser.parse_args()
    face_style = face_style_from_args(args)
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

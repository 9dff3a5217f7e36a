"""Generate the synthetic, RAF-DB-layout dataset of drawn faces used by the
offline quick start and the tests (not real faces).

Usage: python tools/dataset_converters/make_synthetic_rafdb.py \
           --out data/synthetic_rafdb
       python tools/dataset_converters/make_synthetic_rafdb.py --out DIR \
           --rafdb-size [--scale 0.01] [--workers 16]
           # --rafdb-size: RAF-DB's 12,271 / 3,068 images
"""
import argparse
import os

from mpafer_plugin.testing import make_synthetic_rafdb, rafdb_split_counts


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
    args = parser.parse_args()
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
        workers=args.workers)
    for split, counts in summary.items():
        print(f'{split}: {sum(counts)} images, per class {counts}')
    print(f'written to {args.out}')


if __name__ == '__main__':
    main()

"""Generate the synthetic, RAF-DB-layout dataset of drawn faces used by the
offline quick start and the tests (not real faces).

Usage: python tools/make_synthetic_rafdb.py --out data/synthetic_rafdb
"""
import argparse

from mpafer_plugin.datasets import make_synthetic_rafdb


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', default='data/synthetic_rafdb',
                        help='output folder (the "basic" level)')
    parser.add_argument('--train-per-class', type=int, default=40)
    parser.add_argument('--test-per-class', type=int, default=10)
    parser.add_argument('--image-size', type=int, default=100)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--with-original', action='store_true',
                        help='also write Image/original/<name>.jpg')
    args = parser.parse_args()
    summary = make_synthetic_rafdb(
        args.out, args.train_per_class, args.test_per_class,
        args.image_size, args.seed, args.with_original)
    for split, counts in summary.items():
        print(f'{split}: {sum(counts)} images, per class {counts}')
    print(f'written to {args.out}')


if __name__ == '__main__':
    main()

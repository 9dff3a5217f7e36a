"""Gather a tools/quickstart.sh run into one results file.

Usage: python tools/misc/quickstart_results.py WORK_DIR --data DATA_ROOT
       --clip-log CLIP_LOG [--seed N] [--out WORK_DIR/results.json]

Reads what the run left: WORK_DIR/steps.json (each step's wall and CPU time,
from tools/misc/timed.py), the CLIP pretraining log (its last contrastive
loss; left out when an earlier run made the CLIP without a log), the
training's validation scalars and log (WORK_DIR/<time>/vis_data/
scalars.json, WORK_DIR/<time>/<time>.log: prototypes computed or read from
the cache) and the test's metrics (WORK_DIR/test/<time>/<time>.json), and
writes them as one JSON file, with the last and the best validation epoch
labelled (the test is of the last one). Copied to
docs/results/quickstart.json, it is
what tools/misc/update_readme.py writes into the README's quick-start table.
Prints the test top-1.
"""
import argparse
import glob
import json
import os.path as osp
import re

from mpafer_plugin.utils import atomic_write, provenance
from mpafer_plugin.utils.output_guard import exit_if_output_is_input

TOP1 = 'accuracy/top1'
MEAN_CLASS = 'per_class_acc/mean'


def read_json_lines(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def newest(pattern):
    """The newest file matching ``pattern``; names the pattern if none."""
    paths = sorted(glob.glob(pattern))
    if not paths:
        raise FileNotFoundError(f'no file matches {pattern}')
    return paths[-1]


def training_run(work_dir):
    """``([(epoch, top-1)], prototypes)`` of the newest training run in
    ``work_dir``; ``prototypes`` is ``'cache'`` when PrototypeHook read them
    from its cache, else ``'computed'``."""
    scalars = newest(osp.join(work_dir, '2*', 'vis_data', 'scalars.json'))
    run_dir = osp.dirname(osp.dirname(scalars))
    log = osp.join(run_dir, osp.basename(run_dir) + '.log')
    with open(log) as f:
        cached = 'PrototypeHook: loaded cached prototypes' in f.read()
    curve = [(row['step'], row[TOP1]) for row in read_json_lines(scalars)
             if TOP1 in row]
    return curve, 'cache' if cached else 'computed'


def last_and_best(curve, work_dir):
    """The last and the best validation top-1 of ``curve`` (a tie keeps
    the earlier epoch), the best labelled with the split that chose it
    (BestLastHook's ``best_last.json``, when the run wrote one)."""
    epoch, top1 = max(curve, key=lambda point: (point[1], -point[0]))
    best = dict(epoch=epoch, top1=top1)
    record = osp.join(work_dir, 'best_last.json')
    if osp.exists(record):
        with open(record) as f:
            found = json.load(f)
        best.update(
            selected_on=found.get('selection_split'),
            selected_on_test_split=found.get('selection_is_test_split'))
    return dict(epoch=curve[-1][0], top1=curve[-1][1]), best


def test_metrics(test_dir):
    path = newest(osp.join(test_dir, '2*', '2*.json'))
    rows = [row for row in read_json_lines(path) if TOP1 in row]
    if not rows:
        raise ValueError(f'{path}: no {TOP1} in the test log')
    return rows[-1]


def last_clip_loss(log):
    """The last ``contrastive loss X`` of
    tools/misc/pretrain_synthetic_clip.py."""
    with open(log) as f:
        found = re.findall(r'epoch (\d+)/\d+\s+contrastive loss ([0-9.]+)',
                           f.read())
    if not found:
        raise ValueError(f'{log}: no "epoch N/M  contrastive loss X" line')
    return dict(
        epochs=int(found[-1][0]), final_contrastive_loss=float(found[-1][1]))


def split_sizes(data_root):
    """Images per split of a RAF-DB-layout list file."""
    sizes = dict(train=0, test=0)
    with open(osp.join(data_root, 'EmoLabel', 'list_patition_label.txt')) as f:
        for line in f:
            if line.strip():
                sizes['train' if line.startswith('train') else 'test'] += 1
    return sizes


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('work_dir')
    parser.add_argument('--data', required=True)
    parser.add_argument('--clip-log', required=True)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--out', help='default: WORK_DIR/results.json')
    args = parser.parse_args(argv)
    exit_if_output_is_input(
        {'--out': args.out}, {
            '--data': args.data,
            '--clip-log': args.clip_log,
            'WORK_DIR/steps.json': osp.join(args.work_dir, 'steps.json')
        })

    with open(osp.join(args.work_dir, 'steps.json')) as f:
        steps = json.load(f)
    curve, prototypes = training_run(args.work_dir)
    test = test_metrics(osp.join(args.work_dir, 'test'))
    last, best = last_and_best(curve, args.work_dir)
    results = dict(
        **provenance('bash tools/quickstart.sh'),
        seed=args.seed,
        steps=steps,
        data=split_sizes(args.data),
        clip=(last_clip_loss(args.clip_log)
              if osp.exists(args.clip_log) else None),
        train=dict(
            epochs=len(curve),
            prototypes=prototypes,
            val_top1=[top1 for _, top1 in curve],
            last=last,
            best=best),
        # tools/quickstart.sh tests WORK_DIR/last_checkpoint
        test=dict(
            top1=test[TOP1],
            mean_class_accuracy=test.get(MEAN_CLASS),
            checkpoint='last epoch'),
    )
    out = args.out or osp.join(args.work_dir, 'results.json')
    text = json.dumps(results, indent=2) + '\n'
    atomic_write(out, lambda tmp: open(tmp, 'w').write(text))
    print(f'[quickstart] results in {out}; test top-1 (chance 14.3): '
          f'{test[TOP1]:.1f} %')


if __name__ == '__main__':
    main()

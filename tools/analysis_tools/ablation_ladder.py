"""Run a component ladder (the paper's component table) over several seeds.

Each row is an ablation config of ``configs/ablations/`` (or any config):
its *delta* is every setting where it differs from the reference config its
``_base_`` chain starts from (``--reference``, by default the full method
``configs/mpafer_rafdb.py``). The delta is applied to CONFIG, so the same
ladder runs on the quick start, on RAF-DB or on any config derived from the
reference. Every (row, seed) is one ``tools/train.py`` run in its own work
dir ``WORK_DIR/<row>/seed_<s>``; its final validation metrics (top-1, mean
class accuracy, per-class accuracy) are kept in ``result.json`` there, and a
run that has one is skipped, so an interrupted ladder resumes where it
stopped (an interrupted run resumes from its last checkpoint). Seeds are the
outer loop: a partial ladder is balanced across rows.

Outputs: ``WORK_DIR/ladder.json`` (per-seed values, mean and sample
standard deviation of every metric, the delta of every row) and
``WORK_DIR/ladder.md`` (the table), rewritten after every run. One progress
line per run goes to stdout; training logs go to each run's ``train.log``.

Usage:
    python tools/analysis_tools/ablation_ladder.py CONFIG [--seeds 0 1 2 3 4]
        [--rows NAME=ROW_CONFIG ...] [--reference REF_CONFIG]
        [--work-dir DIR] [--cfg-options k=v ...]
"""
import argparse
import glob
import json
import math
import os
import os.path as osp
import re
import subprocess
import sys
import time

from mmengine.config import Config, DictAction

from mpafer_plugin.utils import atomic_write, config_file, provenance

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
ABLATIONS = osp.join(REPO_ROOT, 'configs', 'ablations')
REFERENCE = osp.join(REPO_ROOT, 'configs', 'mpafer_rafdb.py')
# The paper's component table, and global-local added to CoOp alone.
DEFAULT_ROWS = [
    ('CoOp', osp.join(ABLATIONS, 'rafdb_1_coop.py')),
    ('+ visual prompts', osp.join(ABLATIONS, 'rafdb_2_visual_prompts.py')),
    ('+ prototype alignment', osp.join(ABLATIONS, 'rafdb_3_prototype.py')),
    ('+ soft-hard alignment', osp.join(ABLATIONS, 'rafdb_4_soft_hard.py')),
    ('+ global-local (full method)', REFERENCE),
    ('CoOp + global-local', osp.join(ABLATIONS, 'rafdb_coop_global_local.py')),
]
TOP1 = 'accuracy/top1'
MEAN_CLASS = 'single-label/recall'
PER_CLASS = 'per_class_acc/'


def flatten(tree, prefix=''):
    """``{'a': {'b': 1}}`` → ``{'a.b': 1}``; lists and scalars are leaves."""
    flat = {}
    for key, value in tree.items():
        if isinstance(value, dict) and value:
            flat.update(flatten(value, f'{prefix}{key}.'))
        else:
            flat[f'{prefix}{key}'] = value
    return flat


def config_delta(row_file, reference_file):
    """The dotted settings where ``row_file`` differs from
    ``reference_file``, as ``{key: row value}`` for ``merge_from_dict``."""
    row = flatten(Config.fromfile(row_file).to_dict())
    ref = flatten(Config.fromfile(reference_file).to_dict())

    def covered(key):  # set by the row itself, or by a row key above it
        parts = key.split('.')
        return any('.'.join(parts[:n]) in row
                   for n in range(1,
                                  len(parts) + 1))

    dropped = sorted(
        k for k in ref
        if not covered(k) and not any(r.startswith(k + '.') for r in row))
    if dropped:
        raise ValueError(
            f'{row_file}: removes {dropped} from the reference '
            f'{reference_file}; a ladder row may only set values.')
    return {k: v for k, v in row.items() if ref.get(k, object()) != v}


def run_config(config_file, delta, options, seed, run_dir):
    """CONFIG with a row's delta, the common options and the seed."""
    cfg = Config.fromfile(config_file)
    cfg.merge_from_dict(delta)
    if options:
        cfg.merge_from_dict(options)
    cfg.randomness = dict(cfg.get('randomness', {}), seed=seed)
    cfg.work_dir = run_dir
    return cfg


def final_metrics(run_dir):
    """The last validation record of a run (over its resumed sessions),
    from MMEngine's ``<timestamp>/vis_data/scalars.json``."""
    last = None
    for path in sorted(
            glob.glob(osp.join(run_dir, '*', 'vis_data', 'scalars.json'))):
        with open(path) as f:
            for line in f:
                record = json.loads(line)
                if TOP1 in record:
                    last = record
    if last is None:
        raise RuntimeError(f'{run_dir}: no validation record '
                           f'({TOP1}) in */vis_data/scalars.json.')
    per_class = {
        k[len(PER_CLASS):]: v
        for k, v in last.items() if k.startswith(PER_CLASS)
        and isinstance(v, (int, float)) and k != PER_CLASS + 'mean'
    }
    return dict(
        top1=last[TOP1],
        mean_class=last.get(MEAN_CLASS),
        per_class=per_class,
        epoch=last.get('step'))


def train_run(cfg, run_dir):
    """``tools/train.py`` on the dumped config, resuming from the run's
    last checkpoint if it has one; its output goes to ``train.log``."""
    os.makedirs(run_dir, exist_ok=True)
    config_path = osp.join(run_dir, 'config.py')
    cfg.dump(config_path)
    with open(osp.join(run_dir, 'train.log'), 'a') as log:
        done = subprocess.run([
            sys.executable,
            osp.join(REPO_ROOT, 'tools', 'train.py'), config_path,
            '--work-dir', run_dir, '--resume'
        ],
                              stdout=log,
                              stderr=subprocess.STDOUT)
    if done.returncode:
        raise RuntimeError(f'{run_dir}: tools/train.py exited with '
                           f'{done.returncode}; see {run_dir}/train.log.')


def mean_std(values):
    """Mean and sample standard deviation (0 for a single value)."""
    mean = sum(values) / len(values)
    if len(values) < 2:
        return mean, 0.0
    var = sum((v - mean)**2 for v in values) / (len(values) - 1)
    return mean, math.sqrt(var)


def summarise(rows, results):
    """Per row: per-seed values, mean and std of top-1, mean class accuracy
    and every class's accuracy, over the seeds finished so far."""
    summary = []
    for name, row_file, delta in rows:
        runs = results.get(name, {})
        entry = dict(
            name=name,
            config=osp.relpath(row_file, REPO_ROOT),
            delta=delta,
            seeds=sorted(runs),
            top1_per_seed=[runs[s]['top1'] for s in sorted(runs)])
        if runs:
            for key in ('top1', 'mean_class'):
                values = [r[key] for r in runs.values() if r[key] is not None]
                if values:
                    entry[key + '_mean'], entry[key +
                                                '_std'] = mean_std(values)
            classes = next(iter(runs.values()))['per_class']
            entry['per_class_mean'] = {
                c: mean_std([r['per_class'][c] for r in runs.values()])[0]
                for c in classes
            }
        summary.append(entry)
    return summary


def markdown(summary, title):
    """The ladder as a Markdown table: mean ± std, per-seed top-1, mean
    class accuracy and the mean accuracy of every class."""
    classes = next((list(e['per_class_mean'])
                    for e in summary if 'per_class_mean' in e), [])
    head = ([
        'row', 'seeds', 'top-1 (mean ± std)', 'top-1 per seed',
        'mean class acc.'
    ] + classes)
    lines = [
        title, '', '| ' + ' | '.join(head) + ' |', '|' + '---|' * len(head)
    ]
    for e in summary:
        if not e['seeds']:
            lines.append(f"| {e['name']} | 0 |" + ' |' * (len(head) - 2))
            continue
        cells = [
            e['name'],
            str(len(e['seeds'])),
            f"{e['top1_mean']:.1f} ± {e['top1_std']:.1f}",
            ' / '.join(f'{v:.1f}' for v in e['top1_per_seed']),
            (f"{e['mean_class_mean']:.1f} ± {e['mean_class_std']:.1f}"
             if 'mean_class_mean' in e else '-')
        ]
        cells += [f"{e['per_class_mean'][c]:.1f}" for c in classes]
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines) + '\n'


def ladder_title(header):
    """The first line of ``ladder.md`` (and of the README's table)."""
    made = (f" at commit `{header['commit']}` ({header['date']})"
            if header.get('commit') else '')
    return (f"Component ladder on `{header['config']}`, seeds "
            f"{header['seeds']}{made}; validation metrics after the last "
            f"epoch (`python tools/analysis_tools/ablation_ladder.py`).")


def write_outputs(work_dir, header, summary):
    """``ladder.json`` and ``ladder.md``, each replaced atomically."""
    texts = dict(
        json=json.dumps(dict(header, rows=summary), indent=1, default=str),
        md=markdown(summary, ladder_title(header)))
    for ext, text in texts.items():
        atomic_write(
            osp.join(work_dir, f'ladder.{ext}'),
            lambda tmp, text=text: open(tmp, 'w').write(text))


def run_ladder(config,
               rows,
               seeds,
               work_dir,
               options=None,
               reference=REFERENCE,
               train=train_run):
    """Run (or pick up) every (row, seed) and write the outputs; returns
    the summary and the list of failed runs."""
    rows = [(name, f, config_delta(f, reference)) for name, f in rows]
    header = dict(
        provenance(),
        config=config,
        reference=osp.relpath(reference, REPO_ROOT),
        seeds=list(seeds),
        options=options or {})
    os.makedirs(work_dir, exist_ok=True)
    results, failed = {}, []
    total, count = len(rows) * len(seeds), 0
    for seed in seeds:
        for name, _, delta in rows:
            count += 1
            run_dir = osp.join(work_dir, slug(name), f'seed_{seed}')
            result_file = osp.join(run_dir, 'result.json')
            start = time.time()
            status = 'done before'
            if not osp.isfile(result_file):
                try:
                    train(
                        run_config(config, delta, options, seed, run_dir),
                        run_dir)
                    result = dict(
                        final_metrics(run_dir),
                        row=name,
                        seed=seed,
                        wall_s=time.time() - start)
                except (RuntimeError, subprocess.SubprocessError) as err:
                    failed.append((name, seed, str(err)))
                    print(
                        f'[ladder] {count}/{total} {name}, seed {seed}: '
                        f'FAILED: {err}',
                        flush=True)
                    continue
                with open(result_file, 'w') as f:
                    json.dump(result, f, indent=1)
                status = f'{time.time() - start:.0f} s'
            with open(result_file) as f:
                result = json.load(f)
            results.setdefault(name, {})[seed] = result
            mean_class = result['mean_class']
            print(
                f"[ladder] {count}/{total} {name}, seed {seed}: top-1 "
                f"{result['top1']:.1f}, mean class "
                f"{'-' if mean_class is None else f'{mean_class:.1f}'} "
                f'({status})',
                flush=True)
            write_outputs(work_dir, header, summarise(rows, results))
    return summarise(rows, results), failed


def slug(name):
    """A row's work-dir name: ``'+ visual prompts'`` → ``visual_prompts``."""
    return re.sub(r'[^a-z0-9]+', '_', name.lower()).strip('_')


def parse_row(text):
    name, sep, path = text.partition('=')
    if not sep or not name or not path:
        raise argparse.ArgumentTypeError(
            f'--rows entries are NAME=CONFIG, got {text!r}.')
    return name, path


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        'config', type=config_file, help='the config the rows are applied to')
    parser.add_argument(
        '--seeds', type=int, nargs='+', default=[0, 1, 2, 3, 4])
    parser.add_argument(
        '--rows',
        type=parse_row,
        nargs='+',
        help='NAME=ROW_CONFIG ...; default: the component '
        'table of configs/ablations/')
    parser.add_argument(
        '--reference',
        default=REFERENCE,
        help='the config every row is a delta of')
    parser.add_argument(
        '--work-dir', help='default: work_dirs/ladder_'
        '<config name>')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='settings applied to every run')
    args = parser.parse_args(argv)
    work_dir = args.work_dir or osp.join(
        'work_dirs', 'ladder_' + osp.splitext(osp.basename(args.config))[0])
    summary, failed = run_ladder(args.config, args.rows or DEFAULT_ROWS,
                                 args.seeds, work_dir, args.cfg_options,
                                 args.reference)
    print(markdown(summary, f'[ladder] {work_dir}/ladder.md:'))
    if failed:
        sys.exit(f'[ladder] {len(failed)} run(s) failed: ' +
                 '; '.join(f'{n} seed {s}' for n, s, _ in failed) +
                 '. Run the same command again to retry them.')


if __name__ == '__main__':
    main()

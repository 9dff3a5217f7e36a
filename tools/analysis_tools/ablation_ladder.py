"""Run a component ladder (the paper's component table) over several seeds.

Each row is an ablation config of ``configs/ablations/`` (or any config):
its *delta* is every setting where it differs from the reference config its
``_base_`` chain starts from (``--reference``, by default the full method
``configs/mpafer_rafdb.py``). The delta is applied to CONFIG, so the same
ladder runs on the proxy (``configs/proxy/mpafer_proxy.py``), on the quick
start, on RAF-DB or on any config derived from the reference.

**Records and resuming.** Every (row, seed) is one ``tools/train.py`` run.
When it finishes, its record ``RESULTS/<row>/seed<k>.json`` is written: the
run's key (a SHA-256 of its full resolved config, ``work_dir`` aside, and of
the fingerprints of its input files: the CLIP file and the data's
``generator.json`` where they exist), the resolved config itself, the
validation metrics of every epoch, the last and the best epoch, wall time
and provenance (command, commit, date, machine). A later call (another
session, a fresh clone with the records committed) reuses a record only
when its key is the one asked for; a record made with another config or
other inputs is named with the keys that differ and trained again. Each
run trains in ``WORK_DIR/<row>/seed_<k>/<key[:12]>``, so an interrupted run
resumes from its own last checkpoint, never from another config's. Row
names must give distinct folders (``<row>`` is the name's slug). Seeds are
the outer loop: a partial ladder is balanced across rows.

**Statistics.** Per row, over the seeds finished: mean and t-based 95 %
interval of the last epoch's top-1 and of the best epoch's (the FER papers
report the best test epoch), the mean class accuracy, and the paired
difference (same seeds) to the row it is compared with (the row above; for
``CoOp + global-local``, CoOp), with its paired t-based 95 % interval; and
the full method against CoOp. Written to ``RESULTS.json`` and
``RESULTS.md`` after every run (``RESULTS`` default: ``WORK_DIR/records``).

Usage:
    python tools/analysis_tools/ablation_ladder.py CONFIG [--seeds 0 1 2 3 4]
        [--rows NAME=ROW_CONFIG ...] [--reference REF_CONFIG]
        [--work-dir DIR] [--results DIR] [--cfg-options k=v ...]
        [--report-only]
"""
import argparse
import glob
import hashlib
import json
import math
import os
import os.path as osp
import re
import subprocess
import sys
import time

from mmengine.config import Config, DictAction

from mpafer_plugin.utils import (atomic_write, config_file, file_sha256,
                                 provenance)

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
ABLATIONS = osp.join(REPO_ROOT, 'configs', 'ablations')
REFERENCE = osp.join(REPO_ROOT, 'configs', 'mpafer_rafdb.py')
COOP, FULL = 'CoOp', '+ global-local (full method)'
# The paper's component table, and global-local added to CoOp alone.
DEFAULT_ROWS = [
    (COOP, osp.join(ABLATIONS, 'rafdb_1_coop.py')),
    ('+ visual prompts', osp.join(ABLATIONS, 'rafdb_2_visual_prompts.py')),
    ('+ prototype alignment', osp.join(ABLATIONS, 'rafdb_3_prototype.py')),
    ('+ soft-hard alignment', osp.join(ABLATIONS, 'rafdb_4_soft_hard.py')),
    (FULL, REFERENCE),
    ('CoOp + global-local', osp.join(ABLATIONS, 'rafdb_coop_global_local.py')),
]
# A row is compared with the row above it, except these.
COMPARED_WITH = {'CoOp + global-local': COOP}
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


def run_config(config_file, delta, options, seed, run_dir=None):
    """CONFIG with a row's delta, the common options and the seed."""
    cfg = Config.fromfile(config_file)
    cfg.merge_from_dict(delta)
    if options:
        cfg.merge_from_dict(options)
    cfg.randomness = dict(cfg.get('randomness', {}), seed=seed)
    if run_dir is not None:
        cfg.work_dir = run_dir
    return cfg


def resolved(cfg):
    """The run's full resolved config as JSON-safe data, ``work_dir``
    (where it runs, not what it runs) left out."""
    tree = {k: v for k, v in cfg.to_dict().items() if k != 'work_dir'}
    return json.loads(json.dumps(tree, sort_keys=True, default=repr))


def input_fingerprints(cfg):
    """SHA-256 of the input files a config names that exist here: the
    CLIP file (``model.clip.pretrained``) and the training and validation
    data's ``generator.json`` (written by the synthetic data generator)."""
    found = {}
    pretrained = cfg.get('model', {}).get('clip', {}).get('pretrained')
    if isinstance(pretrained, str) and osp.isfile(pretrained):
        found['model.clip.pretrained'] = file_sha256(pretrained)
    for loader in ('train_dataloader', 'val_dataloader'):
        root = cfg.get(loader, {}).get('dataset', {}).get('data_root')
        recipe = osp.join(root, 'generator.json') if root else None
        if recipe and osp.isfile(recipe):
            found[f'{loader}.dataset.data_root/generator.json'] = \
                file_sha256(recipe)
    return found


def run_key(config, inputs):
    """The SHA-256 that names one run: its resolved config and inputs."""
    text = json.dumps(dict(config=config, inputs=inputs), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def observer_hooks(*configs):
    """``['config', 'default_hooks', NAME]`` of each default hook of
    ``configs`` whose class says it only observes a run (``observes_only =
    True``, e.g. BestLastHook): adding or removing one changes no result, so
    a record made without it still stands for the run."""
    from mmpretrain.registry import HOOKS

    import mpafer_plugin  # noqa: F401  registers the project's hooks
    found = []
    for config in configs:
        for name, hook in (config.get('default_hooks') or {}).items():
            kind = hook.get('type') if isinstance(hook, dict) else None
            cls = HOOKS.get(kind) if isinstance(kind, str) else None
            if getattr(cls, 'observes_only', False):
                found.append(['config', 'default_hooks', name])
    return found


def differing_keys(old, new):
    """The dotted keys whose values differ between two resolved configs
    (or input fingerprints)."""
    old, new = flatten(old), flatten(new)
    return sorted(
        k for k in set(old) | set(new)
        if old.get(k, '<unset>') != new.get(k, '<unset>'))


def scalar_records(run_dir):
    """Every logged scalar record of a run, over its resumed sessions in
    order, from MMEngine's ``*/vis_data/scalars.json`` (one per session)."""
    for path in sorted(
            glob.glob(osp.join(run_dir, '*', 'vis_data', 'scalars.json'))):
        with open(path) as f:
            yield from (json.loads(line) for line in f if line.strip())


def epoch_metrics(run_dir):
    """Every validation record of a run (over its resumed sessions, the
    last one of each epoch), from :func:`scalar_records`:
    ``[{epoch, top1, mean_class, per_class}]`` in epoch order."""
    by_epoch = {}
    for record in scalar_records(run_dir):
        if TOP1 in record:
            by_epoch[record.get('step')] = record
    if not by_epoch:
        raise RuntimeError(f'{run_dir}: no validation record '
                           f'({TOP1}) in */vis_data/scalars.json.')
    epochs = []
    for epoch in sorted(by_epoch, key=lambda e: (e is None, e)):
        record = by_epoch[epoch]
        epochs.append(
            dict(
                epoch=epoch,
                top1=record[TOP1],
                mean_class=record.get(MEAN_CLASS),
                per_class={
                    k[len(PER_CLASS):]: v
                    for k, v in record.items() if k.startswith(PER_CLASS)
                    and isinstance(v, (int, float)) and k != PER_CLASS + 'mean'
                }))
    return epochs


def final_metrics(run_dir):
    """The last and the best epoch of a run, and every epoch's top-1 and
    mean class accuracy."""
    epochs = epoch_metrics(run_dir)
    last = epochs[-1]
    best = max(epochs, key=lambda e: e['top1'])  # the first of equals
    return dict(
        top1=last['top1'],
        mean_class=last['mean_class'],
        per_class=last['per_class'],
        epoch=last['epoch'],
        best_top1=best['top1'],
        best_epoch=best['epoch'],
        epochs=[{
            k: e[k]
            for k in ('epoch', 'top1', 'mean_class')
        } for e in epochs])


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


# Two-sided 95 % quantiles of Student's t for 1-30 degrees of freedom.
_T975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
         2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
         2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042)


def mean_std(values):
    """Mean and sample standard deviation (0 for a single value)."""
    mean = sum(values) / len(values)
    if len(values) < 2:
        return mean, 0.0
    var = sum((v - mean)**2 for v in values) / (len(values) - 1)
    return mean, math.sqrt(var)


def t_interval(values):
    """``(mean, half-width of the t-based 95 % interval)``; the half-width
    is None for fewer than two values."""
    mean, std = mean_std(values)
    n = len(values)
    if n < 2:
        return mean, None
    t = _T975[n - 2] if n - 1 <= len(_T975) else 1.96
    return mean, t * std / math.sqrt(n)


def paired_difference(runs, other_runs, key):
    """``row - other`` on the seeds both have: mean, 95 % half-width and
    the seeds, or None when they share no seed."""
    seeds = sorted(set(runs) & set(other_runs))
    if not seeds:
        return None
    diffs = [runs[s][key] - other_runs[s][key] for s in seeds]
    mean, half = t_interval(diffs)
    return dict(mean=mean, ci95=half, seeds=seeds)


def comparisons(names):
    """``{row: the row it is compared with}``: the row above, except
    :data:`COMPARED_WITH`."""
    pairs = {}
    for i, name in enumerate(names):
        other = COMPARED_WITH.get(name, names[i - 1] if i else None)
        if other in names and other != name:
            pairs[name] = other
    return pairs


def summarise(rows, results):
    """Per row, over the seeds finished so far: per-seed values, mean, std
    and t-based 95 % interval of the last and the best epoch's top-1, the
    mean class accuracy, every class's mean accuracy, and the paired
    differences to the row it is compared with."""
    names = [name for name, *_ in rows]
    against = comparisons(names)
    summary = []
    for name, row_file, delta in rows:
        runs = results.get(name, {})
        seeds = sorted(runs)
        entry = dict(
            name=name,
            config=osp.relpath(row_file, REPO_ROOT),
            delta=delta,
            seeds=seeds,
            top1_per_seed=[runs[s]['top1'] for s in seeds],
            best_top1_per_seed=[runs[s].get('best_top1') for s in seeds],
            wall_s=sum(runs[s].get('wall_s', 0.0) for s in seeds))
        if runs:
            for key in ('top1', 'mean_class', 'best_top1'):
                values = [
                    runs[s][key] for s in seeds if runs[s].get(key) is not None
                ]
                if values:
                    entry[key + '_mean'], entry[key + '_std'] = \
                        mean_std(values)
                    entry[key + '_ci95'] = t_interval(values)[1]
            classes = runs[seeds[0]]['per_class']
            entry['per_class_mean'] = {
                c: mean_std([runs[s]['per_class'][c] for s in seeds])[0]
                for c in classes
            }
        if name in against:
            other = results.get(against[name], {})
            entry['compared_with'] = against[name]
            for key in ('top1', 'best_top1'):
                diff = paired_difference(runs, other, key)
                if diff:
                    entry[f'{key}_diff'] = diff
        summary.append(entry)
    if COOP in names and FULL in names:
        headline = dict(row=FULL, compared_with=COOP)
        for key in ('top1', 'best_top1'):
            diff = paired_difference(
                results.get(FULL, {}), results.get(COOP, {}), key)
            if diff:
                headline[f'{key}_diff'] = diff
        summary.append(dict(name=f'{FULL} vs {COOP}', headline=headline))
    return summary


def _interval(mean, half):
    return (f'{mean:.1f}' if half is None else
            f'{mean:.1f} [{mean - half:.1f}, {mean + half:.1f}]')


def _diff(entry, key):
    diff = entry.get(f'{key}_diff')
    if not diff:
        return '-'
    mean, half = diff['mean'], diff['ci95']
    text = f'{mean:+.1f}' if half is None else (
        f'{mean:+.1f} [{mean - half:+.1f}, {mean + half:+.1f}]')
    return text + f" (n={len(diff['seeds'])})"


def markdown(summary, title):
    """The ladder as a Markdown table: per row the number of seeds, top-1
    after the last epoch and at the best epoch (mean [95 % interval]), the
    paired difference to the row it is compared with, mean class accuracy
    and top-1 per seed; then the full method against CoOp."""
    head = [
        'row', 'seeds', 'top-1, last epoch', 'Δ last (paired)',
        'top-1, best epoch', 'Δ best (paired)', 'mean class acc.',
        'top-1 per seed (last)'
    ]
    lines = [
        title, '', '| ' + ' | '.join(head) + ' |', '|' + '---|' * len(head)
    ]
    notes = []
    for e in summary:
        if 'headline' in e:
            h = e['headline']
            notes.append(f"{h['row']} − {h['compared_with']} (paired, "
                         f"95 % interval): last epoch "
                         f"{_diff(h, 'top1')}, best epoch "
                         f"{_diff(h, 'best_top1')}.")
            continue
        shown = e['name'] in COMPARED_WITH and 'compared_with' in e
        name = e['name'] + (f" (Δ vs {e['compared_with']})" if shown else '')
        if not e['seeds']:
            lines.append(f'| {name} | 0 |' + ' - |' * (len(head) - 2))
            continue
        cells = [
            name,
            str(len(e['seeds'])),
            _interval(e['top1_mean'], e.get('top1_ci95')),
            _diff(e, 'top1'),
            (_interval(e['best_top1_mean'], e.get('best_top1_ci95'))
             if 'best_top1_mean' in e else '-'),
            _diff(e, 'best_top1'),
            (f"{e['mean_class_mean']:.1f}" if 'mean_class_mean' in e else '-'),
            ' / '.join(f'{v:.1f}' for v in e['top1_per_seed']),
        ]
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines + [''] + notes) + '\n'


def ladder_title(header):
    """The first line of ``RESULTS.md`` (and of the README's table)."""
    made = (f" at commit `{header['commit']}` ({header['date']})"
            if header.get('commit') else '')
    wall = header.get('wall_s')
    timing = (f"; {header['runs']} runs, {wall / 60:.0f} min of wall time "
              f"in all ({wall / max(header['runs'], 1) / 60:.1f} min per "
              f"run, {header['machine']['cpus']} CPUs shared)" if wall else '')
    return (f"Component ladder on `{header['config']}`, seeds "
            f"{header['seeds']}{made}{timing}; 95 % intervals are t-based "
            f"over seeds (`python tools/analysis_tools/ablation_ladder.py`).")


def write_outputs(results_dir, header, summary):
    """``RESULTS.json`` and ``RESULTS.md``, each replaced atomically."""
    texts = dict(
        json=json.dumps(dict(header, rows=summary), indent=1, default=str),
        md=markdown(summary, ladder_title(header)))
    for ext, text in texts.items():
        atomic_write(
            f'{results_dir}.{ext}',
            lambda tmp, text=text: open(tmp, 'w').write(text))


def slug(name):
    """A row's folder name: ``'+ visual prompts'`` → ``visual_prompts``."""
    return re.sub(r'[^a-z0-9]+', '_', name.lower()).strip('_')


def run_folder(work_dir, name, seed, key):
    """Where row ``name``'s run of ``seed`` trains: one folder per run key,
    so that a run of another config never resumes this one's."""
    return osp.join(work_dir, slug(name), f'seed_{seed}', key[:12])


def check_rows(rows):
    """Every row has its own name and its own folder."""
    folders = {}
    for name, *_ in rows:
        folder = slug(name)
        if not folder:
            raise ValueError(f'ladder row {name!r} has no letter or digit '
                             'to name its folder; rename it.')
        if folder in folders:
            raise ValueError(
                f'ladder rows {folders[folder]!r} and {name!r} both map to '
                f'the folder {folder!r}: one would train and be reported '
                'twice. Give them names that differ in letters or digits.')
        folders[folder] = name


def load_record(path, key, config, inputs):
    """The record at ``path`` if it was made for this run's key, else None
    (saying why it is not reused)."""
    if not osp.isfile(path):
        return None
    try:
        with open(path) as f:
            record = json.load(f)
    except (OSError, ValueError) as err:
        print(
            f'[ladder] {path} is unreadable ({err}); training again.',
            flush=True)
        return None
    if record.get('key') == key:
        return record
    differ = differing_keys(
        dict(config=record.get('config', {}), inputs=record.get('inputs', {})),
        dict(config=config, inputs=inputs))
    observers = observer_hooks(record.get('config', {}), config)
    if differ and all(k.split('.')[:3] in observers for k in differ):
        print(
            f'[ladder] {path} is reused: its config differs only in hooks '
            f'that observe a run and change nothing of it '
            f'({", ".join(".".join(o[1:]) for o in observers)}).',
            flush=True)
        return record
    print(
        f'[ladder] {path} was made with another config or other inputs '
        f'(differing: {", ".join(differ[:8]) or "its key"}'
        f'{" …" if len(differ) > 8 else ""}); training again.',
        flush=True)
    return None


def run_ladder(config,
               rows,
               seeds,
               work_dir,
               options=None,
               reference=REFERENCE,
               train=train_run,
               results_dir=None,
               report_only=False):
    """Run (or pick up) every (row, seed) and write the outputs; returns
    the summary and the list of failed runs. ``report_only`` trains
    nothing: it summarises the records that match (several ladder
    processes on disjoint seeds or rows, gathered at the end)."""
    check_rows(rows)
    rows = [(name, f, config_delta(f, reference)) for name, f in rows]
    results_dir = results_dir or osp.join(work_dir, 'records')
    header = dict(
        provenance(),
        config=config,
        reference=osp.relpath(reference, REPO_ROOT),
        seeds=list(seeds),
        options=options or {})
    results, failed = {}, []
    total, count = len(rows) * len(seeds), 0
    for seed in seeds:
        for name, _, delta in rows:
            count += 1
            cfg = run_config(config, delta, options, seed)
            config_tree, inputs = resolved(cfg), input_fingerprints(cfg)
            key = run_key(config_tree, inputs)
            record_file = osp.join(results_dir, slug(name), f'seed{seed}.json')
            record = load_record(record_file, key, config_tree, inputs)
            status = 'done before'
            if record is None and report_only:
                continue
            if record is None:
                run_dir = run_folder(work_dir, name, seed, key)
                cfg.work_dir = run_dir
                start = time.time()
                try:
                    train(cfg, run_dir)
                    record = dict(
                        final_metrics(run_dir),
                        row=name,
                        seed=seed,
                        key=key,
                        wall_s=time.time() - start,
                        provenance=provenance(),
                        inputs=inputs,
                        config=config_tree)
                except (RuntimeError, subprocess.SubprocessError) as err:
                    failed.append((name, seed, str(err)))
                    print(
                        f'[ladder] {count}/{total} {name}, seed {seed}: '
                        f'FAILED: {err}',
                        flush=True)
                    continue
                atomic_write(
                    record_file,
                    lambda tmp, record=record: open(tmp, 'w').write(
                        json.dumps(record, indent=1, default=str)))
                status = f'{record["wall_s"]:.0f} s'
            results.setdefault(name, {})[seed] = record
            mean_class = record['mean_class']
            print(
                f"[ladder] {count}/{total} {name}, seed {seed}: top-1 "
                f"{record['top1']:.1f} (best {record.get('best_top1', 0):.1f}"
                f" at epoch {record.get('best_epoch')}), mean class "
                f"{'-' if mean_class is None else f'{mean_class:.1f}'} "
                f'({status})',
                flush=True)
            done = [r for runs in results.values() for r in runs.values()]
            header.update(
                runs=len(done), wall_s=sum(r.get('wall_s', 0) for r in done))
            write_outputs(results_dir, header, summarise(rows, results))
    return summarise(rows, results), failed


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
        '--results',
        help='folder of the per-run records (RESULTS/<row>/seed<k>.json); '
        'the summary goes to RESULTS.json and RESULTS.md; default: '
        'WORK_DIR/records')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='settings applied to every run')
    parser.add_argument(
        '--report-only',
        action='store_true',
        help='train nothing: summarise the matching records')
    args = parser.parse_args(argv)
    work_dir = args.work_dir or osp.join(
        'work_dirs', 'ladder_' + osp.splitext(osp.basename(args.config))[0])
    summary, failed = run_ladder(
        args.config,
        args.rows or DEFAULT_ROWS,
        args.seeds,
        work_dir,
        args.cfg_options,
        args.reference,
        results_dir=args.results,
        report_only=args.report_only)
    print(markdown(summary, '[ladder] summary:'))
    if failed:
        sys.exit(f'[ladder] {len(failed)} run(s) failed: ' +
                 '; '.join(f'{n} seed {s}' for n, s, _ in failed) +
                 '. Run the same command again to retry them.')


if __name__ == '__main__':
    main()

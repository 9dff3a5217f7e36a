"""Probe every finished run of a component ladder: what the last checkpoint
of each (row, seed) fits on its training split against what it reaches on
unseen images, and what its visual prompts did to the image features.

For each record ``RESULTS/<row>/seed<k>.json`` written by
``ablation_ladder.py``, the run's folder ``WORK_DIR/<row>/seed_<k>/<key[:12]>``
(its ``config.py`` and ``last_checkpoint``) is measured by
``probe_components.py``'s functions, through the test pipeline (no
augmentation):

* ``train_acc`` / ``val_acc``: the model's top-1 on its training split and
  on the validation split; their difference is the generalisation gap that
  a regulariser (``L_ta``, ``L_pa``, ``L_v``) can close;
* with visual prompts, ``probe_prompted_class_token_train`` /
  ``probe_prompted_class_token``: a linear probe on the prompted class
  token (did the prompts make the classes more separable?) and
  ``cos_prompted_vs_frozen_global`` (how far they moved it);
* from the run's training log (MMEngine's ``vis_data/scalars.json``, each
  entry a mean over the logging interval): ``grad_norm_median``, the
  median of the prompts' gradient norm before clipping (above the
  config's ``clip_grad.max_norm``, every step is scaled down to it), and
  ``last_epoch_losses``, each loss term's mean over the last epoch;
* once, ``frozen_clip``: the same linear probe on the frozen class token
  (``probe_class_token_train`` is how far the frozen features can be
  fitted at all), and zero-shot accuracy.

Writes ``--out`` (default ``RESULTS_probe.json``): per row the per-seed
measures and their means; ``tools/misc/readme_results/`` renders it.

Usage:
    python tools/analysis_tools/probe_ladder.py RESULTS --work-dir WORK_DIR
        [--out OUT.json]
"""
import argparse
import glob
import json
import os.path as osp
import statistics
import sys
import time

import torch
from mmengine.config import Config

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
if ROOT not in sys.path:  # run as a script: tools/ is a package of ROOT
    sys.path.insert(0, ROOT)

from mpafer_plugin.apis.model_init import init_model  # noqa: E402
from mpafer_plugin.utils import CheckpointError, atomic_write  # noqa: E402
from mpafer_plugin.utils.output_guard import \
    exit_if_output_is_input  # noqa: E402
from mpafer_plugin.utils.progress import progress_bar  # noqa: E402
from mpafer_plugin.utils.provenance import provenance  # noqa: E402
from tools.analysis_tools import ablation_ladder  # noqa: E402
from tools.analysis_tools.probe_components import (  # noqa: E402
    checkpoint_measures, encode, frozen_measures, load_split)

SUMMARISED = ('train_acc', 'val_acc', 'gap',
              'probe_prompted_class_token_train', 'probe_prompted_class_token',
              'cos_prompted_vs_frozen_global', 'prompt_norm',
              'grad_norm_median')


def run_dir(record, work_dir):
    """The folder the ladder trained ``record``'s run in."""
    folder = ablation_ladder.run_folder(work_dir, record['row'],
                                        record['seed'], record['key'])
    if not osp.isfile(osp.join(folder, 'last_checkpoint')):
        raise FileNotFoundError(
            f'{folder}/last_checkpoint does not exist: the run of row '
            f'{record["row"]!r}, seed {record["seed"]} was not trained in '
            f'--work-dir {work_dir} (train it with ablation_ladder.py and '
            f'the same --work-dir, or give the ladder\'s own).')
    return folder


def training_log(folder):
    """``grad_norm_median`` and ``last_epoch_losses`` of the run's logged
    training scalars, over its resumed sessions (a step logged again after
    a resume counts once, as its last session logged it)."""
    by_step = {
        e['step']: e
        for e in ablation_ladder.scalar_records(folder) if 'grad_norm' in e
    }
    if not by_step:
        return {}
    train = [by_step[step] for step in sorted(by_step)]
    last = [e for e in train if e['epoch'] == train[-1]['epoch']]
    return dict(
        grad_norm_median=statistics.median(e['grad_norm'] for e in train),
        last_epoch_losses={
            key: statistics.mean(e[key] for e in last)
            for key in last[0] if key.startswith('loss')
        })


def measure(folder, with_frozen):
    """``(checkpoint measures, frozen measures or None)`` of one run."""
    cfg = Config.fromfile(osp.join(folder, 'config.py'))
    with open(osp.join(folder, 'last_checkpoint')) as f:
        checkpoint = f.read().strip()
    train_set, val_set = (load_split(cfg, 'train_dataloader'),
                          load_split(cfg, 'val_dataloader'))
    model = init_model(cfg, checkpoint)
    with torch.no_grad():
        train, val = encode(model, train_set), encode(model, val_set)
        measures = checkpoint_measures(model, train, val, [], [], val_set)
        frozen = frozen_measures(model, train, val) if with_frozen \
            else None
    measures['gap'] = measures['train_acc'] - measures['val_acc']
    measures.update(training_log(folder))
    measures['checkpoint'] = osp.relpath(checkpoint)
    for unused in ('acc_by_lambda', 'acc_by_topk'):
        measures.pop(unused)
    return measures, frozen


def summary(per_seed):
    """Mean over seeds of each summarised measure the runs have."""
    return {
        key: statistics.mean(m[key] for m in per_seed.values())
        for key in SUMMARISED if all(key in m for m in per_seed.values())
    }


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('results', help='the ladder\'s --results folder')
    parser.add_argument(
        '--work-dir', required=True, help='the ladder\'s --work-dir')
    parser.add_argument('--out', help='default: RESULTS_probe.json')
    args = parser.parse_args(argv)
    files = sorted(glob.glob(osp.join(args.results, '*', 'seed*.json')))
    if not files:
        parser.error(f'{args.results}: no ladder records (<row>/seed<k>.json)')
    records = []
    for path in files:
        with open(path) as f:
            records.append(json.load(f))
    try:
        folders = [run_dir(r, args.work_dir) for r in records]  # all, first
    except FileNotFoundError as error:
        parser.exit(1, f'error: {error}\n')
    out = args.out or args.results.rstrip('/') + '_probe.json'
    inputs = {f'RESULTS record {i}': path for i, path in enumerate(files)}
    inputs.update({
        f'run {i} {name}': osp.join(folder, name)
        for i, folder in enumerate(folders)
        for name in ('config.py', 'last_checkpoint')
    })
    exit_if_output_is_input({'--out': out}, inputs)
    rows, frozen = {}, None
    start = time.time()
    progress = progress_bar(len(records), 'probing the ladder\'s runs')
    for record, folder in zip(records, folders):
        try:
            measures, found = measure(folder, frozen is None)
        except CheckpointError as err:  # file named
            raise SystemExit(f'error: {err}') from err
        frozen = frozen or found
        rows.setdefault(record['row'], {})[str(record['seed'])] = measures
        progress.update()
    report = dict(
        results=args.results,
        frozen_clip=frozen,
        rows={
            name: dict(mean=summary(seeds), seeds=seeds)
            for name, seeds in rows.items()
        },
        wall_s=time.time() - start,
        provenance=provenance(
            None if argv is
            None else ['python', 'tools/analysis_tools/probe_ladder.py'] +
            list(argv)))
    text = json.dumps(report, indent=1)
    atomic_write(out, lambda tmp: open(tmp, 'w').write(text + '\n'))
    print(f'wrote {out}')


if __name__ == '__main__':
    main()

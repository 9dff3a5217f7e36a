"""Make the figures and pictures of the docs from a tools/quickstart.sh run.

Usage: python tools/misc/quickstart_figures.py [WORK_DIR]
       [--classes anger surprise] [--images-dir docs/images]
       [--results-dir docs/results]

WORK_DIR (default work_dirs/quickstart) is the quick start's: its
``last_checkpoint`` and ``results.json`` (tools/misc/quickstart_results.py)
say which model the figures come from. With the quick start's config, CLIP
and data, this runs the project's own tools, each as a user would:

1. ``tools/test.py`` on the checkpoint with ``--out`` (the per-image
   predictions; its top-1 must equal the quick start's, else it stops);
2. ``tools/test.py configs/zeroshot/zeroshot_quickstart_synthetic.py``,
   λ = 0 and ``--cfg-options model.head.local_weight=1.0`` (λ = 1): the
   zero-shot baseline of the quick start's CLIP;
3. ``tools/analysis_tools/plot_confusion_matrix.py`` on those predictions:
   confusion_matrix_quickstart.png;
4. ``tools/visualization/visualize_similarity.py`` on, for each class of
   ``--classes``, the first test image (in the test list's order) that the
   model classifies correctly: similarity_map_<class>.png.

The PNGs are drawn into WORK_DIR/figures/images/ and, once every step has
succeeded, copied into IMAGES_DIR (default docs/images).

It writes RESULTS_DIR/zero_shot_quickstart.json (step 2) and
RESULTS_DIR/interpretability_quickstart.json (the model: quick-start
commit, seed, test top-1; each picture: file, SHA-256, the image and why it
was chosen, the command that drew it). ``python tools/misc/update_readme.py``
then writes them into docs/zero_shot.md and docs/interpretability.md;
tests/tools/misc/test_quickstart_figures.py checks that each committed
picture is the one recorded. Intermediate outputs stay in WORK_DIR/figures/.
"""
import argparse
import json
import os
import os.path as osp
import re
import shlex
import shutil
import subprocess
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
if ROOT not in sys.path:  # run as a script: tools/ is a package of ROOT
    sys.path.insert(0, ROOT)

from mpafer_plugin.utils import file_sha256, provenance  # noqa: E402
from tools.misc import quickstart_results  # noqa: E402

TOP1, MEAN_CLASS = quickstart_results.TOP1, quickstart_results.MEAN_CLASS
test_metrics = quickstart_results.test_metrics

CONFIG = 'configs/quickstart_synthetic_rafdb.py'
ZERO_SHOT_CONFIG = 'configs/zeroshot/zeroshot_quickstart_synthetic.py'
CONFUSION_MATRIX = 'confusion_matrix_quickstart.png'
MAP_SIZE = 320  # px, the width of a similarity-map PNG
# The visualize_similarity.py line: "OUT: CLASS p=P S_g=G S_l=L (predicted C)"
MAP_LINE = re.compile(r'(?P<cls>\S+) p=(?P<p>[-0-9.]+) S_g=(?P<g>[-0-9.e]+) '
                      r'S_l=(?P<l>[-0-9.e]+) \(predicted (?P<pred>[^)]+)\)')


def rel(path):
    """``path`` (absolute, or relative to the repository root as the tools
    run there) relative to the repository when inside it (what the docs and
    the results files name), else absolute; other arguments unchanged."""
    if path.startswith('-') or not (osp.isabs(path)
                                    or osp.exists(osp.join(ROOT, path))):
        return path
    path = osp.normpath(osp.join(ROOT, path))
    inside = osp.commonpath([path, ROOT]) == ROOT
    return osp.relpath(path, ROOT) if inside else path


def run_tool(argv):
    """Run ``python ARGV...`` in the repository root; its stdout (also
    echoed). Stops, naming the command, when it fails."""
    command = [sys.executable] + list(argv)
    print('[figures] ' + shlex.join(['python'] + list(argv)), flush=True)
    done = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    sys.stdout.write(done.stdout)
    if done.returncode:
        raise SystemExit(f'error: exit status {done.returncode} of '
                         f'{shlex.join(["python"] + list(argv))}')
    return done.stdout


def label(value):
    """An int label from what DumpResults wrote (a tensor, list or int)."""
    if hasattr(value, 'tolist'):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        value = value[0]
    return int(value)


def predicted(item):
    if 'pred_label' in item:
        return label(item['pred_label'])
    return int(item['pred_score'].argmax())


def first_correct(predictions, classnames, name):
    """``(test index, image path)`` of the first test image, in the test
    list's order, of class ``name`` that the model classifies correctly."""
    lowered = [c.lower() for c in classnames]
    if name.lower() not in lowered:
        raise SystemExit(f'error: --classes {name!r} is not a class of the '
                         f'quick start; its classes: {", ".join(classnames)}.')
    index = lowered.index(name.lower())
    order = sorted(
        range(len(predictions)),
        key=lambda i: predictions[i].get('sample_idx', i))
    for i in order:
        item = predictions[i]
        if label(item['gt_label']) == index == predicted(item):
            return item.get('sample_idx', i), item['img_path']
    raise SystemExit(f'error: no test image of class {name} is classified '
                     f'correctly by this model; choose other --classes.')


def parse_map_line(text, out):
    """The class, probability, S_g, S_l and prediction that
    visualize_similarity.py printed for ``out``."""
    for line in text.splitlines():
        if line.startswith(f'{out}: '):
            found = MAP_LINE.search(line)
            if found:
                return dict(
                    class_name=found['cls'],
                    probability=float(found['p']),
                    s_g=float(found['g']),
                    s_l=float(found['l']),
                    predicted=found['pred'])
    raise SystemExit(f'error: visualize_similarity.py printed no '
                     f'"{out}: CLASS p=... (predicted ...)" line')


def pictures(results):
    """``(file, sha256)`` of each picture an interpretability results file
    records."""
    return [
        (entry['file'], entry['sha256'])
        for entry in [results['confusion_matrix']] + results['similarity_maps']
    ]


def check_pictures(results, root=ROOT):
    """What is wrong with the pictures ``results`` records: each missing
    file or one whose SHA-256 differs (a picture redrawn or replaced by
    hand without its results file)."""
    problems = []
    for path, digest in pictures(results):
        full = osp.join(root, path)
        if not osp.isfile(full):
            problems.append(f'{path}: missing')
        elif file_sha256(full) != digest:
            problems.append(
                f'{path}: SHA-256 {file_sha256(full)}, the results '
                f'file records {digest}')
    return problems


def quickstart_model(work_dir):
    """The checkpoint and the quick-start record of ``work_dir``."""
    for name in ('last_checkpoint', 'results.json'):
        if not osp.isfile(osp.join(work_dir, name)):
            raise SystemExit(f'error: {osp.join(work_dir, name)} is missing; '
                             f'run bash tools/quickstart.sh first.')
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        checkpoint = f.read().strip()
    with open(osp.join(work_dir, 'results.json')) as f:
        quickstart = json.load(f)
    return checkpoint, quickstart


def config_facts():
    """The quick start's class names, CLIP file and data root."""
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(ROOT, CONFIG))
    return (list(cfg.model.head.classnames), cfg.model.clip.pretrained,
            cfg.data_root)


def zero_shot(out_dir):
    """Top-1 and mean class accuracy of the zero-shot config at λ = 0, 1."""
    runs = []
    for weight in (0.0, 1.0):
        work = osp.join(out_dir, f'zero_shot_local_weight_{weight:g}')
        options = ([] if weight == 0 else
                   ['--cfg-options', f'model.head.local_weight={weight}'])
        run_tool(['tools/test.py', ZERO_SHOT_CONFIG, '--work-dir', work] +
                 options)
        metrics = test_metrics(work)
        runs.append(
            dict(
                local_weight=weight,
                command=shlex.join(
                    ['python', 'tools/test.py', ZERO_SHOT_CONFIG] + options),
                top1=metrics[TOP1],
                mean_class_accuracy=metrics.get(MEAN_CLASS)))
    return runs


def write_json(path, data):
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    with open(path, 'w') as f:
        json.dump(data, f, indent=2)
        f.write('\n')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        'work_dir',
        nargs='?',
        default='work_dirs/quickstart',
        help="the quick start's work dir (default work_dirs/quickstart)")
    parser.add_argument(
        '--classes',
        nargs='+',
        default=['anger', 'surprise'],
        help='a similarity map of the first correctly classified test image '
        'of each (default: anger surprise)')
    parser.add_argument(
        '--images-dir',
        default=osp.join(ROOT, 'docs', 'images'),
        help='where the PNGs go (default docs/images)')
    parser.add_argument(
        '--results-dir',
        default=osp.join(ROOT, 'docs', 'results'),
        help='where the two results files go (default docs/results)')
    args = parser.parse_args(argv)
    for name in ('work_dir', 'images_dir', 'results_dir'):
        setattr(args, name, osp.abspath(getattr(args, name)))
    return args


def main(argv=None):
    args = parse_args(argv)
    work_dir = args.work_dir
    checkpoint, quickstart = quickstart_model(work_dir)
    classnames, clip, data_root = config_facts()
    clip_path = osp.join(ROOT, clip)
    if not osp.isfile(clip_path):
        raise SystemExit(f'error: {clip} (the quick start\'s CLIP) is '
                         f'missing; run bash tools/quickstart.sh first.')
    # Everything is made here first, and copied into the docs only when
    # every step succeeded: a failed run leaves the docs as they were.
    out_dir = osp.join(work_dir, 'figures')
    staged = osp.join(out_dir, 'images')
    header = provenance(
        ['python', 'tools/misc/quickstart_figures.py',
         rel(work_dir)] +
        (['--classes'] +
         args.classes if args.classes != ['anger', 'surprise'] else []))
    clip_record = dict(path=clip, sha256=file_sha256(clip_path))

    # 1. The model's predictions, checked against the quick start's record.
    import mmengine
    predictions_pkl = osp.join(out_dir, 'predictions.pkl')
    test_argv = [
        'tools/test.py', CONFIG, checkpoint, '--work-dir',
        osp.join(out_dir, 'test'), '--out', predictions_pkl
    ]
    run_tool(test_argv)
    metrics = test_metrics(osp.join(out_dir, 'test'))
    recorded = quickstart['test']['top1']
    if abs(metrics[TOP1] - recorded) > 1e-6:
        raise SystemExit(
            f'error: {rel(checkpoint)} tests at top-1 {metrics[TOP1]:.4f} %, '
            f'{rel(work_dir)}/results.json says {recorded:.4f} %: the '
            f'checkpoint is not the one of that quick-start run.')
    predictions = mmengine.load(predictions_pkl)

    # 2. The zero-shot baseline of the same CLIP.
    zero_shot_runs = zero_shot(out_dir)

    # 3. The confusion matrix, 4. the similarity maps.
    drawn = {}  # staged PNG -> its place in the docs
    cm_png = osp.join(staged, CONFUSION_MATRIX)
    cm_argv = [
        'tools/analysis_tools/plot_confusion_matrix.py', CONFIG,
        predictions_pkl, '--out', cm_png
    ]
    run_tool(cm_argv)
    drawn[cm_png] = osp.join(args.images_dir, CONFUSION_MATRIX)
    maps = []
    for name in args.classes:
        index, image = first_correct(predictions, classnames, name)
        png_name = f'similarity_map_{name.lower()}.png'
        png = osp.join(staged, png_name)
        argv = [
            'tools/visualization/visualize_similarity.py', CONFIG, checkpoint,
            rel(image), '--class', name, '--no-detect', '--size',
            str(MAP_SIZE), '--out', png
        ]
        shown = parse_map_line(run_tool(argv), png)
        if shown['predicted'].lower() != name.lower():
            raise SystemExit(
                f'error: {rel(image)}: tools/test.py predicted {name}, '
                f'visualize_similarity.py {shown["predicted"]}.')
        drawn[png] = osp.join(args.images_dir, png_name)
        maps.append(
            dict(
                file=rel(drawn[png]),
                sha256=file_sha256(png),
                class_name=name.lower(),
                image=rel(image),
                test_index=index,
                chosen=f'the first test image of class {name.lower()}, in '
                'the test list\'s order, that the model classifies '
                'correctly',
                command=shlex.join(['python'] + [rel(a) for a in argv]),
                **{k: shown[k]
                   for k in ('probability', 's_g', 's_l')}))

    os.makedirs(args.images_dir, exist_ok=True)
    for source, target in drawn.items():
        shutil.copyfile(source, target)
    write_json(
        osp.join(args.results_dir, 'zero_shot_quickstart.json'),
        dict(
            **header,
            quickstart_commit=quickstart.get('commit'),
            clip=clip_record,
            test_images=len(predictions),
            runs=zero_shot_runs))
    write_json(
        osp.join(args.results_dir, 'interpretability_quickstart.json'),
        dict(
            **header,
            model=dict(
                checkpoint=rel(checkpoint),
                quickstart_commit=quickstart.get('commit'),
                quickstart_date=quickstart.get('date'),
                seed=quickstart.get('seed'),
                epochs=quickstart.get('train', {}).get('epochs'),
                test_top1=metrics[TOP1],
                test_mean_class_accuracy=metrics.get(MEAN_CLASS),
                test_images=len(predictions)),
            clip=clip_record,
            data_root=data_root,
            test_command=shlex.join(['python'] + [rel(a) for a in test_argv]),
            confusion_matrix=dict(
                file=rel(drawn[cm_png]),
                sha256=file_sha256(cm_png),
                command=shlex.join(['python'] + [rel(a) for a in cm_argv])),
            staged_images=rel(staged),
            similarity_maps=maps))
    print(f'[figures] zero-shot top-1 {zero_shot_runs[0]["top1"]:.1f} % '
          f'(λ = 1: {zero_shot_runs[1]["top1"]:.1f} %); pictures of a model '
          f'at test top-1 {metrics[TOP1]:.1f} % copied to '
          f'{rel(args.images_dir)}; now run: '
          f'python tools/misc/update_readme.py')
    return 0


if __name__ == '__main__':
    sys.exit(main())

"""Plot the confusion matrix of a test run, row-normalised, as a PNG.

Usage:
    python tools/test.py CONFIG CHECKPOINT --out results.pkl
    python tools/analysis_tools/plot_confusion_matrix.py CONFIG results.pkl \
        --out cm.png [--counts] [--cmap NAME] [--cfg-options k=v ...]

Rows are true classes, columns predictions; each cell is the percentage of
its row (``--counts``: the raw counts). Class names come from the config's
``model.head.classnames`` (else the test dataset's metainfo). The matrix is
computed by mmpretrain's ``ConfusionMatrix`` metric and drawn by its
``plot`` (the pattern of mmpretrain's analysis_tools/confusion_matrix.py).
"""
import argparse
import os.path as osp
import sys

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
import mmengine  # noqa: E402
import torch  # noqa: E402
from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.evaluator import Evaluator  # noqa: E402
from mmpretrain.evaluation import ConfusionMatrix  # noqa: E402
from mmpretrain.registry import DATASETS  # noqa: E402

import mpafer_plugin  # noqa: F401,E402  registers components
from mpafer_plugin.utils import atomic_write, config_file  # noqa: E402
from mpafer_plugin.utils.output_guard import \
    exit_if_output_is_input  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', type=config_file)
    parser.add_argument('results', help='the .pkl of tools/test.py --out')
    parser.add_argument('--out', required=True, help='the PNG to write')
    parser.add_argument(
        '--counts',
        action='store_true',
        help='show counts instead of row percentages')
    parser.add_argument('--cmap', default='Blues')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args(argv)
    if not args.out.lower().endswith('.png'):
        parser.error(f'--out must be a .png file, got {args.out}')
    for path in (args.config, args.results):
        if not osp.isfile(path):
            parser.error(f'{path} does not exist')
    return args


def load_predictions(path):
    """The per-image dicts that ``tools/test.py --out`` dumps."""
    try:
        predictions = mmengine.load(path, file_format='pkl')
    except Exception as err:  # noqa: BLE001  any unpickling failure
        raise SystemExit(f'error: {path}: not a readable pickle ({err}).')
    if not isinstance(predictions, list) or not predictions:
        raise SystemExit(f'error: {path}: expected a non-empty list of '
                         f'predictions (tools/test.py --out).')
    for index, item in enumerate(predictions):
        if not isinstance(item, dict) or 'gt_label' not in item or not (
                'pred_score' in item or 'pred_label' in item):
            raise SystemExit(f'error: {path}: item {index} has no gt_label '
                             f'and pred_score/pred_label; was it written by '
                             f'tools/test.py --out?')
    return predictions


def class_names(cfg):
    """``model.head.classnames``, else the test dataset's metainfo."""
    names = cfg.model.get('head', {}).get('classnames')
    if names:
        return list(names)
    try:
        dataset = DATASETS.build(
            dict(cfg.test_dataloader.dataset, pipeline=[], lazy_init=True))
        return list(dataset.metainfo.get('classes') or []) or None
    except Exception:  # noqa: BLE001  data not here: fall back to indices
        return None


def row_percentages(matrix):
    """``(C, C)`` counts → integer percentages of each row (0 for a class
    with no sample)."""
    support = matrix.sum(dim=1, keepdim=True).clamp(min=1)
    return torch.round(100.0 * matrix / support).long()


def main(argv=None):
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    exit_if_output_is_input({'--out': args.out},
                            dict(CONFIG=args.config, RESULTS=args.results),
                            cfg)
    predictions = load_predictions(args.results)
    classes = class_names(cfg)
    metric = ConfusionMatrix(num_classes=len(classes) if classes else None)
    matrix = Evaluator(metric).offline_evaluate(
        predictions, None)['confusion_matrix/result']
    if classes and len(classes) != len(matrix):
        raise SystemExit(f'error: {args.results} has {len(matrix)} classes, '
                         f'the config {len(classes)}.')
    shown = matrix if args.counts else row_percentages(matrix)
    fig = ConfusionMatrix.plot(
        shown,
        include_values=True,
        cmap=args.cmap,
        classes=classes,
        show=False)
    total = int(matrix.sum())
    accuracy = 100.0 * float(matrix.diag().sum()) / total
    recall = matrix.diag().double() / matrix.sum(dim=1).double()
    mean_class = 100.0 * float(recall[~recall.isnan()].mean())
    unit = 'counts' if args.counts else 'row-normalised, %'
    fig.suptitle(
        f'{osp.basename(args.results)}: {total} images, accuracy '
        f'{accuracy:.1f} %, mean class accuracy {mean_class:.1f} %'
        f'  ({unit})',
        fontsize=11)
    atomic_write(
        args.out, lambda tmp: fig.savefig(
            tmp, dpi=72, bbox_inches='tight', pad_inches=0.2, format='png'))
    plt.close(fig)
    print(f'{args.out}: {len(matrix)} classes, {total} images, accuracy '
          f'{accuracy:.2f} %, mean class accuracy {mean_class:.2f} %')


if __name__ == '__main__':
    sys.exit(main())

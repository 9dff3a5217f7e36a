"""Evaluate a checkpoint on the config's test set.

Usage: python tools/test.py CONFIG [CHECKPOINT] [--work-dir DIR]
       [--out FILE.pkl] [--cfg-options k=v ...] [--launcher L]

CHECKPOINT may be left out only for a model with nothing trainable (the
zero-shot configs under configs/zeroshot/).
"""
import argparse
import os
import os.path as osp

from mmengine.config import Config, DictAction
from mmengine.runner import Runner

import mpafer_plugin  # noqa: F401  registers components, safe globals
from mpafer_plugin.engine.cpu_distributed import distributed_session
from mpafer_plugin.utils import CheckpointError, config_file
from mpafer_plugin.utils.output_guard import exit_if_output_is_input


def parse_args():
    parser = argparse.ArgumentParser(description='Test a checkpoint')
    parser.add_argument(
        'config', type=config_file, help='test config file path')
    parser.add_argument(
        'checkpoint',
        nargs='?',
        help='checkpoint file; optional for a model with no trainable '
        'parameter (zero-shot)')
    parser.add_argument('--work-dir', help='the dir to save the test logs')
    parser.add_argument(
        '--out', help='also dump the per-image predictions to this .pkl')
    parser.add_argument(
        '--amp', action='store_true', help='automatic mixed precision')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, e.g. test_dataloader.batch_size=8')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def merge_args(cfg, args):
    """Fold the command line into the config."""
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    cfg.load_from = args.checkpoint
    if args.amp:
        cfg.test_cfg = dict(cfg.get('test_cfg') or {}, fp16=True)
    if args.out is not None:
        if not args.out.endswith(('.pkl', '.pickle')):
            raise ValueError(f'--out must be a .pkl file, got {args.out}')
        evaluators = cfg.test_evaluator
        if isinstance(evaluators, dict):
            evaluators = [evaluators]
        cfg.test_evaluator = list(evaluators) + [
            dict(type='DumpResults', out_file_path=args.out)
        ]
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    return cfg


def check_needs_no_checkpoint(model, config):
    """Refuse to test a model with trainable tensors without weights."""
    trainable = [
        name for name, param in model.named_parameters()
        if param.requires_grad and param.numel()
    ]
    if trainable:
        raise SystemExit(
            f'error: {config}: the model has trainable parameters '
            f'({", ".join(trainable[:4])}); give a CHECKPOINT. Only a model '
            f'with nothing to train (configs/zeroshot/) runs without one.')


def main():
    args = parse_args()
    cfg = merge_args(Config.fromfile(args.config), args)
    exit_if_output_is_input({'--out': args.out},
                            dict(
                                CONFIG=args.config,
                                CHECKPOINT=args.checkpoint), cfg)
    with distributed_session(cfg):  # Gloo on CPU, MMEngine's NCCL on GPU
        runner = Runner.from_cfg(cfg)
        if args.checkpoint is None:
            check_needs_no_checkpoint(runner.model, args.config)
        try:
            runner.test()
        except CheckpointError as err:  # file named, nothing to add
            raise SystemExit(f'error: {err}') from err


if __name__ == '__main__':
    main()

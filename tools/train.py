"""Train an MPA-FER (or any mmpretrain) model from a config.

Usage: python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]]
       [--amp] [--auto-scale-lr] [--cfg-options k=v ...] [--launcher L]
"""
import argparse
import os
import os.path as osp

from mmengine.config import Config, DictAction
from mmengine.runner import Runner

import mpafer_plugin  # noqa: F401  registers components, safe globals
from mpafer_plugin.engine.cpu_distributed import distributed_session
from mpafer_plugin.utils import CheckpointError, config_file


def parse_args():
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument(
        'config', type=config_file, help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from the given checkpoint, or, with no value, from '
        'the latest checkpoint in the work dir')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='automatic mixed precision (MixedPrecisionOptimWrapper: fp16 '
        'on GPU, bf16 on CPU; optim_wrapper.dtype=bfloat16 picks bf16)')
    parser.add_argument(
        '--no-validate',
        action='store_true',
        help='do not evaluate checkpoints during training')
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='scale the learning rate with the total batch size')
    parser.add_argument(
        '--no-pin-memory',
        action='store_true',
        help='disable pin_memory in every dataloader')
    parser.add_argument(
        '--no-persistent-workers',
        action='store_true',
        help='disable persistent_workers in every dataloader')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, e.g. model.head.local_weight=0')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    # torch.distributed.launch passes --local-rank (or --local_rank).
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def merge_args(cfg, args):
    """Fold the command line into the config."""
    if args.no_validate:
        cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    if args.amp:  # fp16 + loss scaling on GPU, bf16 on CPU
        cfg.optim_wrapper.type = 'MixedPrecisionOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    if args.resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif args.resume is not None:
        cfg.resume, cfg.load_from = True, args.resume
    if args.auto_scale_lr:
        cfg.auto_scale_lr.enable = True

    def set_loader(name, key, value):
        if cfg.get(name) is not None:
            cfg[name][key] = value

    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        if args.no_pin_memory:
            set_loader(loader, 'pin_memory', False)
        if args.no_persistent_workers:
            set_loader(loader, 'persistent_workers', False)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    return cfg


def main():
    args = parse_args()
    cfg = merge_args(Config.fromfile(args.config), args)
    with distributed_session(cfg):  # Gloo on CPU, MMEngine's NCCL on GPU
        runner = Runner.from_cfg(cfg)
        try:
            runner.train()
        except CheckpointError as err:  # file named, nothing to add
            raise SystemExit(f'error: {err}') from err


if __name__ == '__main__':
    main()

"""Size and save time of one epoch's training checkpoint, full (every CLIP
weight, the format before lean checkpoints) and lean (what training
changes, CLIP rebuilt from its spec), for a config's model.

Usage: python tools/analysis_tools/checkpoint_size.py [CONFIG] [--repeats N]

CLIP gets random weights of the config's architecture (size and time do
not depend on the values); the lean checkpoint is stamped as if they came
from the config's ``model.clip.pretrained``. The checkpoint is what the
Runner saves: model state, optimizer (SGD momentum after one step), the
parameter schedulers' state and meta, written with MMEngine's
``save_checkpoint``. Save time of the lean checkpoint is given for the
first save (which computes the CLIP fingerprint) and the later ones.
"""
import argparse
import copy
import os
import os.path as osp
import tempfile
import time

import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.runner.checkpoint import save_checkpoint, weights_to_cpu
from mmpretrain.registry import MODELS

import mpafer_plugin  # noqa: F401  registers components
from mpafer_plugin.engine.checkpoint_contract import stamp_checkpoint
from mpafer_plugin.utils import config_file


def runner_like_checkpoint(model, optimizer) -> dict:
    return dict(
        meta=dict(epoch=1, iter=100),
        state_dict=weights_to_cpu(model.state_dict()),
        message_hub={},
        optimizer=optimizer.state_dict(),
        param_schedulers=[])


def timed_save(checkpoint, path, stamp=None) -> float:
    start = time.perf_counter()
    if stamp is not None:
        stamp(checkpoint)
    save_checkpoint(checkpoint, path)
    return time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        'config',
        type=config_file,
        nargs='?',
        default=osp.join(
            osp.dirname(__file__), '..', '..', 'configs', 'mpafer_rafdb.py'))
    parser.add_argument('--repeats', type=int, default=3)
    args = parser.parse_args(argv)
    cfg = Config.fromfile(args.config)
    spec = copy.deepcopy(cfg.model.clip)
    cfg.model.clip.pretrained = None
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg.model)
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.SGD(trainable, lr=0.01, momentum=0.9)
    for param in trainable:
        param.grad = torch.zeros_like(param)
    optimizer.step()

    fingerprint = [None]

    def lean(checkpoint):
        stamp_checkpoint(model, checkpoint, optimizer, fingerprint[0], spec)
        fingerprint[0] = checkpoint['meta']['mpafer']['clip_fingerprint']

    with tempfile.TemporaryDirectory() as tmp:
        rows = []
        for name, stamp in (('full', None), ('lean', lean)):
            path = osp.join(tmp, f'{name}.pth')
            times = [
                timed_save(
                    runner_like_checkpoint(model, optimizer), path, stamp)
                for _ in range(args.repeats)
            ]
            rows.append((name, os.path.getsize(path), times))
    print(f'{cfg.model.clip.model_name}, {sum(map(torch.numel, trainable)):,}'
          f' trainable values')
    for name, size, times in rows:
        later = sorted(times[1:])[len(times[1:]) // 2] if times[1:] else 0
        print(f'{name:>4}: {size / 2**20:9.2f} MiB, save {times[0]:.2f} s '
              f'first, {later:.2f} s later (median of {len(times) - 1})')


if __name__ == '__main__':
    main()

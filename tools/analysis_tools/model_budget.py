"""Print the trainable parameters of a config's model: count, bytes, and
per tensor. CLIP is built with random weights (same shapes), so no weights
are needed.

Usage: python tools/analysis_tools/model_budget.py configs/mpafer_rafdb.py
       [--cfg-options model.backbone.prompt_depth=8]
"""
import argparse

from mmengine.config import Config, DictAction
from mmpretrain.registry import MODELS

import mpafer_plugin  # noqa: F401  registers components
from mpafer_plugin.utils import config_file


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', type=config_file)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    if cfg.model.get('clip'):
        cfg.model.clip.pretrained = None
    model = MODELS.build(cfg.model)
    total = frozen = 0
    for name, param in model.named_parameters():
        if param.requires_grad:
            nbytes = param.numel() * param.element_size()
            total += nbytes
            print(f'{name:40s} {str(tuple(param.shape)):20s} {nbytes:>10,d} B')
        else:
            frozen += param.numel()
    count = sum(p.numel() for p in model.parameters() if p.requires_grad)
    print(f'trainable: {count:,d} parameters, {total:,d} bytes '
          f'({total / 1e6:.3f} MB, {total / 2**20:.3f} MiB); '
          f'frozen: {frozen:,d} parameters')


if __name__ == '__main__':
    main()

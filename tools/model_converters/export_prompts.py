"""Export the learned prompts of an MPA-FER checkpoint: kilobytes instead of
the full model, with the config and class names needed to rebuild it.

Usage: python tools/model_converters/export_prompts.py CONFIG CHECKPOINT \
           --out prompts.pth [--cfg-options k=v ...]

The export loads wherever a checkpoint does: ``python tools/test.py CONFIG
prompts.pth``, ``mpafer_plugin.apis.init_model(prompts.pth)``. CLIP's frozen
weights then come from the config's CLIP spec (tag or local file).
"""
import argparse
import os.path as osp

from mmengine.config import Config, DictAction

import mpafer_plugin  # noqa: F401  registers components, safe globals
from mpafer_plugin.apis import init_model
from mpafer_plugin.export import export_prompts
from mpafer_plugin.utils import CheckpointError, config_file
from mpafer_plugin.utils.output_guard import exit_if_output_is_input


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', type=config_file)
    parser.add_argument('checkpoint')
    parser.add_argument('--out', required=True, help='the export to write')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    exit_if_output_is_input({'--out': args.out},
                            dict(
                                CONFIG=args.config,
                                CHECKPOINT=args.checkpoint), cfg)
    # A full checkpoint holds every weight (CLIP is built with random
    # weights, nothing fetched); a lean one gets CLIP from the config's spec.
    try:
        model = init_model(cfg, args.checkpoint)
        written = export_prompts(model, cfg, args.out)
    except (CheckpointError, FileNotFoundError) as err:  # file named
        raise SystemExit(f'error: {err}') from err
    numel = sum(t.numel() for t in written['state_dict'].values())
    print(f'Wrote {args.out}: {len(written["state_dict"])} tensors, '
          f'{numel:,} values, {osp.getsize(args.out):,} bytes.')


if __name__ == '__main__':
    main()

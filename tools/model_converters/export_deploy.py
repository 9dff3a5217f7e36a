"""Export a trained MPA-FER model for deployment: the prompted image encoder
with the class text features baked in, as TorchScript and / or ONNX, each
checked against the PyTorch model on random images.

Usage:
  python tools/model_converters/export_deploy.py CONFIG CHECKPOINT --out DIR \\
      [--formats torchscript onnx] [--benchmark 20] [--cfg-options k=v ...]
  python tools/model_converters/export_deploy.py EXPORT.pth --out DIR \\
      [--clip CLIP.pt]
  (EXPORT.pth: a prompts-only export; --clip: the CLIP weights file if
  the export's is not found)

Writes DIR/model.torchscript.pt, DIR/model.onnx and DIR/classes.json (the
class names, in output order), under a staging folder moved into place when
every format has passed its check: a run that fails or is killed leaves an
earlier export as it was, and one that ends removes (and names) the files
of an earlier export it did not write (another --formats). Input of both:
(B, 3, H, W) float BGR images on the 0-255 scale, H = W = the config's
input size; output: (B, C) probabilities
(mpafer_plugin/apis/deploy_model.py). ONNX needs the optional extra:
pip install .[onnx] (onnx, onnxscript, onnxruntime). --benchmark N prints
the mean time per image (batch 1, N runs) of PyTorch, TorchScript and ONNX
Runtime.
"""
import argparse
import json
import os
import os.path as osp
import sys
import time

import torch
from mmengine.config import Config, DictAction

import mpafer_plugin  # noqa: F401  registers components, safe globals
from mpafer_plugin.apis import init_model
from mpafer_plugin.apis.deploy_model import DeployableFER
from mpafer_plugin.apis.export_clip_path import add_clip_argument
from mpafer_plugin.utils import StagedOutputs
from mpafer_plugin.utils.output_guard import exit_if_output_is_input

FORMATS = ('torchscript', 'onnx')
TOLERANCE = 1e-4  # largest probability difference accepted

OUTPUT_NAMES = dict(
    classes='classes.json',
    torchscript='model.torchscript.pt',
    onnx='model.onnx')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='config, or a prompts-only export')
    parser.add_argument('checkpoint', nargs='?')
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument(
        '--formats', nargs='+', choices=FORMATS, default=list(FORMATS))
    parser.add_argument(
        '--benchmark',
        type=int,
        default=0,
        metavar='N',
        help='time N single-image runs of each')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    add_clip_argument(parser)
    return parser.parse_args(argv)


def input_size(model) -> int:
    size = model.backbone.visual.image_size
    return size[0] if isinstance(size, (tuple, list)) else int(size)


def export_torchscript(module, example, path):
    traced = torch.jit.trace(module, example, check_trace=False)
    traced.save(path)
    return torch.jit.load(path)


def export_onnx(module, example, path):
    try:
        import onnxruntime
    except ImportError:
        raise SystemExit('error: ONNX export needs the optional extra: '
                         'pip install .[onnx] (onnx, onnxscript, '
                         'onnxruntime).')
    torch.onnx.export(
        module, (example, ),
        path,
        input_names=['images'],
        output_names=['probabilities'],
        dynamic_shapes={
            'images': {
                0: torch.export.Dim('batch', min=1, max=1024)
            }
        },
        external_data=False)
    session = onnxruntime.InferenceSession(
        path, providers=['CPUExecutionProvider'])
    return lambda images: torch.from_numpy(
        session.run(None, {'images': images.numpy()})[0])


def per_image_ms(run, image, runs):
    with torch.no_grad():
        run(image)  # warm-up
        start = time.perf_counter()
        for _ in range(runs):
            run(image)
    return 1000 * (time.perf_counter() - start) / runs


def main(argv=None):
    args = parse_args(argv)
    cfg = None
    if args.config.endswith('.py'):
        cfg = Config.fromfile(args.config)
        if args.cfg_options:
            cfg.merge_from_dict(args.cfg_options)
    outputs = {
        f"--out's {name}": osp.join(args.out, name)
        for name in OUTPUT_NAMES.values()
    }
    exit_if_output_is_input(
        dict(outputs, **{'--out': args.out}),
        dict(
            CONFIG=args.config,
            CHECKPOINT=args.checkpoint,
            **{'--clip': args.clip}), cfg)
    StagedOutputs.say_leftovers(args.out)
    model = init_model(
        args.config,
        args.checkpoint,
        device='cpu',
        cfg_options=args.cfg_options,
        clip_pretrained=args.clip)
    module = DeployableFER(model).eval()
    size = input_size(model)
    torch.manual_seed(0)
    images = torch.rand(4, 3, size, size) * 255
    with torch.no_grad():
        expected = module(images)
    # the set is written under a staging folder and moved into place when
    # every format passed: no new file beside an old one of another run
    staged = StagedOutputs(args.out, OUTPUT_NAMES.values())
    runners = dict(pytorch=module)
    try:
        with open(staged.path('classes.json'), 'w') as f:
            json.dump(module.classes, f)
        for fmt in args.formats:
            path = staged.path(OUTPUT_NAMES[fmt])
            shown = osp.join(args.out, OUTPUT_NAMES[fmt])
            run = (export_torchscript if fmt == 'torchscript' else
                   export_onnx)(module, images[:2], path)  # 1 would
            with torch.no_grad():  # specialise
                error = float((run(images) - expected).abs().max())
            if not error <= TOLERANCE:
                raise SystemExit(f'error: {shown}: probabilities differ from '
                                 f'PyTorch by up to {error:.2e} (> '
                                 f'{TOLERANCE:.0e}).')
            print(f'{shown}: {os.path.getsize(path) / 2**20:.1f} MiB, max '
                  f'|p - p_pytorch| = {error:.1e} on 4 images')
            runners[fmt] = run
    except BaseException:
        staged.discard()
        raise
    stale = staged.commit()
    if stale:
        print(f'removed from {args.out} what an earlier export left and '
              f'this one did not write: {", ".join(sorted(stale))}')
    for name, run in runners.items() if args.benchmark else ():
        print(f'{name}: {per_image_ms(run, images[:1], args.benchmark):.2f} '
              f'ms per image (batch 1, {size} px, mean of '
              f'{args.benchmark})')
    return 0


if __name__ == '__main__':
    sys.exit(main())

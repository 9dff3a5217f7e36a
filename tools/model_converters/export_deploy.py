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
class names, in output order). Input of both: (B, 3, H, W) float BGR images
on the 0-255 scale, H = W = the config's input size; output: (B, C)
probabilities (mpafer_plugin/apis/deploy_model.py). ONNX needs the optional
extra: pip install .[onnx] (onnx, onnxscript, onnxruntime). --benchmark N
prints the mean time per image (batch 1, N runs) of PyTorch, TorchScript
and ONNX Runtime.
"""
import argparse
import json
import os
import os.path as osp
import sys
import time

import torch
from mmengine.config import DictAction

import mpafer_plugin  # noqa: F401  registers components, safe globals
from mpafer_plugin.apis import init_model
from mpafer_plugin.apis.deploy_model import DeployableFER
from mpafer_plugin.apis.export_clip_path import add_clip_argument
from mpafer_plugin.utils import CheckpointError

FORMATS = ('torchscript', 'onnx')
TOLERANCE = 1e-4  # largest probability difference accepted


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
    try:
        model = init_model(
            args.config,
            args.checkpoint,
            device='cpu',
            cfg_options=args.cfg_options,
            clip_pretrained=args.clip)
    except (CheckpointError, FileNotFoundError) as err:  # file named
        raise SystemExit(f'error: {err}') from err
    module = DeployableFER(model).eval()
    size = input_size(model)
    torch.manual_seed(0)
    images = torch.rand(4, 3, size, size) * 255
    with torch.no_grad():
        expected = module(images)
    os.makedirs(args.out, exist_ok=True)
    with open(osp.join(args.out, 'classes.json'), 'w') as f:
        json.dump(module.classes, f)
    runners = dict(pytorch=module)
    for fmt in args.formats:
        path = osp.join(
            args.out,
            'model.torchscript.pt' if fmt == 'torchscript' else 'model.onnx')
        run = (export_torchscript if fmt == 'torchscript' else export_onnx)(
            module, images[:2], path)  # 1 would specialise
        with torch.no_grad():
            error = float((run(images) - expected).abs().max())
        if not error <= TOLERANCE:
            raise SystemExit(f'error: {path}: probabilities differ from '
                             f'PyTorch by up to {error:.2e} (> '
                             f'{TOLERANCE:.0e}).')
        print(f'{path}: {os.path.getsize(path) / 2**20:.1f} MiB, max '
              f'|p - p_pytorch| = {error:.1e} on 4 images')
        runners[fmt] = run
    for name, run in runners.items() if args.benchmark else ():
        print(f'{name}: {per_image_ms(run, images[:1], args.benchmark):.2f} '
              f'ms per image (batch 1, {size} px, mean of '
              f'{args.benchmark})')
    return 0


if __name__ == '__main__':
    sys.exit(main())

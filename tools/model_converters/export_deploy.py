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

Writes DIR/model.torchscript.pt, DIR/model.onnx, DIR/classes.json (the
class names, in output order) and DIR/preprocessing.json: the face crop's
geometry, the resize (size, backend, interpolation), colour order and
mean / std (mpafer_plugin/export/preprocessing.py), also inside each model
(ONNX metadata_props 'mpafer_preprocessing' with 'classes'; TorchScript
extra files preprocessing.json and classes.json), so that
tools/deploy/onnx_pipeline.py deploys without this package. The set is
written under a staging folder moved into place when every format has
passed its check: a run that fails or is killed leaves an earlier export as
it was, and one that ends removes (and names) the files of an earlier
export it did not write (another --formats). Input of both: (B, 3, H, W)
float BGR images on the 0-255 scale, H = W = the config's input size;
output: (B, C) probabilities (mpafer_plugin/export/deploy_model.py). ONNX
needs the optional extra: pip install .[onnx] (onnx, onnxscript,
onnxruntime). --benchmark N prints the mean time per image (batch 1, N
runs) of PyTorch, TorchScript and ONNX Runtime.
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
from mpafer_plugin.export.clip_path import add_clip_argument
from mpafer_plugin.export.deploy_model import DeployableFER
from mpafer_plugin.export.preprocessing import (EXTRA_FILE, METADATA_KEY,
                                                deploy_preprocessing)
from mpafer_plugin.utils import CheckpointError, StagedOutputs, config_file
from mpafer_plugin.utils.output_guard import exit_if_output_is_input

FORMATS = ('torchscript', 'onnx')
TOLERANCE = 1e-4  # largest probability difference accepted

OUTPUT_NAMES = dict(
    classes='classes.json',
    preprocessing=EXTRA_FILE,
    torchscript='model.torchscript.pt',
    onnx='model.onnx')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        'config', type=config_file, help='config, or a prompts-only export')
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


def export_torchscript(module, example, path, metadata):
    traced = torch.jit.trace(module, example, check_trace=False)
    traced.save(
        path,
        _extra_files={
            EXTRA_FILE: json.dumps(metadata['preprocessing']),
            'classes.json': json.dumps(metadata['classes'])
        })
    return torch.jit.load(path)


def export_onnx(module, example, path, metadata):
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
    import onnx
    proto = onnx.load(path)
    for key, value in ((METADATA_KEY, metadata['preprocessing']),
                       ('classes', metadata['classes'])):
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, json.dumps(value)
    onnx.save(proto, path)
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
    metadata = dict(
        classes=module.classes,
        preprocessing=deploy_preprocessing(model._config, size))
    # the set is written under a staging folder and moved into place when
    # every format passed: no new file beside an old one of another run
    staged = StagedOutputs(args.out, OUTPUT_NAMES.values())
    runners = dict(pytorch=module)
    try:
        with open(staged.path('classes.json'), 'w') as f:
            json.dump(module.classes, f)
        with open(staged.path(EXTRA_FILE), 'w') as f:
            json.dump(metadata['preprocessing'], f, indent=1)
        for fmt in args.formats:
            path = staged.path(OUTPUT_NAMES[fmt])
            shown = osp.join(args.out, OUTPUT_NAMES[fmt])
            run = (export_torchscript if fmt == 'torchscript' else
                   export_onnx)(module, images[:2], path,
                                metadata)  # a batch of 1 would specialise
            with torch.no_grad():
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

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
tools/deploy/onnx_pipeline.py deploys without this package.
--precisions fp32 bf16 int8 also writes variants with the image tower in
bf16 (TorchScript) or with its linear layers dynamically quantised to int8
(TorchScript through torch.ao.quantization.quantize_dynamic; ONNX through
onnxruntime's quantize_dynamic of the fp32 graph):
DIR/model.bf16.torchscript.pt, DIR/model.int8.torchscript.pt,
DIR/model.int8.onnx (mpafer_plugin/export/deploy_model.py, deploy_variant).
--test-set compares every variant with fp32 PyTorch on the config's test
set (largest probability difference, agreement of the predicted class,
top-1); --json-out writes the figures (docs/results/deploy_quickstart.json).
The set is written under a staging folder moved into place when every
format has passed its check: a run that fails or is killed leaves an
earlier export as it was, and one that ends removes (and names) the files
of an earlier export it did not write (other --formats or --precisions).
Input of each: (B, 3, H, W) float BGR images on the 0-255 scale, H = W =
the config's input size; output: (B, C) probabilities. ONNX needs the
optional extra: pip install .[onnx] (onnx, onnxscript, onnxruntime).
--benchmark N prints the mean time per image (batch 1, N runs) of every
runtime and variant (--clock cpu: process CPU time).
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
from mpafer_plugin.export.deploy_model import (PRECISIONS, DeployableFER,
                                               deploy_variant)
from mpafer_plugin.export.preprocessing import (EXTRA_FILE, METADATA_KEY,
                                                deploy_preprocessing)
from mpafer_plugin.utils import (CheckpointError, StagedOutputs, atomic_write,
                                 config_file)
from mpafer_plugin.utils.output_guard import exit_if_output_is_input

FORMATS = ('torchscript', 'onnx')
TOLERANCE = 1e-4  # largest probability difference accepted


def file_name(fmt, precision):
    stem = 'model' if precision == 'fp32' else f'model.{precision}'
    return stem + ('.torchscript.pt' if fmt == 'torchscript' else '.onnx')


# every file an export may write into --out (what an earlier run left of
# them and this one did not write is removed)
OUTPUT_NAMES = ('classes.json', EXTRA_FILE) + tuple(
    file_name(fmt, precision) for precision in PRECISIONS for fmt in FORMATS)


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
    parser.add_argument(
        '--precisions',
        nargs='+',
        choices=PRECISIONS,
        default=['fp32'],
        help='variants to write (bf16: TorchScript only)')
    parser.add_argument(
        '--test-set',
        action='store_true',
        help="compare each variant with fp32 PyTorch on the config's test "
        'set')
    parser.add_argument(
        '--clock',
        choices=['wall', 'cpu'],
        default='wall',
        help='--benchmark clock (cpu: process CPU time, for a shared '
        'machine with one torch thread)')
    parser.add_argument('--json-out', help='write the figures as JSON')
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


def import_onnxruntime():
    try:
        import onnxruntime
    except ImportError:
        raise SystemExit('error: ONNX export needs the optional extra: '
                         'pip install .[onnx] (onnx, onnxscript, '
                         'onnxruntime).')
    return onnxruntime


def onnx_session(path):
    session = import_onnxruntime().InferenceSession(
        path, providers=['CPUExecutionProvider'])
    return lambda images: torch.from_numpy(
        session.run(None, {'images': images.numpy()})[0])


def export_onnx(module, example, path, metadata):
    import_onnxruntime()
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
    return onnx_session(path)


def quantize_onnx(fp32_path, path):
    """The fp32 graph with the weights of its MatMuls in int8 (dynamic
    quantisation, onnxruntime.quantization)."""
    import_onnxruntime()
    from onnxruntime.quantization import QuantType, quantize_dynamic
    quantize_dynamic(fp32_path, path, weight_type=QuantType.QInt8)
    return onnx_session(path)


def per_image_ms(run, image, runs, clock='wall'):
    now = time.process_time if clock == 'cpu' else time.perf_counter
    with torch.no_grad():
        run(image)  # warm-up
        start = now()
        for _ in range(runs):
            run(image)
    return 1000 * (now() - start) / runs


def test_set(cfg, batch_size=16):
    """The config's test set as test-pipeline inputs: ``(N, 3, H, W)``
    float BGR images on the 0-255 scale, ``(N,)`` labels, in batches."""
    from mmpretrain.registry import DATASETS
    dataset = DATASETS.build(cfg.test_dataloader.dataset)
    for start in range(0, len(dataset), batch_size):
        items = [
            dataset[i]
            for i in range(start, min(start + batch_size, len(dataset)))
        ]
        yield (torch.stack([item['inputs'] for item in items]).float(),
               torch.cat([item['data_samples'].gt_label for item in items]))


def compare_on_test_set(runners, cfg):
    """Per runner: the largest |p - p_fp32 PyTorch| over the test set, the
    fraction of images whose predicted class is fp32 PyTorch's, top-1."""
    probs, labels = {name: [] for name in runners}, []
    with torch.no_grad():
        for images, target in test_set(cfg):
            labels.append(target)
            for name, run in runners.items():
                probs[name].append(run(images).float())
    labels = torch.cat(labels)
    reference = torch.cat(probs['pytorch'])
    result = {}
    for name in runners:
        p = torch.cat(probs[name])
        result[name] = dict(
            images=len(labels),
            max_abs_prob_diff=float((p - reference).abs().max()),
            agreement=float(
                (p.argmax(1) == reference.argmax(1)).float().mean()),
            top1=float((p.argmax(1) == labels).float().mean()))
    return result


def main(argv=None):
    args = parse_args(argv)
    cfg = None
    if args.config.endswith('.py'):
        cfg = Config.fromfile(args.config)
        if args.cfg_options:
            cfg.merge_from_dict(args.cfg_options)
    outputs = StagedOutputs.output_paths(args.out, OUTPUT_NAMES)
    if args.json_out:
        outputs['--json-out'] = args.json_out
    exit_if_output_is_input(
        outputs,
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
    staged = StagedOutputs(args.out, OUTPUT_NAMES)
    runners, files = dict(pytorch=module), {}
    try:
        with open(staged.path('classes.json'), 'w') as f:
            json.dump(module.classes, f)
        with open(staged.path(EXTRA_FILE), 'w') as f:
            json.dump(metadata['preprocessing'], f, indent=1)
        for precision in args.precisions:
            variant = module if precision == 'fp32' else deploy_variant(
                module, precision)
            if precision != 'fp32':
                runners[f'pytorch.{precision}'] = variant
            for fmt in args.formats:
                if fmt == 'onnx' and precision == 'bf16':
                    print('bf16: written as TorchScript only (ONNX: fp32, '
                          'int8)')
                    continue
                name = fmt if precision == 'fp32' else f'{fmt}.{precision}'
                path = staged.path(file_name(fmt, precision))
                shown = osp.join(args.out, file_name(fmt, precision))
                # an example of 2: 1 would specialise the batch size
                if fmt == 'torchscript':
                    run = export_torchscript(variant, images[:2], path,
                                             metadata)
                elif precision == 'int8':
                    fp32_path = staged.path(file_name('onnx', 'fp32'))
                    if not osp.isfile(fp32_path):
                        export_onnx(module, images[:2], fp32_path, metadata)
                    run = quantize_onnx(fp32_path, path)
                else:
                    run = export_onnx(variant, images[:2], path, metadata)
                with torch.no_grad():
                    error = float((run(images) - expected).abs().max())
                if precision == 'fp32' and not error <= TOLERANCE:
                    raise SystemExit(f'error: {shown}: probabilities differ '
                                     f'from PyTorch by up to {error:.2e} (> '
                                     f'{TOLERANCE:.0e}).')
                print(f'{shown}: {os.path.getsize(path) / 2**20:.1f} MiB, '
                      f'max |p - p_pytorch| = {error:.1e} on 4 images')
                runners[name] = run
                files[name] = dict(
                    path=shown, mib=os.path.getsize(path) / 2**20, error=error)
    except BaseException:
        staged.discard()
        raise
    staged.say_removed(staged.commit(), run='export')
    result = dict(
        files=files,
        ms_per_image={},
        clock=args.clock,
        threads=torch.get_num_threads(),
        image_size=size,
        loadavg=[round(x, 2) for x in os.getloadavg()])
    for name, run in runners.items() if args.benchmark else ():
        ms = per_image_ms(run, images[:1], args.benchmark, args.clock)
        result['ms_per_image'][name] = ms
        print(f'{name}: {ms:.2f} ms per image (batch 1, {size} px, mean of '
              f'{args.benchmark}, {args.clock} clock)')
    if args.test_set:
        result['test_set'] = compare_on_test_set(runners, model._config)
        for name, r in result['test_set'].items():
            print(f"{name}: on {r['images']} test images max |p - p_fp32| "
                  f"= {r['max_abs_prob_diff']:.1e}, predicted class as fp32 "
                  f"on {100 * r['agreement']:.1f} %, top-1 "
                  f"{100 * r['top1']:.1f} %")
    if args.json_out:
        from mpafer_plugin.utils import provenance
        result.update(
            provenance(None if argv is None else ['python', __file__] +
                       list(argv)))
        atomic_write(args.json_out,
                     lambda tmp: json.dump(result, open(tmp, 'w'), indent=2))
    return 0


if __name__ == '__main__':
    sys.exit(main())

"""Benchmark MPA-FER against the frozen CLIP image tower it is built on.

In one process, with warm-up and interleaved repeats (median, IQR):

* training step: ``model(inputs, samples, mode='loss')`` with every loss,
  ``parse_losses`` and the optimizer of the config's ``optim_wrapper``
  (backward, step, zero_grad), data already on the device, with the
  frozen blocks in the layout the model chooses (``attention_layout``,
  see ``mpafer_plugin.models.utils.attention_layout``) and, for the
  before/after, forced to open_clip's batch-first layout (the step before
  the layout choice existed);
* the floor: the bare open_clip image tower (``clip.visual``, the very
  module the backbone wraps) forward and backward to its input, weights
  frozen, in *both* layouts: as built (batch-first) and sequence-first
  (contiguous ``(L, B, W)``, same weights, same outputs to rounding). The
  true floor is the faster of the two: the fastest exact implementation of
  the frozen tower known here, so that a ratio cannot hide a slow kernel;
* where the step goes: the prompted image tower alone (forward, backward to
  the visual prompts) and the soft prompts through the text tower alone
  (forward, backward to the context), each over the true floor;
* inference per image: ``model(inputs, mode='predict')`` (chosen layout,
  and forced batch-first) against bare ``encode_image``
  (``clip.visual(inputs)``) in both layouts, the true floor the faster;
* the layout the model ran in per call site and shape class, and how it
  was chosen (the rule of ``attention_layout='auto'``; with
  ``--cfg-options model.backbone.attention_layout=timed
  model.head.attention_layout=timed``, the timings it chose on);
* peak memory growth of one call of each (CUDA allocator, or the CPU
  resident-set high-water mark) and FLOPs (a load-independent check);
* trainable parameters, bytes and the size of the prompts-only export;
* the head's training step (constant image features) as the number of
  descriptions per class grows: flat, as hard prompts are encoded once.

CLIP is built with random weights (``pretrained=None``, same shapes);
``--arch`` picks another open_clip architecture, e.g. the tiny test one.
On CUDA the model and the floors run under bf16 autocast (``--no-amp`` to
turn it off); ``--amp`` on CPU. ``--cfg-options model.clip.precision=bf16``
stores the frozen CLIP in bf16 (model and floors share it). In bf16 the
targets are tighter (``TARGETS_AMP``) and ``--skip-batch-first`` leaves out
the batch-first timings, 7-16x slower there. On a shared CPU use
``--threads 1 --clock cpu``: process CPU time of a single-threaded run is
not inflated by other processes.

The last line printed is one JSON object (also written by ``--json-out``).

``--profile TOP`` replaces the timing by a ``torch.profiler`` run of one
training step in the model's layout and forced batch-first, printing the
TOP operators by self time of each.

Usage:
    python tools/analysis_tools/benchmark.py configs/mpafer_rafdb.py \
        --device cpu --batch-size 8 --threads 1 --clock cpu \
        [--arch mpafer-tiny-vit]
    python tools/analysis_tools/benchmark.py configs/mpafer_rafdb.py \
        --device cpu --batch-size 8 --threads 1 --profile 15
"""
import argparse
import contextlib
import io
import json
import os
import os.path as osp
import sys
import tempfile

import torch
from mmengine.config import Config, DictAction

from mpafer_plugin.models.utils import attention_layout as layouts
from mpafer_plugin.utils import atomic_write, config_file
from mpafer_plugin.utils.output_guard import exit_if_output_is_input

# step / true floor, predict / true floor, step / step before the layout
# choice, step's peak memory / the true floor's
TARGETS = dict(train=1.10, infer=1.05, speedup=0.75, memory=1.10)
# under bf16 autocast (--amp), with the frozen CLIP stored in bf16 or not
TARGETS_AMP = dict(TARGETS, train=1.05, infer=1.03)
FLAT_TOLERANCE = 1.25  # text side: slowest / fastest sweep point


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', type=config_file)
    parser.add_argument(
        '--device',
        choices=['cpu', 'cuda'],
        default=None,
        help='default: cuda if available')
    parser.add_argument(
        '--arch',
        default=None,
        help='open_clip architecture instead of the '
        "config's model.clip.model_name")
    parser.add_argument('--batch-size', type=int, default=8)
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument(
        '--amp',
        action=argparse.BooleanOptionalAction,
        default=None,
        help='bf16 autocast (default: on for CUDA)')
    parser.add_argument(
        '--threads', type=int, default=None, help='torch.set_num_threads')
    parser.add_argument(
        '--clock',
        choices=['wall', 'cpu'],
        default='wall',
        help='cpu: process CPU time (CPU device only)')
    parser.add_argument(
        '--descriptions-per-class',
        default='1,4,16',
        help='sizes of the text-side sweep, comma-'
        'separated; empty to skip it')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--skip-batch-first',
        action='store_true',
        help='time nothing in the batch-first layout (the '
        'step before the layout choice, and that floor): in bf16 on CPU it '
        'is 7-16x slower, and the true floor is then the sequence-first '
        'one')
    parser.add_argument(
        '--profile',
        type=int,
        default=None,
        metavar='TOP',
        help='instead of timing: profile one training step '
        '(after a warm-up) with torch.profiler in the '
        "model's layout and forced batch-first, and print "
        'the TOP operators by self time of each')
    parser.add_argument('--json-out', default=None)
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config keys, key=value')
    return parser.parse_args(argv)


def build_model(cfg):
    """``cfg.model`` and the open_clip model it loaded (shared by backbone
    and head; the sweep's heads are built on it too)."""
    from mmpretrain.registry import MODELS
    model = MODELS.build(cfg.model)
    return model, model.clip_model


def random_batch(num_classes, visual, batch_size, device, generator):
    """Normalised-image-like inputs at the tower's resolution, and labels
    as data samples."""
    from mmpretrain.structures import DataSample
    size = visual.image_size
    height, width = (size, size) if isinstance(size, int) else size
    inputs = torch.randn(batch_size, 3, height, width, generator=generator)
    labels = torch.randint(num_classes, (batch_size, ), generator=generator)
    return inputs.to(device), [
        DataSample().set_gt_label(int(y)).to(device) for y in labels
    ]


def random_prototypes(head, generator) -> None:
    """Unit-norm random prototypes, so that ``L_v`` runs."""
    if getattr(head, 'prototype_align_loss', None) is not None:
        protos = torch.randn(head.prototypes.shape, generator=generator)
        head.set_prototypes(torch.nn.functional.normalize(protos, dim=-1))


def within(context, fn):
    """``fn`` run inside ``context()``, a fresh context manager per call."""

    def run():
        with context():
            fn()

    return run


def training_fns(model, visual, optim_wrapper, inputs, samples, autocast,
                 layouts_timed):
    """The training step (chosen layout, and batch-first as before the
    choice), its floor in both layouts, and the two sides of the step
    alone."""
    head, backbone = model.head, model.backbone

    def train_step():
        with autocast():
            losses = model(inputs, samples, mode='loss')
        optim_wrapper.update_params(model.parse_losses(losses)[0])

    def floor():
        with autocast():
            out = visual(inputs.detach().requires_grad_(True))
        out.float().sum().backward()

    def visual_side():
        with autocast():
            patches, glob = backbone(inputs)
        (patches.float().sum() + glob.float().sum()).backward()
        backbone.prompts.grad = None

    def text_side():
        # as in the step: MPAHead.loss runs the text tower with autocast off
        learner = head.prompt_learner
        with torch.autocast(inputs.device.type, enabled=False):
            text = learner.encode(head.text_encoder,
                                  learner.embeddings(head.text_encoder))
        text.float().sum().backward()
        learner.context.grad = None

    fns = dict(train_step=train_step)
    fns.update(
        before_and_floors(model, visual, 'train_step', train_step, 'floor',
                          floor, layouts_timed))
    return dict(fns, visual_side=visual_side, text_side=text_side)


def inference_fns(model, visual, inputs, autocast, layouts_timed):
    """Prediction (chosen layout, and batch-first) and ``encode_image`` in
    both layouts."""

    def predict():
        with torch.no_grad(), autocast():
            model(inputs, mode='predict')

    def encode_image():
        with torch.no_grad(), autocast():
            visual(inputs)

    return dict(
        predict=predict,
        **before_and_floors(model, visual, 'predict', predict, 'encode_image',
                            encode_image, layouts_timed))


def before_and_floors(model,
                      visual,
                      step_name,
                      step,
                      floor_name,
                      floor,
                      layouts_timed=layouts.LAYOUTS) -> dict:
    """``step`` with the model forced to open_clip's batch-first layout
    (``<step_name>_batch_first``: before the layout choice existed), and
    ``floor`` (the bare tower) in each layout (``<floor_name>_<layout>``),
    of ``layouts_timed``."""
    fns = {}
    if layouts.BATCH_FIRST in layouts_timed:
        fns[f'{step_name}_batch_first'] = within(
            lambda: layouts.forced_layout(model, layouts.BATCH_FIRST), step)
    for layout in layouts_timed:
        fns[f'{floor_name}_{layout}'] = within(
            lambda layout=layout: layouts.transformer_layout(
                visual.transformer, layout),
            floor)
    return fns


def true_floor(fns, prefix):
    """The faster (by median) of ``prefix + '_batch_first'`` and
    ``prefix + '_sequence_first'`` (those timed): its name and stats."""
    name = min((prefix + '_' + layout
                for layout in layouts.LAYOUTS if prefix + '_' + layout in fns),
               key=lambda n: fns[n]['median_s'])
    return name, fns[name]


def layout_choices(model) -> list:
    """The layouts ``model`` ran its blocks in as configured, one dict per
    call site and shape class (with the timings when ``'timed'`` chose
    them); the tool's own forcing to batch-first ("before") left out."""
    record = layouts.layout_record(model)
    return [
        used for used in record['used'] if used['by'] != 'forced'
        or record['modes'][used['site']] in layouts.LAYOUTS
    ]


def write_descriptions(path, classnames, per_class: int) -> None:
    """A descriptions file with ``per_class`` descriptions per class,
    recycled from the shipped ones (numbered when repeated)."""
    from mpafer_plugin.models.utils.hard_prompts import (DEFAULT_DESCRIPTIONS,
                                                         load_descriptions)
    pool = load_descriptions(DEFAULT_DESCRIPTIONS, classnames)
    classes = {
        name.lower(): {
            'face': [
                texts[i % len(texts)] + (f' ({i})' if i >= len(texts) else '')
                for i in range(per_class)
            ]
        }
        for name, texts in zip(classnames, pool)
    }
    with open(path, 'w', encoding='utf-8') as f:
        json.dump({'granularities': ['face'], 'classes': classes}, f)


def text_sweep(cfg, clip_model, sizes, batch_size, device, autocast, measure,
               generator) -> dict:
    """Head-only training step (soft prompts through the text tower,
    logits, every loss, backward to the context) on constant image
    features, for heads whose descriptions file has ``n`` descriptions per
    class, ``n`` in ``sizes``. The first step of each head is timed apart:
    it encodes the hard prompts (once)."""
    from mmpretrain.registry import MODELS

    from mpafer_plugin.testing.benchmarking import flatness
    _, samples = random_batch(
        len(cfg.model.head.classnames), clip_model.visual, batch_size, device,
        generator)
    dim = clip_model.visual.output_dim
    grid = clip_model.visual.grid_size
    feats = (torch.randn(
        batch_size, grid[0] * grid[1], dim, generator=generator).to(device),
             torch.randn(batch_size, dim, generator=generator).to(device))
    steps, first, prompts = {}, [], []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            path = osp.join(tmp, f'descriptions_{n}.json')
            write_descriptions(path, cfg.model.head.classnames, n)
            head = MODELS.build(
                dict(cfg.model.head, clip_model=clip_model,
                     descriptions=path)).to(device).train()
            random_prototypes(head, generator)

            def step(head=head):
                with autocast():
                    losses = head.loss(feats, samples)
                sum(losses.values()).backward()
                head.prompt_learner.context.grad = None

            first.append(
                measure({n: step}, warmup=0, repeats=1)[n]['median_s'])
            prompts.append(len(getattr(head, 'hard_prompts', [])))
            steps[n] = step
    timed = measure(steps)
    medians = [timed[n]['median_s'] for n in sizes]
    spread, flat = flatness(medians, FLAT_TOLERANCE)
    return dict(
        descriptions_per_class=list(sizes),
        hard_prompts=prompts,
        first_step_s=first,
        step_median_s=medians,
        step_iqr_s=[timed[n]['iqr_s'] for n in sizes],
        max_over_min=spread,
        flat=flat,
        flat_tolerance=FLAT_TOLERANCE)


def trainable(model, cfg) -> dict:
    from mpafer_plugin.export import prompts_export, trainable_state_dict
    tensors = trainable_state_dict(model)
    # the size of the export as written (the benchmark's CLIP is random, so
    # export_prompts itself would refuse to write it)
    buffer = io.BytesIO()
    torch.save(prompts_export(model, cfg, 'prompts.pth'), buffer)
    export_bytes = buffer.getbuffer().nbytes
    return dict(
        params=sum(t.numel() for t in tensors.values()),
        bytes=sum(t.numel() * t.element_size() for t in tensors.values()),
        tensors={
            k: list(t.shape)
            for k, t in tensors.items()
        },
        prompts_export_bytes=export_bytes)


def run(args) -> dict:
    from mmengine.optim import build_optim_wrapper

    import mpafer_plugin  # noqa: F401  registers every component
    from mpafer_plugin.testing.benchmarking import (MemoryMeter,
                                                    profile_top_ops, ratio,
                                                    time_interleaved)
    from mpafer_plugin.utils import provenance
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(
        args.device or ('cuda' if torch.cuda.is_available() else 'cpu'))
    if device.type == 'cuda' and args.clock == 'cpu':
        raise SystemExit('--clock cpu measures CPU time: use it with '
                         '--device cpu')
    amp = device.type == 'cuda' if args.amp is None else args.amp
    layouts_timed = ((layouts.SEQUENCE_FIRST, )
                     if args.skip_batch_first else layouts.LAYOUTS)
    goals = TARGETS_AMP if amp else TARGETS

    def autocast():
        return (torch.autocast(device.type, dtype=torch.bfloat16)
                if amp else contextlib.nullcontext())

    def sync():
        if device.type == 'cuda':
            torch.cuda.synchronize(device)

    def measure(fns, warmup=args.warmup, repeats=args.repeats, **kwargs):
        return time_interleaved(fns, warmup, repeats, args.clock, sync,
                                **kwargs)

    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    if args.arch:
        cfg.model.clip.model_name = args.arch
    cfg.model.clip.pretrained = None
    torch.manual_seed(args.seed)
    generator = torch.Generator().manual_seed(args.seed)
    loadavg = [round(x, 2) for x in os.getloadavg()]
    layouts.clear_cache()  # report this run's choices only
    model, clip_model = build_model(cfg)
    model.to(device)
    visual = clip_model.visual
    random_prototypes(model.head, generator)
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    inputs, samples = random_batch(model.head.num_classes, visual,
                                   args.batch_size, device, generator)
    memory = MemoryMeter(device)

    model.train()
    fns = training_fns(model, visual, optim_wrapper, inputs, samples, autocast,
                       layouts_timed)
    header = dict(
        config=args.config,
        arch=cfg.model.clip.model_name,
        device=str(device),
        threads=torch.get_num_threads(),
        batch_size=args.batch_size,
        amp=amp,
        loadavg=loadavg)
    if args.profile:
        return dict(
            header,
            profile={
                name: profile_top_ops(fns[name], args.profile, device)
                for name in ('train_step_batch_first', 'train_step')
                if name in fns
            },
            attention_layout=layout_choices(model))
    train = measure(fns, memory=memory, flops=True)
    optim_wrapper.zero_grad()
    model.eval()
    infer = measure(
        inference_fns(model, visual, inputs, autocast, layouts_timed),
        memory=memory,
        flops=True)
    sizes = [int(n) for n in args.descriptions_per_class.split(',') if n]
    sweep = text_sweep(cfg, clip_model, sizes, args.batch_size, device,
                       autocast, measure, generator) if sizes else None

    def over(fns, a, b, key='flops'):
        return fns[a][key] / fns[b][key] if fns[a][key] and fns[b][
            key] else None

    floors = dict(
        train=true_floor(train, 'floor')[0],
        infer=true_floor(infer, 'encode_image')[0])
    targets = {}
    for key, fns, a, b in (('train', train, 'train_step', floors['train']),
                           ('infer', infer, 'predict',
                            floors['infer']), ('speedup', train, 'train_step',
                                               'train_step_batch_first')):
        if b not in fns:  # --skip-batch-first
            continue
        medians, paired = ratio(fns[a], fns[b])
        targets[key] = dict(
            ratio=medians,
            ratio_paired_median=paired,
            over=b,
            target=goals[key],
            met=medians <= goals[key])
    memory_ratio = over(train, 'train_step', floors['train'], 'peak_bytes')
    targets['memory'] = dict(
        ratio=memory_ratio,
        over=floors['train'],
        target=goals['memory'],
        met=memory_ratio is not None and memory_ratio <= goals['memory'])
    floor = train[floors['train']]['median_s']
    rest = (
        train['train_step']['median_s'] - train['visual_side']['median_s'] -
        train['text_side']['median_s'])
    return dict(
        **provenance(),
        config=args.config,
        arch=cfg.model.clip.model_name,
        pretrained=None,
        device=str(device),
        device_name=(torch.cuda.get_device_name(device)
                     if device.type == 'cuda' else 'cpu'),
        threads=torch.get_num_threads(),
        batch_size=args.batch_size,
        image_size=list(inputs.shape[2:]),
        amp=amp,
        precision=cfg.model.clip.get('precision', 'fp32'),
        layouts_timed=list(layouts_timed),
        clock=args.clock,
        warmup=args.warmup,
        repeats=args.repeats,
        torch_version=torch.__version__,
        loadavg=dict(
            start=loadavg, end=[round(x, 2) for x in os.getloadavg()]),
        attention_layout=dict(
            backbone=model.backbone.attention_layout,
            text_encoder=model.head.text_encoder.attention_layout,
            true_floor=floors,
            choices=layout_choices(model)),
        train=train,
        infer={
            name:
            dict(
                stats, per_image_median_s=stats['median_s'] / args.batch_size)
            for name, stats in infer.items()
        },
        targets=targets,
        step_over_floor=dict(
            visual_side=train['visual_side']['median_s'] / floor,
            text_side=train['text_side']['median_s'] / floor,
            rest=rest / floor,
            rest_note='step - visual side - text side: logits, losses, '
            'optimizer, and what the sides share'),
        flops=dict(
            train=over(train, 'train_step', floors['train']),
            visual_side=over(train, 'visual_side', floors['train']),
            text_side=over(train, 'text_side', floors['train']),
            infer=over(infer, 'predict', floors['infer'])),
        memory=dict(
            kind=memory.kind,
            train=memory_ratio,
            infer=over(infer, 'predict', floors['infer'], 'peak_bytes')),
        trainable=trainable(model, cfg),
        text_sweep=sweep)


def _ms(seconds) -> str:
    return f'{seconds * 1e3:10.1f}'


def _ratio(value) -> str:
    return '-' if value is None else f'{value:.3f}'


def print_report(r: dict) -> None:
    print(f"\n== MPA-FER benchmark: {r['config']} arch={r['arch']} (random "
          f"weights) device={r['device_name']} threads={r['threads']} "
          f"batch={r['batch_size']} image={r['image_size']} amp={r['amp']} "
          f"clip precision={r['precision']} "
          f"clock={r['clock']} warmup={r['warmup']} repeats={r['repeats']} "
          f"load average {r['loadavg']['start'][0]} -> "
          f"{r['loadavg']['end'][0]}")
    print(f"\n{'measurement':46s} {'median ms':>10s} {'IQR ms':>10s} "
          f"{'/ floor':>8s} {'FLOPs /':>8s} {'peak MiB':>9s}")
    train, infer, size = r['train'], r['infer'], r['batch_size']
    floors = r['attention_layout']['true_floor']
    tf, inf = train[floors['train']], infer[floors['infer']]
    rows = (('train step (all losses, SGD), batch', train['train_step'], tf,
             1), ('  same, batch-first (before)',
                  train.get('train_step_batch_first'), tf,
                  1), ('  floor: image tower fwd+bwd, batch-first',
                       train.get('floor_batch_first'), tf,
                       1), ('  floor: image tower fwd+bwd, sequence-first',
                            train['floor_sequence_first'], tf, 1),
            ('  prompted image tower fwd + bwd', train['visual_side'], tf, 1),
            ('  soft prompts, text tower fwd + bwd', train['text_side'], tf,
             1), ('inference per image (predict)', infer['predict'], inf,
                  size), ('  same, batch-first (before)',
                          infer.get('predict_batch_first'), inf, size),
            ('  floor: encode_image, batch-first',
             infer.get('encode_image_batch_first'), inf,
             size), ('  floor: encode_image, sequence-first',
                     infer['encode_image_sequence_first'], inf, size))
    for name, stats, base, per in rows:
        if stats is None:  # --skip-batch-first
            continue
        flops = (
            stats['flops'] /
            base['flops'] if stats['flops'] and base['flops'] else None)
        peak = ('-' if stats['peak_bytes'] is None else
                f"{stats['peak_bytes'] / 2**20:9.1f}")
        print(f"{name:46s} {_ms(stats['median_s'] / per)} "
              f"{_ms(stats['iqr_s'] / per)} "
              f"{stats['median_s'] / base['median_s']:8.3f} "
              f'{_ratio(flops):>8s} {peak:>9s}')
    print(f"   true floor (the faster layout): {floors['train']} "
          f"(training), {floors['infer']} (inference); peak: "
          f"{r['memory']['kind']} of one call of the batch")
    layout = r['attention_layout']
    print(f"\n== layouts the model ran in (backbone "
          f"{layout['backbone']!r}, text encoder "
          f"{layout['text_encoder']!r}; once per call site and shape "
          'class)')
    for c in layout['choices']:
        times = ', '.join(f'{k} {v * 1e3:.1f} ms'
                          for k, v in c.get('first_block_s', {}).items())
        times = c.get('by', 'timed') + (f': {times}' if times else '')
        print(f"  width {c['width']:4d} tokens {c['tokens']:3d} batch <= "
              f"{c['batch_bucket']:3d} {'fwd+bwd' if c['backward'] else 'fwd'}"
              f"{' masked' if c['masked'] else ''}: {c['layout']} ({times})")
    print('\n== targets (interleaved run: ratio of medians, median of '
          'per-repeat ratios)')
    for key, label in (('train', 'train step / true floor'),
                       ('speedup', 'train step / before'),
                       ('infer', 'inference / true floor')):
        if key not in r['targets']:
            continue
        t = r['targets'][key]
        print(f"{label:26s} {t['ratio']:.3f} (paired "
              f"{t['ratio_paired_median']:.3f})  target <= {t['target']:.2f}  "
              f"{'MET' if t['met'] else 'NOT MET'}")
    t = r['targets']['memory']
    print(f"{'train peak / true floor':26s} {_ratio(t['ratio'])}  target <= "
          f"{t['target']:.2f}  {'MET' if t['met'] else 'NOT MET'}  "
          f"(inference {_ratio(r['memory']['infer'])})")
    s = r['step_over_floor']
    print(
        f"step / true floor = visual side {s['visual_side']:.3f} + text "
        f"side {s['text_side']:.3f} + rest {s['rest']:.3f} ({s['rest_note']})")
    t = r['trainable']
    print(f"\n== trainable: {t['params']:,d} parameters, {t['bytes']:,d} "
          f"bytes; prompts-only export {t['prompts_export_bytes']:,d} "
          f"bytes; {t['tensors']}")
    sweep = r['text_sweep']
    if sweep:
        print('\n== head training step vs descriptions per class')
        print(f"{'desc/class':>10s} {'hard prompts':>12s} "
              f"{'first step ms':>14s} {'median ms':>10s} {'IQR ms':>10s}")
        for i, n in enumerate(sweep['descriptions_per_class']):
            print(f"{n:10d} {sweep['hard_prompts'][i]:12d} "
                  f"{sweep['first_step_s'][i] * 1e3:14.1f} "
                  f"{_ms(sweep['step_median_s'][i])} "
                  f"{_ms(sweep['step_iqr_s'][i])}")
        print(f"   slowest / fastest {sweep['max_over_min']:.3f}: "
              f"{'flat' if sweep['flat'] else 'NOT flat'} (tolerance "
              f"{sweep['flat_tolerance']}); the first step also encodes "
              'the hard prompts, once')


def print_profile(r: dict) -> None:
    print(f"\n== torch.profiler, one training step: {r['config']} "
          f"arch={r['arch']} (random weights) device={r['device']} "
          f"threads={r['threads']} batch={r['batch_size']} amp={r['amp']} "
          f"load average {r['loadavg'][0]}")
    for name, rows in r['profile'].items():
        total = sum(row['self_s'] for row in rows)
        print(f"\n{name} (top {len(rows)} operators by self time, "
              f"{total:.3f} s of self time together)")
        print(f"{'operator':48s} {'calls':>6s} {'self s':>8s} "
              f"{'total s':>8s}")
        for row in rows:
            print(f"{row['name'][:48]:48s} {row['calls']:6d} "
                  f"{row['self_s']:8.3f} {row['total_s']:8.3f}")


def main(argv=None) -> dict:
    args = parse_args(argv)
    exit_if_output_is_input({'--json-out': args.json_out},
                            {'CONFIG': args.config},
                            Config.fromfile(args.config))
    result = run(args)
    (print_profile if args.profile else print_report)(result)
    if args.json_out:
        text = json.dumps(result, indent=2)
        atomic_write(args.json_out, lambda tmp: open(tmp, 'w').write(text))
    sys.stdout.flush()
    print(json.dumps(result))
    return result


if __name__ == '__main__':
    main()

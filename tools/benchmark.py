"""Benchmark MPA-FER against the frozen CLIP image tower it is built on.

Measures, in one process, with warm-up and several repeats (median, IQR):

* training step (data already on the device: ``model(..., mode='loss')``
  with every loss, ``parse_losses``, backward and the optimizer step of the
  mmengine optim wrapper built from the config's ``optim_wrapper``, i.e.
  ``model.train_step`` without the data preprocessor) against the floor:
  the bare open_clip image tower ``clip_model.visual`` forward + backward to
  its input (input requires grad, weights frozen), same batch and
  resolution;
* inference per image (``model(inputs, mode='predict')``, eval, no grad)
  against the bare ``clip_model.encode_image``;
* peak memory of each: CUDA ``max_memory_allocated`` growth, or on CPU the
  growth of the resident set (``VmHWM`` of ``/proc/self/status``, reset
  through ``/proc/self/clear_refs``, minus ``VmRSS`` before the step);
* trainable parameters / bytes and the size of a prompts-only export
  (``torch.save`` of ``{name: tensor}`` for the trainable tensors);
* the head's text-side time per training step as the number of hard-prompt
  descriptions per class grows (it must stay flat: hard prompts are
  encoded once and cached);
* a breakdown of the training step (backbone forward, soft-prompt text
  encoding, logits, each loss, backward, optimizer) and isolated
  forward + backward costs of the text and visual sides;
* FLOPs of one call of each (``torch.utils.flop_counter``), a
  machine-independent cross-check of the time ratios.

Functions compared with each other are timed interleaved (A B A B ...) so
that background load hits them alike; on a shared CPU use ``--threads 1``
(multi-threaded ops stall on descheduled threads) and ``--clock cpu``
(process CPU time instead of wall time). The hard-prompt cache and the
eval text cache are filled before warm-up (the one-time cost is reported).

CLIP is always built with ``pretrained=None`` (random weights, same shapes).
The targets are: training step <= 1.15 x floor, inference <= 1.08 x bare
``encode_image``. The last line printed is one JSON object.

Usage:
    python tools/benchmark.py configs/mpafer_rafdb.py --device cpu \
        --batch-size 8 [--arch mpafer-tiny-vit] [--threads 1] \
        [--clock cpu] [--warmup 2] [--repeats 5] [--amp] [--json-out F]
"""
import argparse
import contextlib
import ctypes
import gc
import json
import os
import os.path as osp
import re
import statistics
import sys
import tempfile
import time
from typing import Callable, Dict, List, Optional

import torch
from mmengine.config import DictAction

TRAIN_TARGET = 1.15
INFER_TARGET = 1.08
FLAT_TOLERANCE = 1.25  # text side "flat": slowest / fastest <= this


# -- timing and memory ---------------------------------------------------
# 'wall': time.perf_counter; 'cpu': time.process_time (CPU seconds of this
# process: robust to other processes on a shared CPU with --threads 1).
CLOCKS = {'wall': time.perf_counter, 'cpu': time.process_time}
_CLOCK = {'name': 'wall'}


def _now() -> float:
    return CLOCKS[_CLOCK['name']]()


def _sync(device: torch.device) -> None:
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def _stats(samples: List[float], other: Optional[List[float]] = None
           ) -> dict:
    """Median, IQR (q75 - q25), min and the raw samples, in seconds, of the
    primary clock; ``other``: samples of the other clock (median only)."""
    ordered = sorted(samples)
    if len(ordered) >= 2:
        q1, _, q3 = statistics.quantiles(ordered, n=4, method='inclusive')
    else:
        q1 = q3 = ordered[0]
    out = dict(median_s=statistics.median(ordered), iqr_s=q3 - q1,
               min_s=ordered[0], samples_s=[round(s, 6) for s in samples],
               clock=_CLOCK['name'])
    if other:
        name = 'cpu' if _CLOCK['name'] == 'wall' else 'wall'
        out[f'{name}_median_s'] = statistics.median(other)
    return out


def _proc_status_kib(key: str) -> Optional[int]:
    try:
        with open('/proc/self/status') as f:
            found = re.search(rf'^{key}:\s+(\d+) kB', f.read(), re.M)
    except OSError:
        return None
    return int(found.group(1)) if found else None


class MemoryMeter:
    """Peak memory growth of a region.

    CUDA: ``max_memory_allocated`` minus ``memory_allocated`` at the start
    (peak statistics reset). CPU: ``VmHWM`` minus ``VmRSS`` at the start,
    after ``malloc_trim`` and a reset of ``VmHWM`` through
    ``/proc/self/clear_refs`` (Linux); allocator slack is included.
    """

    def __init__(self, device: torch.device):
        self.device = device
        self.kind = ('cuda_max_memory_allocated_growth'
                     if device.type == 'cuda' else 'cpu_rss_hwm_growth')
        self._libc = None
        if device.type != 'cuda':
            with contextlib.suppress(OSError):
                self._libc = ctypes.CDLL('libc.so.6')
        self.reliable = device.type == 'cuda' or self._reset_hwm()
        self._base = 0

    def _reset_hwm(self) -> bool:
        try:
            with open('/proc/self/clear_refs', 'w') as f:
                f.write('5')
            return _proc_status_kib('VmHWM') is not None
        except OSError:
            return False

    def start(self) -> None:
        gc.collect()
        if self.device.type == 'cuda':
            torch.cuda.synchronize(self.device)
            torch.cuda.reset_peak_memory_stats(self.device)
            self._base = torch.cuda.memory_allocated(self.device)
            return
        if self._libc is not None:
            with contextlib.suppress(AttributeError):
                self._libc.malloc_trim(0)
        self._reset_hwm()
        self._base = (_proc_status_kib('VmRSS') or 0) * 1024

    def stop(self) -> Optional[int]:
        """Bytes of growth since :meth:`start`, or None if unmeasurable."""
        if self.device.type == 'cuda':
            torch.cuda.synchronize(self.device)
            return torch.cuda.max_memory_allocated(self.device) - self._base
        if not self.reliable:
            return None
        return max(0, (_proc_status_kib('VmHWM') or 0) * 1024 - self._base)


@contextlib.contextmanager
def flop_counter():
    """``torch.utils.flop_counter.FlopCounterMode`` that also counts the
    CPU flash-attention kernels, with nn.MultiheadAttention's inference
    fast path off (its fused kernel is not counted)."""
    from torch.utils import flop_counter as fc

    def fwd(q, k, v, *args, out_shape=None, **kwargs):
        return fc.sdpa_flop_count(q, k, v)

    def bwd(grad, q, k, v, *args, out_shape=None, **kwargs):
        return fc.sdpa_backward_flop_count(grad, q, k, v)

    aten = torch.ops.aten
    mapping = {}
    for name, formula in (
            ('_scaled_dot_product_flash_attention_for_cpu', fwd),
            ('_scaled_dot_product_flash_attention_for_cpu_backward', bwd)):
        op = getattr(aten, name, None)
        if op is not None:
            mapping[op] = formula
    fastpath = torch.backends.mha.get_fastpath_enabled()
    torch.backends.mha.set_fastpath_enabled(False)
    try:
        with fc.FlopCounterMode(display=False,
                                custom_mapping=mapping) as counter:
            yield counter
    finally:
        torch.backends.mha.set_fastpath_enabled(fastpath)


def run_paired(fns: Dict[str, Callable[[], None]], warmup: int,
               repeats: int, device: torch.device,
               memory: Optional[MemoryMeter] = None,
               count_flops: bool = False) -> dict:
    """Warm every function up, then time them interleaved (A B A B ...) so
    that drift and background load hit each alike. Memory (peak growth of
    one call) is read on every repeat, outside the timed region; the
    largest value is kept. With ``count_flops`` (and ``warmup >= 1``) the
    first warm-up call of each function runs under a FLOP counter."""
    flops = {}
    for index in range(warmup):
        for name, fn in fns.items():
            if count_flops and index == 0:
                try:
                    with flop_counter() as counter:
                        fn()
                    flops[name] = counter.get_total_flops()
                except Exception as err:  # counting is best effort
                    print(f'FLOP counting of {name} failed ({err!r}); '
                          'timing it anyway', file=sys.stderr)
                    flops[name] = None
                    fn()
            else:
                fn()
    _sync(device)
    times = {name: [] for name in fns}
    others = {name: [] for name in fns}
    peaks = {name: [] for name in fns}
    other_clock = CLOCKS['cpu' if _CLOCK['name'] == 'wall' else 'wall']
    for _ in range(repeats):
        for name, fn in fns.items():
            if memory is not None:
                memory.start()
            _sync(device)
            start, start_other = _now(), other_clock()
            fn()
            _sync(device)
            times[name].append(_now() - start)
            others[name].append(other_clock() - start_other)
            if memory is not None:
                peaks[name].append(memory.stop())
    result = {}
    for name in fns:
        result[name] = _stats(times[name], others[name])
        known = [p for p in peaks[name] if p is not None]
        result[name]['peak_bytes'] = max(known) if known else None
        result[name]['flops'] = flops.get(name)
    return result


class Timers:
    """Named accumulating timers (synchronised), one step at a time."""

    def __init__(self, device: torch.device):
        self.device = device
        self.current: Dict[str, float] = {}
        self.steps: List[Dict[str, float]] = []
        self._open: Dict[str, float] = {}

    def begin(self, name: str) -> None:
        _sync(self.device)
        self._open[name] = _now()

    def end(self, name: str) -> None:
        _sync(self.device)
        elapsed = _now() - self._open.pop(name)
        self.current[name] = self.current.get(name, 0.0) + elapsed

    @contextlib.contextmanager
    def __call__(self, name: str):
        self.begin(name)
        try:
            yield
        finally:
            self.end(name)

    def next_step(self) -> None:
        self.steps.append(self.current)
        self.current = {}


# -- model ---------------------------------------------------------------
def build_model(cfg, device: torch.device):
    """Build ``cfg.model`` and return it with the open_clip model it loaded
    (captured at load time, so the floor runs on the very same tower)."""
    from mmpretrain.registry import MODELS

    import mpafer_plugin.models.classifiers.mpafer as mpafer_module
    from mpafer_plugin.models import load_clip
    captured = []
    original = mpafer_module.load_clip

    def capturing_load_clip(*args, **kwargs):
        clip_model = original(*args, **kwargs)
        captured.append(clip_model)
        return clip_model

    mpafer_module.load_clip = capturing_load_clip
    try:
        model = MODELS.build(cfg.model)
    finally:
        mpafer_module.load_clip = original
    clip_model = captured[0] if captured else load_clip(**cfg.model.clip)
    return model.to(device), clip_model.to(device)


def random_prototypes(head, generator: torch.Generator) -> None:
    """Random L2-normalised ``(C, D)`` prototypes so that ``L_v`` runs."""
    if getattr(head, 'prototype_align_loss', None) is None:
        return
    shape = tuple(head.prototypes.shape)
    protos = torch.randn(shape, generator=generator)
    head.set_prototypes(
        torch.nn.functional.normalize(protos, dim=-1).to(
            head.prototypes.device, head.prototypes.dtype))


def prime_head(model, samples, device, amp: bool,
               training: bool) -> float:
    """Fill the head's caches with dummy features, no grad: in training the
    hard-prompt features (built once), in eval the encoded soft prompts.
    Returns the seconds it took (the one-time cost), so that warm-up and
    FLOP counting see steady-state steps only."""
    backbone, head = model.backbone, model.head
    feats = (torch.zeros(len(samples), backbone.num_patches,
                         backbone.embed_dim, device=device),
             torch.zeros(len(samples), backbone.embed_dim, device=device))
    model.train(training)
    _sync(device)
    start = _now()
    with torch.no_grad(), autocast_ctx(device, amp):
        if training:
            head.loss(feats, samples)
        else:
            head(feats)
    _sync(device)
    return _now() - start


def make_batch(batch_size: int, image_size, num_classes: int,
               device: torch.device, generator: torch.Generator):
    from mmpretrain.structures import DataSample
    height, width = ((image_size, image_size) if isinstance(image_size, int)
                     else tuple(image_size))
    inputs = torch.randn(batch_size, 3, height, width,
                         generator=generator).to(device)
    labels = torch.randint(num_classes, (batch_size,), generator=generator)
    samples = [DataSample().set_gt_label(int(y)).to(device) for y in labels]
    return inputs, samples


def autocast_ctx(device: torch.device, amp: bool):
    if not amp:
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype=torch.bfloat16)


def flops_summary(train, infer, isolated, text_flops, batch_size) -> dict:
    """FLOPs of one call of each measured function (counted once, in the
    first warm-up call, caches already built): a machine-independent view
    of the time ratios."""
    out = dict(note='torch.utils.flop_counter (matmul, conv, attention; '
               'forward and backward); counted on the first warm-up call')
    for name, stats in list(train.items()) + list(infer.items()):
        out[name] = stats.get('flops')
    out.update(text_flops)

    def ratio(a, b):
        return out[a] / out[b] if out.get(a) and out.get(b) else None
    out['train_ratio'] = ratio('train_step', 'train_floor')
    out['infer_ratio'] = ratio('predict', 'encode_image')
    out['visual_prompted_ratio'] = ratio('visual_prompted', 'train_floor')
    out['text_fwd_bwd_over_floor'] = ratio('text_fwd_bwd_flops',
                                           'train_floor')
    return out


def trainable_summary(model) -> dict:
    params = {name: p for name, p in model.named_parameters()
              if p.requires_grad}
    count = sum(p.numel() for p in params.values())
    nbytes = sum(p.numel() * p.element_size() for p in params.values())
    with tempfile.TemporaryDirectory() as tmp:
        path = osp.join(tmp, 'prompts.pth')
        torch.save({name: p.detach().cpu() for name, p in params.items()},
                   path)
        export = os.path.getsize(path)
    return dict(
        params=count, bytes=nbytes,
        tensors={name: list(p.shape) for name, p in params.items()},
        prompts_export_bytes=export,
        prompts_export_note=(
            'size of torch.save({name: tensor for every requires_grad '
            'parameter}) to a temp file: trainable tensors only, no CLIP '
            'weights, no optimizer state, no metadata'))


def write_descriptions(path: str, classnames, per_class: int) -> None:
    """A descriptions file (schema of ``load_descriptions``) with
    ``per_class`` descriptions per class, recycled from the shipped file."""
    from mpafer_plugin.models.utils.hard_prompts import (DEFAULT_DESCRIPTIONS,
                                                         load_descriptions)
    pool = load_descriptions(DEFAULT_DESCRIPTIONS, classnames)
    classes = {}
    for name, texts in zip(classnames, pool):
        chosen = [texts[i % len(texts)] + ('' if i < len(texts)
                                           else f' (variant {i})')
                  for i in range(per_class)]
        classes[name.lower()] = {'face': chosen}
    with open(path, 'w', encoding='utf-8') as f:
        json.dump({'granularities': ['face'], 'classes': classes}, f)


# -- measurements --------------------------------------------------------
def train_step_fn(model, optim_wrapper, inputs, samples, device, amp):
    def step():
        with autocast_ctx(device, amp):
            losses = model(inputs, samples, mode='loss')
        loss, _ = model.parse_losses(losses)
        optim_wrapper.update_params(loss)
    return step


def floor_train_fn(visual, inputs, device, amp):
    def step():
        x = inputs.detach().requires_grad_(True)
        with autocast_ctx(device, amp):
            out = visual(x)
        out.float().sum().backward()
    return step


def breakdown_train(model, optim_wrapper, inputs, samples, device, amp,
                    repeats: int) -> dict:
    """Time the parts of ``repeats`` training steps with synchronised
    timers: forward hooks on the backbone, the text encoder and each loss
    module, and wrappers around the head's soft-prompt assembly and
    logits (instance attributes, removed afterwards)."""
    head = model.head
    timers = Timers(device)
    handles, patched = [], []

    def hook(module, name):
        handles.append(module.register_forward_pre_hook(
            lambda *_: timers.begin(name)))
        handles.append(module.register_forward_hook(
            lambda *_: timers.end(name)))

    hook(head.text_encoder, 'head: text encoder forward (soft prompts)')
    for attr, label in (('loss_module', 'loss: CE'),
                        ('token_align_loss', 'loss: L_ta (token align)'),
                        ('prompt_align_loss', 'loss: L_pa (prompt align)'),
                        ('prototype_align_loss', 'loss: L_v (prototype)')):
        module = getattr(head, attr, None)
        if isinstance(module, torch.nn.Module):
            hook(module, label)
    for attr, label in (('soft_prompt_embeddings',
                         'head: soft-prompt embeddings'),
                        ('global_local_logits', 'head: global-local logits')):
        original = getattr(head, attr)

        def wrapped(*args, _original=original, _label=label, **kwargs):
            with timers(_label):
                return _original(*args, **kwargs)
        setattr(head, attr, wrapped)
        patched.append(attr)
    try:
        for _ in range(repeats):
            with timers('total step'):
                with autocast_ctx(device, amp):
                    with timers('backbone forward (prompted visual)'):
                        feats = model.extract_feat(inputs)
                    with timers('head.loss (all)'):
                        losses = head.loss(feats, samples)
                loss, _ = model.parse_losses(losses)
                with timers('backward (all)'):
                    optim_wrapper.backward(loss)
                with timers('optimizer step + zero_grad'):
                    optim_wrapper.step()
                    optim_wrapper.zero_grad()
            timers.next_step()
    finally:
        for handle in handles:
            handle.remove()
        for attr in patched:
            delattr(head, attr)
    names = list(timers.steps[0])
    medians = {n: statistics.median(s.get(n, 0.0) for s in timers.steps)
               for n in names}
    inner = [n for n in names if n.startswith(('head: ', 'loss: '))]
    glue = max(0.0, medians['head.loss (all)'] -
               sum(medians[n] for n in inner))
    order = (['backbone forward (prompted visual)'] + inner +
             ['head: other (loss() glue, label gather)', 'head.loss (all)',
              'backward (all)', 'optimizer step + zero_grad', 'total step'])
    medians['head: other (loss() glue, label gather)'] = glue
    return {n: medians[n] for n in order}


def prompted_visual_fn(backbone, inputs, device, amp):
    """The prompted image tower alone: forward + backward to the visual
    prompts (timed in the same interleaved run as the floor)."""
    def step():
        with autocast_ctx(device, amp):
            patches, glob = backbone(inputs)
        (patches.float().sum() + glob.float().sum()).backward()
        backbone.prompts.grad = None
    return step


def text_costs(head, device, amp, warmup, repeats) -> dict:
    """The soft prompts through the text encoder alone: forward (no grad)
    and forward + backward to the context, to split the backward pass."""
    def text_fwd():
        with torch.no_grad(), autocast_ctx(device, amp):
            head.text_encoder(head.soft_prompt_embeddings(),
                              head.soft_token_ids)

    def text_fwd_bwd():
        with autocast_ctx(device, amp):
            out = head.text_encoder(head.soft_prompt_embeddings(),
                                    head.soft_token_ids)
        out.float().sum().backward()
        head.context.grad = None

    res = run_paired(dict(text_fwd=text_fwd, text_fwd_bwd=text_fwd_bwd),
                     warmup, repeats, device, count_flops=True)
    out = {k: v['median_s'] for k, v in res.items()}
    out.update({k + '_flops': v['flops'] for k, v in res.items()})
    return out


def text_side_sweep(cfg, clip_model, per_class: List[int], batch_size: int,
                    device, amp, warmup, repeats, generator) -> dict:
    """Head-only training step (soft-prompt encoding, logits, every loss,
    backward to the context) with constant image features, for heads built
    with ``descriptions=<file with n descriptions per class>``."""
    from mmpretrain.registry import MODELS
    out = dict(descriptions_per_class=[], num_hard_prompts=[],
               first_step_s=[], step_median_s=[], step_iqr_s=[])
    head_cfg = cfg.model.head
    if head_cfg.get('hard_prompt_variant', 3) != 3:
        out['note'] = 'hard_prompt_variant != 3: descriptions unused'
    heads, steps = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in per_class:
            path = osp.join(tmp, f'descriptions_{n}.json')
            write_descriptions(path, head_cfg.classnames, n)
            heads[n] = MODELS.build(dict(head_cfg, clip_model=clip_model,
                                         descriptions=path)).to(device)
    from mmpretrain.structures import DataSample
    head = next(iter(heads.values()))
    dim = head.text_encoder.output_dim
    grid = getattr(clip_model.visual, 'grid_size', (14, 14))
    patches = torch.randn(batch_size, grid[0] * grid[1], dim,
                          generator=generator).to(device)
    glob = torch.randn(batch_size, dim, generator=generator).to(device)
    labels = torch.randint(head.num_classes, (batch_size,),
                           generator=generator)
    samples = [DataSample().set_gt_label(int(y)).to(device) for y in labels]
    for n, head in heads.items():
        head.train()
        random_prototypes(head, generator)

        def step(head=head):
            with autocast_ctx(device, amp):
                losses = head.loss((patches, glob), samples)
            sum(losses.values()).backward()
            head.context.grad = None

        _sync(device)
        start = _now()
        step()  # builds the hard-prompt cache once
        _sync(device)
        out['descriptions_per_class'].append(n)
        out['num_hard_prompts'].append(len(getattr(head, 'hard_prompts', [])))
        out['first_step_s'].append(_now() - start)
        steps[n] = step
    # interleaved, so that background load hits every size alike
    stats = run_paired(steps, max(0, warmup - 1), repeats, device)
    for n in per_class:
        out['step_median_s'].append(stats[n]['median_s'])
        out['step_iqr_s'].append(stats[n]['iqr_s'])
    del heads, steps
    gc.collect()
    medians = out['step_median_s']
    out['max_over_min'] = max(medians) / min(medians)
    out['flat'] = out['max_over_min'] <= FLAT_TOLERANCE
    out['flat_tolerance'] = FLAT_TOLERANCE
    return out


# -- report --------------------------------------------------------------
def _ms(seconds: Optional[float]) -> str:
    return '-' if seconds is None else f'{seconds * 1e3:10.2f}'


def _mib(nbytes: Optional[int]) -> str:
    return '-' if nbytes is None else f'{nbytes / 2**20:9.1f}'


def print_report(r: dict) -> None:
    p = print
    p(f"\n== MPA-FER benchmark: {r['config']} arch={r['arch']} "
      f"(random weights) device={r['device']} ({r['device_name']}) "
      f"threads={r['threads']} batch={r['batch_size']} "
      f"res={r['image_size']} amp={r['amp']} warmup={r['warmup']} "
      f"repeats={r['repeats']} clock={r['clock']}")
    p(f"   load average at start: {r['loadavg_start']}, "
      f"at end: {r['loadavg_end']}")
    if r['contention_warning']:
        p(f"   WARNING: {r['contention_warning']}")
    other = 'cpu' if r['clock'] == 'wall' else 'wall'
    mem = r['memory']
    p(f"\n{'measurement (' + r['clock'] + ' clock)':46s} "
      f"{'median ms':>10s} {'IQR ms':>10s} {other + ' med ms':>12s} "
      f"{'peak MiB':>9s}")
    rows = [
        ('train step (MPA-FER, all losses + SGD)', r['train_step'],
         mem['train_step_bytes']),
        ('train floor (visual fwd + bwd to input)', r['train_floor'],
         mem['train_floor_bytes']),
        ('prompted visual alone fwd + bwd (prompts)',
         r.get('visual_prompted_fwd_bwd'), None),
        ('inference / image (model predict)', r['infer_per_image'],
         mem['infer_bytes']),
        ('inference / image (prompted backbone only)',
         r.get('infer_backbone_per_image'), None),
        ('inference floor / image (encode_image)',
         r['infer_floor_per_image'], mem['infer_floor_bytes']),
    ]
    for name, stats, peak in rows:
        if stats is None:
            continue
        p(f"{name:46s} {_ms(stats['median_s'])} {_ms(stats['iqr_s'])} "
          f"  {_ms(stats.get(other + '_median_s'))} {_mib(peak)}")
    p(f"   peak = {mem['kind']} of one call (batch {r['batch_size']})")
    p('\n== targets')
    for key, label in (('train', 'train step / floor'),
                       ('infer', 'inference / encode_image')):
        t = r['targets'][key]
        p(f"{label:26s} ratio {t['ratio']:.3f} (paired median "
          f"{t['ratio_paired_median']:.3f})  target <= {t['target']:.2f}  "
          f"{'MET' if t['met'] else 'NOT MET'}")
    f = r['flops']
    for key, label in (('train_ratio', 'FLOPs train step / floor'),
                       ('infer_ratio', 'FLOPs inference / encode_image'),
                       ('visual_prompted_ratio',
                        'FLOPs prompted visual / floor'),
                       ('text_fwd_bwd_over_floor',
                        'FLOPs text fwd+bwd / floor')):
        if f.get(key):
            p(f'{label:26s} ratio {f[key]:.3f}')
    for key, label in (('train_ratio', 'train peak memory / floor'),
                       ('infer_ratio', 'infer peak memory / floor')):
        if key in mem:
            p(f'{label:26s} ratio {mem[key]:.3f}')
    tr = r['trainable']
    p(f"\n== one-time hard-prompt encoding (cache build, at the first "
      f"training step): {r['hard_prompt_cache_build_s'] * 1e3:.1f} ms")
    p(f"== trainable: {tr['params']:,d} parameters, {tr['bytes']:,d} bytes"
      f" ({tr['bytes'] / 1e6:.3f} MB); prompts-only export "
      f"{tr['prompts_export_bytes']:,d} bytes (torch.save of the trainable "
      f'tensors only)')
    for name, shape in tr['tensors'].items():
        p(f'   {name:36s} {shape}')
    b = r['breakdown']
    p(f"\n== training-step breakdown (median of {b['steps']} timed step(s),"
      ' synchronised timers; indented rows are inside head.loss)')
    total = b['parts']['total step']
    for name, sec in b['parts'].items():
        indent = '    ' if name.startswith(('head: ', 'loss: ')) else ''
        p(f"{indent + name:52s} {_ms(sec)} ms {100 * sec / total:6.1f} %")
    if b['isolated']:
        p('   isolated (one side alone, median):')
        for name, val in b['isolated'].items():
            shown = (f'{val:10.3f}' if 'ratio' in name
                     else f'{_ms(val)} ms')
            p(f'   {name:49s} {shown}')
    s = r['text_side_vs_descriptions']
    if not s:
        return
    p('\n== text side per training step vs descriptions per class '
      '(head only, constant image features: soft-prompt encoding, logits, '
      'all losses, backward to the context)')
    p(f"{'desc/class':>10s} {'hard prompts':>12s} {'first step ms':>14s} "
      f"{'median ms':>10s} {'IQR ms':>10s}")
    for i, n in enumerate(s['descriptions_per_class']):
        p(f"{n:10d} {s['num_hard_prompts'][i]:12d} "
          f"{s['first_step_s'][i] * 1e3:14.2f} "
          f"{_ms(s['step_median_s'][i])} {_ms(s['step_iqr_s'][i])}")
    p(f"   slowest / fastest = {s['max_over_min']:.3f} -> "
      f"{'flat' if s['flat'] else 'NOT flat'} (tolerance "
      f"{s['flat_tolerance']}); the first step includes the one-time "
      'hard-prompt encoding')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Benchmark MPA-FER training / inference against the '
        'frozen CLIP image tower.')
    parser.add_argument('config')
    parser.add_argument('--device', choices=['cpu', 'cuda'], default=None,
                        help='default: cuda if available')
    parser.add_argument('--batch-size', type=int, default=8)
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--amp', action='store_true',
                        help='bf16 autocast (for the model and the floors)')
    parser.add_argument('--arch', default=None,
                        help='override model.clip.model_name (always built '
                        'with pretrained=None), e.g. mpafer-tiny-vit')
    parser.add_argument('--threads', type=int, default=None,
                        help='torch.set_num_threads')
    parser.add_argument('--descriptions-per-class', default='1,4,16',
                        help='comma-separated sizes of the text-side sweep '
                        '(empty: skip it)')
    parser.add_argument('--breakdown-steps', type=int, default=None,
                        help='timed steps of the breakdown (default: '
                        'max(2, repeats // 2))')
    parser.add_argument('--profile', action='store_true',
                        help='also print a torch.profiler op table of one '
                        'training step')
    parser.add_argument('--clock', choices=['wall', 'cpu'], default='wall',
                        help='primary clock: wall (perf_counter) or cpu '
                        '(process_time; with --threads 1 it is robust to '
                        'other processes on a shared CPU; CPU device only). '
                        'Both are recorded.')
    parser.add_argument('--no-isolated', action='store_true',
                        help='skip the isolated per-side fwd + bwd timings')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--json-out', default=None)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config keys, key=value')
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    from mmengine.config import Config
    from mmengine.optim import build_optim_wrapper

    import mpafer_plugin  # noqa: F401  registers every component

    if args.threads:
        torch.set_num_threads(args.threads)
    if args.device is None:
        args.device = 'cuda' if torch.cuda.is_available() else 'cpu'
    device = torch.device(args.device)
    if device.type == 'cuda' and args.clock == 'cpu':
        raise SystemExit('--clock cpu is for --device cpu only')
    _CLOCK['name'] = args.clock
    torch.manual_seed(args.seed)
    generator = torch.Generator().manual_seed(args.seed)
    loadavg_start = [round(x, 2) for x in os.getloadavg()]

    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    if args.arch:
        cfg.model.clip.model_name = args.arch
    cfg.model.clip.pretrained = None
    model, clip_model = build_model(cfg, device)
    visual = clip_model.visual
    image_size = visual.image_size
    image_size = (image_size if isinstance(image_size, int) else
                  image_size[0] if image_size[0] == image_size[1] else
                  list(image_size))
    random_prototypes(model.head, generator)
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    inputs, samples = make_batch(args.batch_size, image_size,
                                 model.head.num_classes, device, generator)
    memory = MemoryMeter(device)
    amp = args.amp

    # training step vs floor
    hard_prompt_cache_s = prime_head(model, samples, device, amp,
                                     training=True)
    fns = dict(train_step=train_step_fn(model, optim_wrapper, inputs, samples,
                                        device, amp),
               train_floor=floor_train_fn(visual, inputs, device, amp))
    if not args.no_isolated:
        fns['visual_prompted'] = prompted_visual_fn(model.backbone, inputs,
                                                    device, amp)
    train = run_paired(fns, args.warmup, args.repeats, device, memory,
                       count_flops=True)
    optim_wrapper.zero_grad()

    # training-step breakdown and isolated per-side costs
    steps = args.breakdown_steps or max(1, args.repeats // 2)
    parts = breakdown_train(model, optim_wrapper, inputs, samples, device,
                            amp, steps)
    optim_wrapper.zero_grad()
    isolated_named, text_flops = {}, {}
    if not args.no_isolated:
        text = text_costs(model.head, device, amp, 1, max(2, steps))
        text_flops = {k: v for k, v in text.items() if k.endswith('_flops')}
        vis = train['visual_prompted']['median_s']
        floor = train['train_floor']['median_s']
        isolated_named = {
            'text encoder fwd (C soft prompts, no grad)': text['text_fwd'],
            'text encoder fwd + bwd (grad to context)':
                text['text_fwd_bwd'],
            'text encoder backward alone (difference)':
                max(0.0, text['text_fwd_bwd'] - text['text_fwd']),
            'prompted visual fwd + bwd (grad to prompts)': vis,
            'floor: bare visual fwd + bwd (to input)': floor,
            'prompted visual / floor (paired run, ratio)': vis / floor,
            'text fwd + bwd / floor (ratio)': text['text_fwd_bwd'] / floor,
        }

    # inference
    prime_head(model, samples, device, amp, training=False)

    def predict():
        with torch.no_grad(), autocast_ctx(device, amp):
            model(inputs, mode='predict')

    def backbone_only():
        with torch.no_grad(), autocast_ctx(device, amp):
            model.extract_feat(inputs)

    def encode_image():
        with torch.no_grad(), autocast_ctx(device, amp):
            clip_model.encode_image(inputs)

    fns = dict(predict=predict, encode_image=encode_image)
    if not args.no_isolated:
        fns['backbone_only'] = backbone_only
    infer = run_paired(fns, args.warmup, args.repeats, device, memory,
                       count_flops=True)

    def per_image(stats):
        return {k: (v / args.batch_size if k.endswith('_s') else v)
                for k, v in stats.items() if k != 'samples_s'}

    # text side vs number of descriptions
    sizes = [int(n) for n in args.descriptions_per_class.split(',') if n]
    sweep = (text_side_sweep(cfg, clip_model, sizes, args.batch_size,
                             device, amp, args.warmup, args.repeats,
                             generator) if sizes else None)

    def ratios(a, b):
        paired = [x / y for x, y in zip(a['samples_s'], b['samples_s'])]
        return a['median_s'] / b['median_s'], statistics.median(paired)

    train_ratio, train_paired = ratios(train['train_step'],
                                       train['train_floor'])
    infer_ratio, infer_paired = ratios(infer['predict'],
                                       infer['encode_image'])
    mem = dict(kind=memory.kind, unit='bytes',
               note=('peak growth during one call (max over repeats); CPU: '
                     'VmHWM (reset via /proc/self/clear_refs) minus VmRSS '
                     'at the start, after malloc_trim'),
               train_step_bytes=train['train_step']['peak_bytes'],
               train_floor_bytes=train['train_floor']['peak_bytes'],
               infer_bytes=infer['predict']['peak_bytes'],
               infer_floor_bytes=infer['encode_image']['peak_bytes'])
    if mem['train_step_bytes'] and mem['train_floor_bytes']:
        mem['train_ratio'] = mem['train_step_bytes'] / mem['train_floor_bytes']
    if mem['infer_bytes'] and mem['infer_floor_bytes']:
        mem['infer_ratio'] = mem['infer_bytes'] / mem['infer_floor_bytes']
    result = dict(
        config=args.config, arch=cfg.model.clip.model_name,
        pretrained=None, device=str(device),
        device_name=(torch.cuda.get_device_name(device)
                     if device.type == 'cuda' else 'cpu'),
        threads=torch.get_num_threads(), batch_size=args.batch_size,
        image_size=image_size, amp=amp, warmup=args.warmup,
        repeats=args.repeats, torch_version=torch.__version__,
        num_classes=model.head.num_classes,
        plugin_path=osp.dirname(mpafer_plugin.__file__),
        loadavg_start=loadavg_start,
        loadavg_end=[round(x, 2) for x in os.getloadavg()],
        clock=args.clock,
        train_step={k: v for k, v in train['train_step'].items()
                    if k != 'peak_bytes'},
        train_floor={k: v for k, v in train['train_floor'].items()
                     if k != 'peak_bytes'},
        infer_per_image=per_image(infer['predict']),
        infer_floor_per_image=per_image(infer['encode_image']),
        targets=dict(
            train=dict(ratio=train_ratio, ratio_paired_median=train_paired,
                       target=TRAIN_TARGET, met=train_ratio <= TRAIN_TARGET),
            infer=dict(ratio=infer_ratio, ratio_paired_median=infer_paired,
                       target=INFER_TARGET, met=infer_ratio <= INFER_TARGET)),
        memory=mem,
        flops=flops_summary(train, infer, isolated_named, text_flops,
                            args.batch_size),
        trainable=trainable_summary(model),
        hard_prompt_cache_build_s=hard_prompt_cache_s,
        breakdown=dict(steps=steps, unit='s', parts=parts,
                       isolated=isolated_named),
        text_side_vs_descriptions=sweep,
    )
    cores = os.cpu_count() or 1
    busy = max(loadavg_start[0], result['loadavg_end'][0])
    result['contention_warning'] = None
    if device.type == 'cpu' and busy > cores - result['threads'] + 0.5:
        result['contention_warning'] = (
            f'load average {busy} on {cores} cores with '
            f"{result['threads']} torch threads: other processes compete "
            'for the CPU and multi-threaded ops stall on descheduled '
            'threads; absolute times are inflated (use --threads 1 or a '
            'quiet machine); the interleaved ratios are less affected')
    if not args.no_isolated:
        result['visual_prompted_fwd_bwd'] = {
            k: v for k, v in train['visual_prompted'].items()
            if k != 'peak_bytes'}
        result['infer_backbone_per_image'] = per_image(
            infer['backbone_only'])
    for key in ('infer_per_image', 'infer_floor_per_image',
                'infer_backbone_per_image'):
        if key in result:
            result[key].pop('peak_bytes', None)
    print_report(result)

    if args.profile:
        model.train()
        step = train_step_fn(model, optim_wrapper, inputs, samples, device,
                             amp)
        activities = [torch.profiler.ProfilerActivity.CPU]
        if device.type == 'cuda':
            activities.append(torch.profiler.ProfilerActivity.CUDA)
        with torch.profiler.profile(activities=activities) as prof:
            step()
            _sync(device)
        sort = ('self_cuda_time_total' if device.type == 'cuda'
                else 'self_cpu_time_total')
        print('\n== torch.profiler, one training step')
        print(prof.key_averages().table(sort_by=sort, row_limit=20))

    if args.json_out:
        with open(args.json_out, 'w') as f:
            json.dump(result, f, indent=2)
    sys.stdout.flush()
    print(json.dumps(result))
    return result


if __name__ == '__main__':
    main()

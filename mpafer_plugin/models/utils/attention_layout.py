"""The memory layout open_clip's frozen transformer blocks run in.

open_clip builds its blocks with ``nn.MultiheadAttention(batch_first=True)``
and feeds them ``(B, L, W)`` tensors. Outside PyTorch's fused inference
path (i.e. whenever autograd records, as in prompt training),
``nn.MultiheadAttention`` turns a batch-first input into a *non-contiguous*
sequence-first view ``(L, B, W)``; its input and output projections then
run as ``bmm`` against an expanded weight instead of one GEMM, about 40 %
slower over a ViT-B/16 forward and backward on CPU. The same blocks fed a
*contiguous* ``(L, B, W)`` tensor with ``batch_first=False`` (the layout
open_clip itself uses for ``Transformer(batch_first=False)``) compute the
same function, equal to float rounding.

Two layouts, so:

* ``'batch_first'``: ``(B, L, W)``, open_clip as built;
* ``'sequence_first'``: ``(L, B, W)`` contiguous, every block's
  ``attn.batch_first`` set to False for the call
  (:func:`transformer_layout`); the weights are the very same tensors,
  untouched.

:func:`choose_layout` picks one per call site:

* ``mode='auto'`` (the default): a fixed rule, so that a result is a
  function of config, seed, data and machine type only: ``'sequence_first'``
  wherever the blocks support it (every block's attention an
  ``nn.MultiheadAttention``), ``'batch_first'`` otherwise or for a
  transformer with open_clip's ``grad_checkpointing`` on (its backward
  recomputes the blocks after the layout context has exited). The rule is
  what the timing (``'timed'``, below) picked on the CPU machine the
  figures come from, for every shape class it met: the ViT-B/16 training
  step (prompted image tower with backward, 0.48 s against 0.79 s for the
  first block), its inference (a tie within 3 %: the batch-first fused
  kernel buys nothing there), the text tower with and without backward
  (docs/results/benchmark_cpu.json), and the quick start's tiny CLIP, where
  the margins are a few percent and the timing flipped between identical
  runs (one in three picked batch-first for the soft prompts' text pass),
  changing the rounding and, after ten epochs, the accuracy.
* ``mode='timed'`` (opt-in): times both layouts on the first block as the
  caller runs it (with its prompts, for the prompted image tower), once per
  *shape class* (device, dtypes, autocast, threads, whether a backward
  follows, tokens, width, heads, mask, prompt tokens, batch rounded up to a
  power of two), and caches the answer for the process. The other layout
  displaces the preferred one (``'sequence_first'``) only when it is more
  than :data:`MARGIN` faster. Nothing is measured (the preferred layout is
  used) under ``torch.use_deterministic_algorithms(True)``, while tracing
  or compiling, inside a ``TorchDispatchMode`` (FLOP counters) or if the
  measurement fails. Its choices depend on the machine's load: a run that
  uses it is reproducible only given the layouts it recorded.
* ``mode='batch_first'`` or ``'sequence_first'`` forces a layout.

Whatever the mode, every layout used is recorded on the calling module
once per shape class (:func:`used_layouts`), logged when first used
there, and written into training checkpoints'
``meta['mpafer']['attention_layout']`` (:func:`layout_record`), so a run
says which layout its numbers came from.
"""
import contextlib
import math
import time
from typing import Dict, Iterator, List, NamedTuple, Optional

import torch
import torch.nn as nn
from mmengine.logging import print_log
from torch.utils._python_dispatch import _get_current_dispatch_mode

from ...compat import prompted_block

BATCH_FIRST = 'batch_first'
SEQUENCE_FIRST = 'sequence_first'
LAYOUTS = (BATCH_FIRST, SEQUENCE_FIRST)
AUTO = 'auto'  # the rule
TIMED = 'timed'  # measured in the process (opt-in)
MODES = (AUTO, TIMED) + LAYOUTS
PREFERRED = SEQUENCE_FIRST
MARGIN = 0.05  # the other layout must be > 5 % faster to be chosen
ROUNDS = 3  # interleaved timing rounds per layout; the first warms up


class ShapeClass(NamedTuple):
    """What a layout choice is cached under."""
    device: str
    dtype: str
    autocast: Optional[str]
    threads: int
    backward: bool
    batch_bucket: int  # batch size rounded up to a power of two
    tokens: int
    width: int
    heads: int
    masked: bool
    prompts: int  # prompt tokens taken as keys and values (prompted_block)


class LayoutChoice(NamedTuple):
    """A choice: the layout, how it was made (``'rule'``, ``'timed'``,
    ``'forced'``, or ``'fallback'`` where ``'timed'`` could not measure)
    and, when timed, the per-layout seconds it was made on (the best timed
    round of the first block)."""
    layout: str
    seconds: Optional[Dict[str, float]] = None
    by: str = 'timed'


_CACHE: Dict[ShapeClass, LayoutChoice] = {}  # mode 'timed' measurements
RECORD_ATTR = '_attention_layouts_used'  # on each owner module


def check_mode(mode: str, owner: str) -> str:
    """``mode`` if it is one of :data:`MODES`, else a ValueError naming
    ``owner``."""
    if mode not in MODES:
        raise ValueError(f'{owner}: attention_layout={mode!r} is not one of '
                         f'{MODES}.')
    return mode


def supports_sequence_first(transformer: nn.Module) -> bool:
    """Whether every block attends through ``nn.MultiheadAttention`` (whose
    ``batch_first`` flag can be switched); open_clip's custom blocks are
    batch-first only."""
    return all(
        isinstance(getattr(block, 'attn', None), nn.MultiheadAttention)
        for block in transformer.resblocks)


@contextlib.contextmanager
def _attributes_set(objects, name: str, value) -> Iterator:
    """Within the context, attribute ``name`` of each of ``objects`` is
    ``value``; each object's own value is restored on exit, also on
    error."""
    saved = [getattr(obj, name) for obj in objects]
    try:
        for obj in objects:
            setattr(obj, name, value)
        yield
    finally:
        for obj, old in zip(objects, saved):
            setattr(obj, name, old)


@contextlib.contextmanager
def transformer_layout(transformer: nn.Module, layout: str) -> Iterator:
    """Within the context, ``transformer`` (an open_clip ``Transformer``)
    and each of its blocks' attention take ``layout`` inputs: exactly the
    state open_clip builds for ``Transformer(batch_first=...)``. The flags
    are restored on exit, also on error; no weight is touched. The flags
    are module state: threads that run the same modules at once must use
    one layout (``attention_layout`` forced alike)."""
    if layout not in LAYOUTS:
        raise ValueError(f'layout={layout!r} is not one of {LAYOUTS}.')
    batch_first = layout == BATCH_FIRST
    if not batch_first and not supports_sequence_first(transformer):
        raise TypeError(f'{type(transformer).__name__} has blocks without '
                        'nn.MultiheadAttention: batch-first only.')
    modules = [transformer] + [
        block.attn for block in transformer.resblocks
        if isinstance(getattr(block, 'attn', None), nn.MultiheadAttention)
    ]
    with _attributes_set(modules, 'batch_first', batch_first):
        yield


def to_layout(x: torch.Tensor, layout: str) -> torch.Tensor:
    """``(B, L, W)`` → the tensor the blocks take in ``layout``
    (``(L, B, W)`` contiguous for ``'sequence_first'``)."""
    return x if layout == BATCH_FIRST else x.transpose(0, 1).contiguous()


def from_layout(x: torch.Tensor, layout: str) -> torch.Tensor:
    """The blocks' ``layout`` output → ``(B, L, W)`` (a view)."""
    return x if layout == BATCH_FIRST else x.transpose(0, 1)


def sequence_dim(layout: str) -> int:
    """The tokens' dimension in ``layout``."""
    return 1 if layout == BATCH_FIRST else 0


def shape_class(transformer: nn.Module,
                x: torch.Tensor,
                attn_mask: Optional[torch.Tensor],
                backward: bool,
                prompts: Optional[torch.Tensor] = None) -> ShapeClass:
    """The cache key of a call on ``(B, L, W)`` input ``x`` (with
    ``(N_p, W)`` ``prompts`` joined in each block, if given)."""
    device = x.device.type
    autocast = (
        str(torch.get_autocast_dtype(device))
        if torch.is_autocast_enabled(device) else None)
    batch, tokens, width = x.shape
    return ShapeClass(
        device=str(x.device),
        dtype=str(x.dtype),
        autocast=autocast,
        threads=torch.get_num_threads(),
        backward=backward,
        batch_bucket=2**math.ceil(math.log2(max(batch, 1))),
        tokens=tokens,
        width=width,
        heads=getattr(
            getattr(transformer.resblocks[0], 'attn', None), 'num_heads', 0),
        masked=attn_mask is not None,
        prompts=0 if prompts is None else prompts.shape[0])


def _measurable() -> bool:
    return not (torch.are_deterministic_algorithms_enabled()
                or torch.jit.is_tracing() or torch.jit.is_scripting()
                or torch.compiler.is_compiling()
                or _get_current_dispatch_mode() is not None)


def _time_block(block: nn.Module, x: torch.Tensor,
                attn_mask: Optional[torch.Tensor], backward: bool,
                prompts: Optional[torch.Tensor], layout: str) -> float:
    """Seconds of one call of ``block`` on ``x`` in ``layout`` (with
    ``prompts`` through :func:`prompted_block` if given; forward, and
    backward to the inputs when ``backward``): process CPU time on CPU (not
    inflated by other processes), synchronised wall time on an
    accelerator."""
    cpu = x.device.type == 'cpu'
    clock = time.process_time if cpu else time.perf_counter
    sync = (
        torch.cuda.synchronize if x.device.type == 'cuda' else (lambda: None))
    inputs = [x.detach().requires_grad_(backward)]
    if prompts is not None:
        inputs.append(prompts.detach().requires_grad_(backward))
    sync()
    start = clock()
    with torch.set_grad_enabled(backward):
        out = (
            block(inputs[0], attn_mask=attn_mask) if prompts is None else
            prompted_block(block, *inputs, sequence_dim(layout)))
        if backward:
            torch.autograd.grad(out.float().sum(), inputs)
    sync()
    return clock() - start


def measure(transformer: nn.Module,
            x: torch.Tensor,
            attn_mask: Optional[torch.Tensor] = None,
            backward: bool = False,
            prompts: Optional[torch.Tensor] = None) -> Dict[str, float]:
    """Best of ``ROUNDS - 1`` interleaved timed calls (after one warm-up
    round) of the first block on ``(B, L, W)`` input ``x`` (joined by
    ``(N_p, W)`` ``prompts`` as the prompted tower does, if given) in each
    layout, seconds per layout. Gradients go to detached copies only."""
    block = transformer.resblocks[0]
    inputs = {layout: to_layout(x.detach(), layout) for layout in LAYOUTS}
    times = {layout: [] for layout in LAYOUTS}
    for _ in range(ROUNDS):
        for layout in LAYOUTS:
            with transformer_layout(transformer, layout):
                times[layout].append(
                    _time_block(block, inputs[layout], attn_mask, backward,
                                prompts, layout))
    return {layout: min(t[1:]) for layout, t in times.items()}


def pick(seconds: Dict[str, float], margin: float = MARGIN) -> str:
    """:data:`PREFERRED` unless another layout is faster by more than
    ``margin`` (relative)."""
    best = min(seconds, key=seconds.get)
    return (best if seconds[best] < (1 - margin) *
            seconds[PREFERRED] else PREFERRED)


def rule_layout(transformer: nn.Module) -> str:
    """The layout ``mode='auto'`` runs ``transformer`` in (see the module
    docstring): ``'sequence_first'`` where every block supports it and
    ``grad_checkpointing`` is off, else ``'batch_first'``. A function of
    the model alone: no timing, no process state."""
    if (getattr(transformer, 'grad_checkpointing', False)
            or not supports_sequence_first(transformer)):
        return BATCH_FIRST
    return SEQUENCE_FIRST


def _timed_choice(transformer: nn.Module, key: ShapeClass, x: torch.Tensor,
                  attn_mask: Optional[torch.Tensor], backward: bool,
                  prompts: Optional[torch.Tensor]) -> LayoutChoice:
    """Mode ``'timed'``: the cached or newly measured choice of ``key``."""
    if not _measurable():
        return LayoutChoice(PREFERRED, by='fallback')
    if key not in _CACHE:
        try:
            seconds = measure(
                transformer,
                x,
                attn_mask=attn_mask,
                backward=backward,
                prompts=prompts)
        except RuntimeError:
            return LayoutChoice(PREFERRED, by='fallback')
        _CACHE[key] = LayoutChoice(pick(seconds), seconds, 'timed')
    return _CACHE[key]


def choose_layout(transformer: nn.Module,
                  x: torch.Tensor,
                  mode: str = AUTO,
                  attn_mask: Optional[torch.Tensor] = None,
                  backward: bool = False,
                  prompts: Optional[torch.Tensor] = None,
                  owner: Optional[nn.Module] = None) -> str:
    """The layout to run ``transformer``'s blocks in for ``(B, L, W)``
    input ``x`` (``backward``: a backward pass will follow; ``prompts``:
    the ``(N_p, W)`` prompts the first block takes, as the prompted tower
    runs it, so that what is timed is what runs): ``mode`` when it names a
    layout; ``'batch_first'`` for a transformer with ``grad_checkpointing``
    on (whose backward recomputes the blocks outside the layout context)
    or blocks that support nothing else; else :func:`rule_layout`
    (``'auto'``) or the measured choice of the shape class (``'timed'``;
    see the module docstring). The choice is recorded on ``owner`` (the
    calling module, if given) per shape class, and logged the first time
    it is made there.
    """
    if getattr(transformer, 'grad_checkpointing', False):
        # backward recomputes the blocks after the layout context has
        # exited: only the layout they were built with is safe
        if mode == SEQUENCE_FIRST:
            raise ValueError(
                "attention_layout='sequence_first' cannot run a transformer "
                'with grad_checkpointing on (its backward recomputes the '
                "blocks in open_clip's batch-first layout); use 'auto' or "
                "'batch_first'.")
    key = shape_class(transformer, x, attn_mask, backward, prompts)
    if mode in LAYOUTS:
        choice = LayoutChoice(mode, by='forced')
    elif mode == AUTO or rule_layout(transformer) == BATCH_FIRST:
        choice = LayoutChoice(rule_layout(transformer), by='rule')
    else:
        choice = _timed_choice(transformer, key, x, attn_mask, backward,
                               prompts)
    if owner is not None:
        _record(owner, key, choice)
    return choice.layout


def _record(owner: nn.Module, key: ShapeClass, choice: LayoutChoice) -> None:
    """Keep ``choice`` for ``key`` on ``owner``; log it when it is new
    there (a choice that alternates with another, e.g. forced in turn, is
    logged once each)."""
    used = owner.__dict__.setdefault(RECORD_ATTR, {})
    if (key, choice.layout, choice.by) in used:
        return
    used[(key, choice.layout, choice.by)] = choice
    how = choice.by
    if choice.seconds:
        how += ': ' + ', '.join(f'{name} {seconds * 1e3:.2f} ms'
                                for name, seconds in choice.seconds.items())
    pass_ = 'forward + backward' if key.backward else 'forward'
    prompts = f' + {key.prompts} prompts' if key.prompts else ''
    print_log(
        f'attention layout of {type(owner).__name__} ({pass_}, batch <= '
        f'{key.batch_bucket}, {key.tokens} tokens{prompts}, width '
        f'{key.width}, {key.device} {key.dtype}): {choice.layout} ({how})',
        logger='current')


def cached_choices() -> Dict[ShapeClass, LayoutChoice]:
    """A copy of the process-wide cache of mode ``'timed'``: what was
    chosen, and on which timings."""
    return dict(_CACHE)


def used_layouts(model: nn.Module) -> List[dict]:
    """Every layout the blocks of ``model``'s submodules ran in, one dict
    per module and shape class: ``site`` (the module's name in ``model``),
    the shape class's fields, ``layout``, ``by`` and, when timed,
    ``first_block_s``."""
    return [
        dict(
            site=name,
            **key._asdict(),
            layout=choice.layout,
            by=choice.by,
            **({} if choice.seconds is None else dict(
                first_block_s=choice.seconds)))
        for name, module in model.named_modules()
        for (key, _,
             _), choice in module.__dict__.get(RECORD_ATTR, {}).items()
    ]


def layout_record(model: nn.Module) -> dict:
    """What a checkpoint records: each submodule's ``attention_layout``
    mode (``modes``, by module name) and :func:`used_layouts`."""
    return dict(
        modes={
            name: module.attention_layout
            for name, module in model.named_modules()
            if hasattr(module, 'attention_layout')
        },
        used=used_layouts(model))


def clear_cache() -> None:
    """Forget every timed choice (the next calls measure again)."""
    _CACHE.clear()


@contextlib.contextmanager
def forced_layout(model: nn.Module, mode: str) -> Iterator:
    """Within the context, every submodule of ``model`` with an
    ``attention_layout`` attribute (:class:`PromptedCLIPViT`,
    :class:`CLIPTextEncoder`) runs in ``mode``; restored on exit. E.g.
    ``forced_layout(model, 'batch_first')`` is the layout before this
    choice existed."""
    check_mode(mode, 'forced_layout')
    owners = [m for m in model.modules() if hasattr(m, 'attention_layout')]
    with _attributes_set(owners, 'attention_layout', mode):
        yield

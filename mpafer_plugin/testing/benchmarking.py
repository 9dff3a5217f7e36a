"""Measuring primitives for ``tools/analysis_tools/benchmark.py``:
interleaved timing with warm-up, peak-memory growth, FLOP counts and the
ratios built from them."""
import contextlib
import ctypes
import gc
import re
import statistics
import time
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import torch

# 'wall': elapsed time; 'cpu': CPU seconds of this process, which other
# processes on a shared machine do not inflate (with one torch thread).
CLOCKS = {'wall': time.perf_counter, 'cpu': time.process_time}


def summarise(samples: Sequence[float]) -> dict:
    """``median_s``, ``iqr_s`` (q75 - q25), ``min_s`` and the ``samples_s``
    of a list of durations in seconds."""
    ordered = sorted(samples)
    q1, q3 = ((ordered[0], ordered[0]) if len(ordered) < 2 else
              statistics.quantiles(ordered, n=4, method='inclusive')[::2])
    return dict(
        median_s=statistics.median(ordered),
        iqr_s=q3 - q1,
        min_s=ordered[0],
        samples_s=list(samples))


def ratio(a: dict, b: dict) -> Tuple[float, float]:
    """``a`` over ``b`` (two :func:`summarise` results timed in the same
    interleaved run): the ratio of the medians, and the median of the
    per-repeat ratios (each pair ran back to back, under the same load)."""
    paired = [x / y for x, y in zip(a['samples_s'], b['samples_s'])]
    return a['median_s'] / b['median_s'], statistics.median(paired)


def flatness(values: Sequence[float], tolerance: float) -> Tuple[float, bool]:
    """``max / min`` of positive ``values``, and whether it is at most
    ``tolerance`` (the values do not grow with what was varied)."""
    spread = max(values) / min(values)
    return spread, spread <= tolerance


def _proc_status_bytes(key: str) -> Optional[int]:
    try:
        with open('/proc/self/status') as f:
            found = re.search(rf'^{key}:\s+(\d+) kB', f.read(), re.M)
    except OSError:
        return None
    return int(found.group(1)) * 1024 if found else None


class MemoryMeter:
    """Peak memory growth of a region, in bytes.

    CUDA: ``max_memory_allocated`` minus ``memory_allocated`` at
    :meth:`start`. CPU (Linux): the resident-set high-water mark ``VmHWM``,
    reset at :meth:`start` through ``/proc/self/clear_refs``, minus
    ``VmRSS`` at :meth:`start` (after ``malloc_trim``); allocator slack is
    included. :meth:`stop` returns None where this cannot be read.
    """

    def __init__(self, device: torch.device):
        self.device = torch.device(device)
        self.cuda = self.device.type == 'cuda'
        self.kind = ('cuda_max_memory_allocated_growth'
                     if self.cuda else 'cpu_rss_high_water_mark_growth')
        self._libc = None
        if not self.cuda:
            with contextlib.suppress(OSError):
                self._libc = ctypes.CDLL('libc.so.6')
        self._base = None

    def start(self) -> None:
        gc.collect()
        if self.cuda:
            torch.cuda.synchronize(self.device)
            torch.cuda.reset_peak_memory_stats(self.device)
            self._base = torch.cuda.memory_allocated(self.device)
            return
        if self._libc is not None:
            self._libc.malloc_trim(0)
        try:
            with open('/proc/self/clear_refs', 'w') as f:
                f.write('5')  # resets VmHWM to the current VmRSS
        except OSError:
            self._base = None
            return
        self._base = _proc_status_bytes('VmRSS')

    def stop(self) -> Optional[int]:
        if self.cuda:
            torch.cuda.synchronize(self.device)
            return torch.cuda.max_memory_allocated(self.device) - self._base
        peak = _proc_status_bytes('VmHWM')
        if self._base is None or peak is None:
            return None
        return max(0, peak - self._base)


def count_flops(fn: Callable[[], object]) -> int:
    """FLOPs of one call of ``fn`` (matmuls, convolutions, attention,
    forward and backward) by ``torch.utils.flop_counter``, with the CPU
    flash-attention kernels counted and nn.MultiheadAttention's fused
    inference path off (the counter does not see inside it)."""
    from torch.utils import flop_counter as fc
    aten = torch.ops.aten
    mapping = {}
    for name, formula in (
        ('_scaled_dot_product_flash_attention_for_cpu',
         lambda q, k, v, *a, **kw: fc.sdpa_flop_count(q, k, v)),
        ('_scaled_dot_product_flash_attention_for_cpu_backward',
         lambda g, q, k, v, *a, **kw: fc.sdpa_backward_flop_count(g, q, k, v)
         )):
        if hasattr(aten, name):
            mapping[getattr(aten, name)] = formula
    fastpath = torch.backends.mha.get_fastpath_enabled()
    torch.backends.mha.set_fastpath_enabled(False)
    try:
        with fc.FlopCounterMode(
                display=False, custom_mapping=mapping) as counter:
            fn()
    finally:
        torch.backends.mha.set_fastpath_enabled(fastpath)
    return counter.get_total_flops()


def time_interleaved(fns: Dict[str, Callable[[], object]],
                     warmup: int,
                     repeats: int,
                     clock: str = 'wall',
                     sync: Callable[[], None] = lambda: None,
                     memory: Optional[MemoryMeter] = None,
                     flops: bool = False) -> Dict[str, dict]:
    """Time each function ``repeats`` times after ``warmup`` calls, in
    turn (A B C A B C ...), so that drift and background load hit all of
    them alike. ``sync`` (e.g. ``torch.cuda.synchronize``) runs around
    every timed call.

    Returns, per name, :func:`summarise` of the durations on ``clock``,
    plus ``flops`` (counted on one untimed call after warm-up; None unless
    ``flops``) and ``peak_bytes`` (growth during one untimed call after
    the timed ones, measured by ``memory``; None without it). Memory is
    read apart from timing: releasing memory to the system before a timed
    call would bill its page faults to that call.
    """
    now = CLOCKS[clock]
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    result = {
        name: dict(flops=count_flops(fn) if flops else None)
        for name, fn in fns.items()
    }
    times: Dict[str, List[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            sync()
            start = now()
            fn()
            sync()
            times[name].append(now() - start)
    for name, fn in fns.items():
        peak = None
        if memory is not None:
            memory.start()
            fn()
            peak = memory.stop()
        result[name].update(summarise(times[name]), peak_bytes=peak)
    return result


def profile_top_ops(fn: Callable[[], object], top: int,
                    device: torch.device) -> List[dict]:
    """The ``top`` operators of one call of ``fn`` (after one warm-up
    call) under ``torch.profiler``, by self time on the device (CPU time
    on CPU, kernel time on CUDA): per operator ``name``, ``calls``,
    ``self_s`` and ``total_s`` (including children)."""
    from torch.profiler import ProfilerActivity, profile
    cuda = torch.device(device).type == 'cuda'
    fn()
    activities = [ProfilerActivity.CPU
                  ] + ([ProfilerActivity.CUDA] if cuda else [])
    with profile(activities=activities) as prof:
        fn()
        if cuda:
            torch.cuda.synchronize(device)
    self_key, total_key = (('self_device_time_total',
                            'device_time_total') if cuda else
                           ('self_cpu_time_total', 'cpu_time_total'))
    events = sorted(prof.key_averages(), key=lambda e: -getattr(e, self_key))
    return [
        dict(
            name=e.key,
            calls=e.count,
            self_s=getattr(e, self_key) / 1e6,
            total_s=getattr(e, total_key) / 1e6) for e in events[:top]
    ]

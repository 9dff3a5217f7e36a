"""Block ``results:benchmark_cpu_precision``: the CPU benchmark in fp32 and
in bf16 side by side (docs/results/benchmark_cpu_fp32.json and
docs/results/benchmark_cpu_bf16.json, the ``--json-out`` of
tools/analysis_tools/benchmark.py run without and with ``--amp
--cfg-options model.clip.precision=bf16``)."""

SOURCES = ('benchmark_cpu_fp32', 'benchmark_cpu_bf16')
ROWS = (
    ('train', 'train_step', 'training step (forward, every loss, backward, '
     'SGD step), batch', 1),
    ('train', 'floor', 'floor: image tower fwd + bwd to the input', 1),
    ('train', 'visual_side', 'prompted image tower alone', 1),
    ('train', 'text_side', 'soft prompts through the text tower, fwd + bwd',
     1),
    ('infer', 'predict', "inference per image, `model(x, mode='predict')`",
     None),
    ('infer', 'floor', 'floor: `encode_image` per image', None),
)
TARGETS = (('train', 'training step / its floor'),
           ('infer', 'inference per image / its floor'))


def _stats(r, part, name):
    floor = r['attention_layout']['true_floor'][part]
    return r[part][floor if name == 'floor' else name], r[part][floor]


def _setting(r):
    return ('bf16 autocast, CLIP stored in '
            f"{r['precision']}"
            if r['amp'] else f"fp32, CLIP {r['precision']}")


def render(results):
    fp32, bf16 = (results[name] for name in SOURCES)
    lines = []
    for r in (fp32, bf16):
        load = r['loadavg']
        lines.append(
            f"- {_setting(r)}: `{r['command']}` on {r['date']} (commit "
            f"`{r['commit']}`; 1-minute load average {load['start'][0]} at "
            f"the start, {load['end'][0]} at the end)")
    r = fp32
    lines += [
        '',
        f"{r['arch']}, random weights, {r['image_size'][0]} px, batch "
        f"{r['batch_size']}, {r['device']}, {r['threads']} torch thread, "
        f"{'process CPU time' if r['clock'] == 'cpu' else 'wall time'}, "
        f"warm-up {r['warmup']}, {r['repeats']} interleaved repeats; floors "
        'in the same precision and storage, sequence-first (batch-first not '
        'timed: `--skip-batch-first`):',
        '',
        '| measured | fp32 ms | / floor | bf16 ms | / floor | bf16 / fp32 |',
        '|---|---|---|---|---|---|',
    ]
    for part, name, label, per in ROWS:
        cells = []
        for r in (fp32, bf16):
            stats, base = _stats(r, part, name)
            n = per or r['batch_size']
            cells += [
                stats['median_s'] * 1e3 / n,
                stats['median_s'] / base['median_s']
            ]
        digits = 0 if per else 1
        lines.append(f'| {label} | {cells[0]:.{digits}f} | {cells[1]:.3f} | '
                     f'{cells[2]:.{digits}f} | {cells[3]:.3f} | '
                     f'{cells[2] / cells[0]:.3f} |')
    lines += ['', '| target | fp32 | bf16 |', '|---|---|---|']
    for key, label in TARGETS:
        cells = []
        for r in (fp32, bf16):
            t = r['targets'][key]
            cells.append(f"**{t['ratio']:.3f}** (paired "
                         f"{t['ratio_paired_median']:.3f}; goal ≤ "
                         f"{t['target']:.2f}, "
                         f"{'met' if t['met'] else '**not met**'})")
        lines.append(f'| {label} | {cells[0]} | {cells[1]} |')
    return '\n'.join(lines)

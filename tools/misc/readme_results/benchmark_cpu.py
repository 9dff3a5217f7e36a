"""Block ``results:benchmark_cpu``: the CPU benchmark's table and targets
(docs/results/benchmark_cpu.json, the ``--json-out`` of
tools/analysis_tools/benchmark.py)."""

TRAIN_ROWS = (
    ('train_step', 'training step: forward, every loss, backward, SGD step '
     '(chosen layout)'),
    ('train_step_batch_first', 'same, forced batch-first (open_clip as '
     'built: before)'),
    ('floor_batch_first', 'floor: image tower fwd + bwd to the input, '
     'batch-first'),
    ('floor_sequence_first', 'floor: image tower fwd + bwd to the input, '
     'sequence-first'),
    ('visual_side', 'prompted image tower alone (backward to the prompts)'),
    ('text_side', 'soft prompts through the text tower alone, forward + '
     'backward'),
)
INFER_ROWS = (
    ('predict', "inference per image, `model(x, mode='predict')` (chosen "
     'layout)'),
    ('predict_batch_first', 'same, forced batch-first (before)'),
    ('encode_image_batch_first', 'floor: `encode_image` per image, '
     'batch-first'),
    ('encode_image_sequence_first', 'floor: `encode_image` per image, '
     'sequence-first'),
)
MEMORY = dict(
    cpu_rss_high_water_mark_growth="growth of the process's resident-set "
    'high-water mark (allocator slack included, so single readings move '
    'by tens of MiB)',
    cuda_max_memory_allocated_growth='growth of CUDA max_memory_allocated')
TARGETS = (('train', 'training step / true floor'), ('speedup',
                                                     'training step / before'),
           ('infer', 'inference per image / true floor'),
           ('memory', 'peak memory of a training step / true floor'))


def _rows(fns, rows, floor, per, digits):
    out = []
    for name, label in rows:
        stats, base = fns[name], fns[floor]
        flops = (f"{stats['flops'] / base['flops']:.3f}"
                 if stats['flops'] and base['flops'] else '-')
        peak = ('-' if stats['peak_bytes'] is None else
                f"{stats['peak_bytes'] / 2**20:.0f}")
        if name == floor:
            label += ' (**true floor**)'
        out.append(f"| {label} | {stats['median_s'] * 1e3 / per:.{digits}f} "
                   f"| {stats['median_s'] / base['median_s']:.3f} | {flops} "
                   f'| {peak} |')
    return out


def _target(key, label, r):
    t = r['targets'][key]
    paired = ('' if 'ratio_paired_median' not in t else
              f", paired {t['ratio_paired_median']:.3f}")
    return (f"| {label} | **{t['ratio']:.3f}**{paired} | ≤ {t['target']:.2f} "
            f"| {'met' if t['met'] else '**not met**'} |")


def _how(r):
    timed = any('first_block_s' in c for c in r['attention_layout']['choices'])
    return ('first block timed once per shape class'
            if timed else "attention_layout='auto': a fixed rule")


def _layouts(r):
    parts = []
    for c in r['attention_layout']['choices']:
        if c['masked']:  # the text tower's (causal) classes: in the JSON
            continue
        times = ' vs '.join(f'{k} {v * 1e3:.1f} ms'
                            for k, v in c.get('first_block_s', {}).items())
        parts.append(f"{'training' if c['backward'] else 'inference'}: "
                     f"{c['layout']} ({times or c['by']})")
    return '; '.join(parts)


def render(r):
    load = r['loadavg']
    floors = r['attention_layout']['true_floor']
    lines = [
        f"`{r['command']}` on {r['date']} (commit `{r['commit']}`; "
        f"{r['arch']}, random weights, {r['image_size'][0]} px, batch "
        f"{r['batch_size']}, {r['device']}, {r['threads']} torch thread, "
        f"{'process CPU time' if r['clock'] == 'cpu' else 'wall time'}, "
        f"warm-up {r['warmup']}, {r['repeats']} interleaved repeats; "
        f"{r['machine']['cpus']}-core machine, 1-minute load average "
        f"{load['start'][0]} at the start, {load['end'][0]} at the end):",
        '',
        '| measured | median ms | / true floor | FLOPs / floor | peak MiB |',
        '|---|---|---|---|---|',
    ]
    lines += _rows(r['train'], TRAIN_ROWS, floors['train'], 1, 0)
    lines += _rows(r['infer'], INFER_ROWS, floors['infer'], r['batch_size'], 1)
    lines += [
        '',
        '| target | measured | goal | |',
        '|---|---|---|---|',
    ]
    lines += [_target(key, label, r) for key, label in TARGETS]
    t = r['trainable']
    lines += [
        '',
        f"Peak: {MEMORY[r['memory']['kind']]}, one call of the "
        f"batch (inference {r['memory']['infer']:.3f} × its floor). "
        f'Image-tower layouts chosen ({_how(r)}): {_layouts(r)}. '
        f'Trainable: {t["params"]:,d} parameters, '
        f"{t['bytes']:,d} bytes; prompts-only export "
        f"{t['prompts_export_bytes']:,d} bytes.",
    ]
    sweep = r.get('text_sweep')
    if sweep:
        steps = ' / '.join(f'{s * 1e3:.1f}' for s in sweep['step_median_s'])
        first = ' / '.join(f'{s * 1e3:.0f}' for s in sweep['first_step_s'])
        prompts = ', '.join(map(str, sweep['hard_prompts']))
        lines.append(
            f'Head training step with {prompts} hard prompts: {steps} ms '
            f"(slowest / fastest {sweep['max_over_min']:.3f}, "
            f"{'flat' if sweep['flat'] else 'not flat'}); only the first "
            f'step, which encodes the hard prompts once, grows ({first} ms).')
    return '\n'.join(lines)

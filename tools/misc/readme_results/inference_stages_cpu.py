"""Block ``results:inference_stages_cpu``: per-stage inference time on
photos (docs/results/inference_stages_cpu.json, the ``--json-out`` of
tools/analysis_tools/benchmark_stages.py)."""

STAGES = ('decode', 'detection', 'alignment', 'classification')


def _options(detector):
    options = {k: v for k, v in detector.items() if k != 'type'}
    return ', '.join(f'`{k}={v}`' for k, v in options.items()) or 'as built'


def render(r):
    lines = [
        f"`{r['command']}` (commit {r['commit']}, {r['date']}, "
        f"{r['machine']['cpus']} CPUs, {r['threads']} torch threads, torch "
        f"{r['torch_version']}, load average {r['loadavg']['start'][0]} -> "
        f"{r['loadavg']['end'][0]}): `{r['config']}` ({r['arch']}, random "
        f"weights), photos {', '.join(r['photos'])} "
        f"({', '.join('x'.join(map(str, s)) for s in r['photo_shapes'])}), "
        f"median of {r['repeats']} paired repeats, ms per image:",
        '',
        '| detector | ' + ' | '.join(STAGES) + ' | total | images/s | faces |',
        '|---|' + '---:|' * (len(STAGES) + 3),
    ]
    for row in r['variants']:
        ms = row['ms_per_image']
        lines.append(f"| {row['variant']}: {row['detector']['type']} "
                     f"{_options(row['detector'])} | " +
                     ' | '.join(f'{ms[s]:.1f}' for s in STAGES) +
                     f" | {row['total_ms_per_image']:.1f} | "
                     f"{row['images_per_second']:.2f} | {row['faces']} |")
    return '\n'.join(lines) + '\n'

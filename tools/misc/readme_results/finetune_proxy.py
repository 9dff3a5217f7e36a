"""Block ``results:finetune_proxy``: condition (4') of the proxy's gate
(docs/proxy.md, "Adapting the encoder: fine-tuning the image tower"). Per
FER set, the frozen stand-in's linear probe on the class token (test
split; the ``frozen_clip`` of a ``probe_ladder.py`` or
``probe_components.py`` report: for the first proxy, of its rebuilt
stand-in, docs/results/proxy_first_rebuilt_frozen.json) against the
stand-in's image encoder fine-tuned on that set (a one-row
``ablation_ladder.py`` report of ``configs/proxy/finetune_image_encoder_*``),
and whether the fine-tuned encoder's 95 % interval lies above the probe."""
from ladder_proxy_web_summary import against

#: (FER set and stand-in in words, fine-tuning report, frozen probe report)
SETTINGS = (
    ("the first proxy's (line drawings; its stand-in, rebuilt)",
     'finetune_proxy', 'proxy_first_rebuilt_frozen'),
    ('drawn soft; the per-class class-word stand-in',
     'finetune_proxy_soft_namefreq', 'ladder_proxy_soft_namefreq_probe'),
)
SOURCES = tuple(name for _, *names in SETTINGS for name in names)


def _row(words, tuned, frozen):
    row = tuned['rows'][0]
    probe = frozen['frozen_clip']['probe_class_token']
    mean, half = row['top1_mean'], row.get('top1_ci95')
    if half is None:  # one seed so far: no interval yet
        interval, where = f'{mean:.1f}', f'- ({len(row["seeds"])} seed)'
    else:
        interval = f'{mean:.1f} [{mean - half:.1f}, {mean + half:.1f}]'
        where = against(mean, half, probe)
    per_seed = ' / '.join(f'{v:.1f}' for v in row['top1_per_seed'])
    return (f'| {words} | `{tuned["config"]}` | {probe:.1f} | {interval} | '
            f'{row["best_top1_mean"]:.1f} | {mean - probe:+.1f} | {where} | '
            f'{per_seed} | {row["wall_s"] / 60 / len(row["seeds"]):.1f} |')


def render(results):
    lines = [
        '| FER set | config | frozen linear probe, class token (test) | '
        'fine-tuned image encoder, last epoch | best epoch | fine-tuned − '
        'probe | (4′): interval against the probe | top-1 per seed (last) '
        '| min per run |',
        '|---|---|---|---|---|---|---|---|---|',
    ]
    lines += [
        _row(words, results[tuned], results[frozen])
        for words, tuned, frozen in SETTINGS
    ]
    seeds = {
        len(results[tuned]['rows'][0]['seeds'])
        for _, tuned, _ in SETTINGS
    }
    commands = '; '.join(f'`{results[tuned]["command"]}`'
                         for _, tuned, _ in SETTINGS)
    lines += [
        '',
        f'Seeds per set: {", ".join(map(str, sorted(seeds)))}; 95 % '
        'intervals t-based over seeds; top-1 on the 2,100 test images. '
        f'Measured by {commands}.',
    ]
    return '\n'.join(lines)

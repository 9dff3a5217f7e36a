"""Block ``results:ladder_proxy_probe``: what each row of the proxy's ladder
fits on its training images against the test split, and what its visual
prompts did (docs/results/ladder_proxy_probe.json, written by
``tools/analysis_tools/probe_ladder.py``; rows in the ladder's order,
docs/results/ladder_proxy.json)."""

SOURCES = ('ladder_proxy', 'ladder_proxy_probe')


def _pct(value):
    return '-' if value is None else f'{value:.1f}'


def _norm(value):
    return '-' if value is None else f'{value:.2f}'


def render(results):
    ladder, probe = results.values()  # in the order of SOURCES
    frozen = probe['frozen_clip']
    fit, unseen = frozen['probe_class_token_train'], frozen[
        'probe_class_token']
    lines = [
        '| row | seeds | top-1 on its training images | top-1 on the test '
        'split | gap (train − test), per seed | linear probe on the prompted '
        'class token, train / test | cos(prompted, frozen class token) '
        '| visual prompts\' norm per token | median gradient norm (clipped '
        'to 1.0) |',
        '|---|---|---|---|---|---|---|---|---|',
        f'| frozen stand-in, no prompts (linear probe on the class token) | - '
        f'| {_pct(fit)} | {_pct(unseen)} | {fit - unseen:+.1f} | - | 1 | - '
        f'| - |',
    ]
    for row in ladder['rows']:
        measured = probe['rows'].get(row['name'])
        if measured is None:
            continue
        mean, seeds = measured['mean'], measured['seeds']
        gaps = ' / '.join(f'{seeds[s]["gap"]:+.1f}' for s in sorted(seeds))
        prompted = ('-' if 'probe_prompted_class_token' not in mean else
                    f'{mean["probe_prompted_class_token_train"]:.1f} / '
                    f'{mean["probe_prompted_class_token"]:.1f}')
        cos = mean.get('cos_prompted_vs_frozen_global')
        lines.append(
            f'| {row["name"]} | {len(seeds)} | {_pct(mean["train_acc"])} '
            f'| {_pct(mean["val_acc"])} | {mean["gap"]:+.1f} ({gaps}) '
            f'| {prompted} | {"1" if cos is None else f"{cos:.2f}"} '
            f'| {_norm(mean.get("prompt_norm"))} '
            f'| {mean["grad_norm_median"]:.2f} |')
    source = probe['provenance']
    lines += [
        '',
        f'Means over seeds of each run\'s last checkpoint, through the test '
        f'pipeline (no augmentation); the gradient norm is the median of the '
        f'run\'s logged values (each a mean over 20 steps); zero-shot with '
        f'the hard prompts '
        f'{frozen["zero_shot_global"]:.1f} %. `{source["command"]}` at '
        f'commit `{source["commit"]}`, {source["date"]}.',
    ]
    return '\n'.join(lines)

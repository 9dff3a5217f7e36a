"""Block ``results:precision_quickstart``: the quick start trained and
tested in fp32 and under bf16 autocast (``AMP=1``), per seed
(docs/results/precision_quickstart_{fp32,amp}_seed{0,1}.json, each the
``results.json`` of one tools/quickstart.sh run)."""

SEEDS = (0, 1)
SOURCES = tuple(f'precision_quickstart_{p}_seed{s}' for s in SEEDS
                for p in ('fp32', 'amp'))


def render(results):
    lines = [
        '| seed | fp32: test top-1 | bf16 autocast (`--amp`): test top-1 '
        '| bf16 − fp32 |', '|---|---|---|---|'
    ]
    top1 = {}
    for seed in SEEDS:
        fp32, amp = (
            results[f'precision_quickstart_{p}_seed{seed}']
            for p in ('fp32', 'amp'))
        top1[seed] = (fp32['test']['top1'], amp['test']['top1'])
        lines.append(f'| {seed} | {top1[seed][0]:.1f} % | '
                     f'{top1[seed][1]:.1f} % | '
                     f'{top1[seed][1] - top1[seed][0]:+.1f} |')
    fp32 = [t[0] for t in top1.values()]
    amp = [t[1] for t in top1.values()]
    some = results[SOURCES[0]]
    lines += [
        '',
        f'Seed spread (max − min over the seeds): fp32 '
        f'{max(fp32) - min(fp32):.1f} points, bf16 {max(amp) - min(amp):.1f}'
        f' points; mean fp32 {sum(fp32) / len(fp32):.1f} %, bf16 '
        f'{sum(amp) / len(amp):.1f} %. Commit `{some["commit"]}`, '
        f'{some["date"]}.',
    ]
    return '\n'.join(lines)

"""Block ``results:precision_proxy``: the proxy's full method trained under
bf16 autocast (docs/results/ladder_proxy_bf16.json, the ladder run with
``--cfg-options optim_wrapper.type=MixedPrecisionOptimWrapper``) beside
the same seeds in fp32 (docs/results/ladder_proxy_12epochs.json: the
bf16 runs were made with the proxy's first, 12-epoch recipe)."""
import statistics

SOURCES = ('ladder_proxy_12epochs', 'ladder_proxy_bf16')
ROW = '+ global-local (full method)'


def per_seed(results):
    row = next(r for r in results['rows'] if r['name'] == ROW)
    return dict(zip(row['seeds'], row['top1_per_seed']))


def render(results):
    fp32, bf16 = (per_seed(results[name]) for name in SOURCES)
    lines = [
        '| seed | fp32: top-1, last epoch | bf16 autocast: top-1, last epoch '
        '| bf16 − fp32 |', '|---|---|---|---|'
    ]
    for seed in sorted(bf16):
        lines.append(f'| {seed} | {fp32[seed]:.1f} % | {bf16[seed]:.1f} % | '
                     f'{bf16[seed] - fp32[seed]:+.1f} |')
    diffs = [bf16[s] - fp32[s] for s in bf16]
    run = results['ladder_proxy_bf16']
    lines += [
        '',
        f'Mean bf16 − fp32 {sum(diffs) / len(diffs):+.1f} points over '
        f'{len(diffs)} seeds; the fp32 runs\' standard deviation over its '
        f'{len(fp32)} seeds is {statistics.stdev(fp32.values()):.1f} points '
        f'(range {min(fp32.values()):.1f}–{max(fp32.values()):.1f} %). '
        f'`{run["command"]}` at commit `{run["commit"]}`, {run["date"]}.',
    ]
    return '\n'.join(lines)

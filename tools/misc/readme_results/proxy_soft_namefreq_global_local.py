"""Block ``results:proxy_soft_namefreq_global_local``: where global-local
loses its points on the adopted proxy. For the two rows trained with it
(the full method; CoOp + global-local), each run's last checkpoint scored
post hoc (``probe_components.py``, docs/results/
proxy_soft_namefreq_global_local/ROW.json) from ``S_g`` alone, ``S_l``
alone and ``S_g + λ S_l``, beside the row it is compared with in the
ladder (docs/results/ladder_proxy_soft_namefreq.json), which learnt
``S_g`` alone."""
from statistics import mean

ROWS = (
    ('+ global-local (full method)', 'global_local_full_method',
     '+ soft-hard alignment'),
    ('CoOp + global-local', 'coop_global_local', 'CoOp'),
)
LADDER = 'ladder_proxy_soft_namefreq'
PROBES = 'proxy_soft_namefreq_global_local/'
SOURCES = (LADDER, ) + tuple(PROBES + probe for _, probe, _ in ROWS)


def render(results):
    ladder = {row['name']: row for row in results[LADDER]['rows']}
    lines = [
        '| row (trained with `S_g + λ S_l`, λ = 1) | its top-1 from `S_g` '
        'alone | from `S_l` alone | `S_g + 0.5 S_l` | `S_g + S_l` (as '
        'trained) | `S_g + 2 S_l` | the row it is compared with, trained '
        'on `S_g` alone |',
        '|---|---|---|---|---|---|---|',
    ]
    for name, probe, against in ROWS:
        runs = list(results[PROBES + probe]['checkpoints'].values())
        by_lambda = [
            mean(run['acc_by_lambda'][w] for run in runs)
            for w in ('0.5', '1', '2')
        ]
        lines.append(
            f'| {name} | {mean(r["acc_global_only"] for r in runs):.1f} | '
            f'{mean(r["acc_local_only"] for r in runs):.1f} | ' +
            ' | '.join(f'{v:.1f}' for v in by_lambda) +
            f' | {against}: {ladder[against]["top1_mean"]:.1f} |')
    lines += [
        '',
        'Means over the five seeds\' last checkpoints, on the 2,100 test '
        'images: `python tools/analysis_tools/probe_components.py '
        'configs/proxy/mpafer_proxy_soft_namefreq.py '
        'work_dirs/ladder_proxy_soft_namefreq/ROW/seed_*/*/epoch_48.pth '
        '--out docs/results/proxy_soft_namefreq_global_local/ROW.json` '
        '(for `coop_global_local` with `--cfg-options '
        'model.backbone.num_prompts=0`).',
    ]
    return '\n'.join(lines)

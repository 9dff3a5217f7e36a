"""Block ``results:ladder_quickstart`` (docs/component_table.md): the
HISTORICAL component table on the quick start, measured at commit 7962b45
with the old per-class-norm default of ``L_pa``, in the table format the
ladder had then (mean ± std over seeds, last epoch). The ladder's own
format has changed since (``ladder_proxy``); this renderer keeps the old
file readable as it was published."""


def render(r):
    rows = r['rows']
    classes = next(
        (list(e['per_class_mean']) for e in rows if 'per_class_mean' in e), [])
    head = [
        'row', 'seeds', 'top-1 (mean ± std)', 'top-1 per seed',
        'mean class acc.'
    ] + classes
    made = (f" at commit `{r['commit']}` ({r['date']})"
            if r.get('commit') else '')
    lines = [
        f"Component ladder on `{r['config']}`, seeds {r['seeds']}{made}; "
        'validation metrics after the last epoch '
        '(`python tools/analysis_tools/ablation_ladder.py`).', '',
        '| ' + ' | '.join(head) + ' |', '|' + '---|' * len(head)
    ]
    for e in rows:
        cells = [
            e['name'],
            str(len(e['seeds'])),
            f"{e['top1_mean']:.1f} ± {e['top1_std']:.1f}", ' / '.join(
                f'{v:.1f}' for v in e['top1_per_seed']),
            f"{e['mean_class_mean']:.1f} ± {e['mean_class_std']:.1f}"
        ] + [f"{e['per_class_mean'][c]:.1f}" for c in classes]
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)

"""Block ``results:loss_gradients``: each loss term's value and gradient
norm on the trainable tensors at initialisation
(docs/results/loss_gradients.json, the ``--json-out`` of
tools/analysis_tools/loss_gradients.py)."""

LABELS = {
    'ce': 'CE',
    'ce_global': 'CE, global logits only',
    'l_ta': '`L_ta`',
    'l_pa_l1_mean': "`L_pa` `'l1'`, `reduction='mean'` (default)",
    'l_pa_l1_norm': "`L_pa` `'l1'`, `reduction='norm'`",
    'l_pa_contrastive': "`L_pa` `'contrastive'`",
    'l_v_cosine': "`L_v` `'cosine'` (default)",
    'l_v_l1_mean': "`L_v` `'l1'`, `reduction='mean'`",
    'l_v_l1_norm': "`L_v` `'l1'`, `reduction='norm'`",
}
TENSORS = {
    'backbone.prompts': 'visual prompts',
    'head.prompt_learner.context': 'text context',
}


def render(r):
    tensors = list(r['trainable'])
    names = [TENSORS.get(t, f'`{t}`') for t in tensors]
    ce = next(row for row in r['terms'] if row['term'] == 'ce')
    lines = [
        f"`{r['command']}` on {r['date']} (commit `{r['commit']}`; "
        f"{r['arch']}, random weights, {r['image_size'][0]} px, batch "
        f"{r['batch_size']}, seed {r['seed']}, {r['device']}): each term "
        'with weight 1, one forward pass, the L2 norm of its gradient on '
        'each trainable tensor (0: the term does not reach it) and its '
        "ratio to CE's on the same tensor.",
        '',
        '| term | value | ' + ' | '.join(f'‖∇‖ {n} | ÷ CE'
                                         for n in names) + ' |',
        '|---|---|' + '---|---|' * len(tensors),
    ]
    for row in r['terms']:
        label = LABELS.get(row['term'], row['term'])
        if row['term'] == 'ce':
            label += f" ({row['what']})"
        cells = []
        for t in tensors:
            norm, base = row['grad_norm'][t], ce['grad_norm'][t]
            cells.append(f'{norm:.3g} | ' +
                         (f'{norm / base:.3g}' if base else '-'))
        lines.append(f"| {label} | {row['value']:.4g} | " + ' | '.join(cells) +
                     ' |')
    return '\n'.join(lines)

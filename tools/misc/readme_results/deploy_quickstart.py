"""Block ``results:deploy_quickstart``: the deployment variants (fp32,
bf16, int8; PyTorch, TorchScript, ONNX Runtime) of the quick-start model on
its test set (docs/results/deploy_quickstart.json, the ``--json-out`` of
tools/model_converters/export_deploy.py ``--test-set --benchmark N``)."""

NAMES = dict(
    pytorch='PyTorch (`DeployableFER`), fp32',
    torchscript='TorchScript, fp32',
    onnx='ONNX Runtime, fp32',
)


def _label(name):
    if name in NAMES:
        return NAMES[name]
    runtime, precision = name.split('.')
    return NAMES[runtime].replace('fp32', f'**{precision}**')


def render(r):
    some = next(iter(r['test_set'].values()))
    lines = [
        f"`{r['command']}` on {r['date']} (commit `{r['commit']}`; "
        f"{r['image_size']} px, {r['threads']} torch thread, "
        f"{'process CPU time' if r['clock'] == 'cpu' else 'wall time'} per "
        f"image at batch 1; load average {r['loadavg'][0]}):",
        '',
        f"| variant | file MiB | ms per image | max \\|p − p_fp32\\| "
        f"({some['images']} test images) | predicted class as fp32 | "
        'top-1 |',
        '|---|---|---|---|---|---|',
    ]
    for name, t in r['test_set'].items():
        f = r['files'].get(name)
        size = '—' if f is None else f"{f['mib']:.1f}"
        ms = r['ms_per_image'].get(name)
        lines.append(
            f"| {_label(name)} | {size} | "
            f"{'—' if ms is None else f'{ms:.2f}'} | "
            f"{t['max_abs_prob_diff']:.1e} | {100 * t['agreement']:.1f} % | "
            f"{100 * t['top1']:.1f} % |")
    return '\n'.join(lines)

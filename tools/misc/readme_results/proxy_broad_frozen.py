"""Block ``results:proxy_broad_frozen``: the frozen stand-ins side by side on
the proxy's FER set: the proxy's (pretrained on one style of faces; from
docs/results/ladder_proxy_probe.json) and the broadly pretrained one
(configs/proxy/mpafer_proxy_broad.py; docs/results/proxy_broad_frozen.json,
written by ``tools/analysis_tools/probe_components.py``)."""

SOURCES = ('ladder_proxy_probe', 'proxy_broad_frozen')


def render(results):
    rows = (('the proxy\'s: the quick start\'s style only',
             results['ladder_proxy_probe']['frozen_clip']),
            ('broad: the FER set\'s kinds of variation, other identities',
             results['proxy_broad_frozen']['frozen_clip']))
    lines = [
        '| stand-in CLIP pretrained on | linear probe on the class token: '
        'fit on the training images | … on the test split | zero-shot, hard '
        'prompts |', '|---|---|---|---|'
    ]
    for name, frozen in rows:
        lines.append(f'| {name} | {frozen["probe_class_token_train"]:.1f} % '
                     f'| {frozen["probe_class_token"]:.1f} % '
                     f'| {frozen["zero_shot_global"]:.1f} % |')
    source = results['proxy_broad_frozen']['provenance']
    lines += [
        '', f'Broad stand-in: `{source["command"]}` at commit '
        f'`{source["commit"]}`, {source["date"]}.'
    ]
    return '\n'.join(lines)

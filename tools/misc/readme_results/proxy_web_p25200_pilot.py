"""Block ``results:proxy_web_p25200_pilot``: the seed-0 CoOp and full-method
runs on the 25,200-pair web-caption stand-in (a pilot, not a ladder: the
stand-in failed the gate), each on its training images and the test split
(docs/results/proxy_pilots/web3_cue03_p25200_probe.json, by
``probe_ladder.py``), beside the frozen stand-in's linear probe and
zero-shot accuracies (docs/results/proxy_stand_ins/vit64_web3_cue03_p25200
.json, by ``probe_components.py``)."""
PROBE = 'proxy_pilots/web3_cue03_p25200_probe'
FROZEN = 'proxy_stand_ins/vit64_web3_cue03_p25200'
RUNS = ('proxy_pilots/web3_cue03_p25200/coop/seed0',
        'proxy_pilots/web3_cue03_p25200/global_local_full_method/seed0')
SOURCES = (PROBE, FROZEN) + RUNS


def render(results):
    probe, frozen = results[PROBE], results[FROZEN]['frozen_clip']
    lines = [
        '| seed 0, 48 epochs | top-1 on its training images | top-1 on the '
        'test split |', '|---|---|---|',
        f'| frozen stand-in: linear probe on the class token | '
        f'{frozen["probe_class_token_train"]:.1f} | '
        f'{frozen["probe_class_token"]:.1f} |',
        f'| frozen stand-in: zero-shot, hard prompts (class names and '
        f'descriptions) | - | {frozen["zero_shot_global"]:.1f} |',
        f'| frozen stand-in: zero-shot, class names alone | - | '
        f'{frozen["zero_shot_class_names"]:.1f} |'
    ]
    for name, row in probe['rows'].items():
        mean = row['mean']
        lines.append(f'| {name} | {mean["train_acc"]:.1f} | '
                     f'{mean["val_acc"]:.1f} |')
    lines += ['', 'Commands and commits:', '']
    for source in (probe, ) + tuple(results[run] for run in RUNS):
        lines.append(f'- `{source["provenance"]["command"]}` at '
                     f'`{source["provenance"]["commit"]}`')
    return '\n'.join(lines)

"""Block ``results:proxy_web_pilots``: seed-0 pilots on web-caption
stand-ins that no ladder ran on, each run measured on its training images
and the test split (``probe_ladder.py``'s report,
docs/results/proxy_pilots/NAME_probe.json), beside the frozen stand-in's
linear probe and zero-shot accuracies (``probe_components.py``'s report,
docs/results/proxy_stand_ins/NAME.json)."""
# (stand-in, its probe_components report, the pilot's probe_ladder report)
PILOTS = (
    ('25,200 pairs, cues in 30 %', 'proxy_stand_ins/vit64_web3_cue03_p25200',
     'proxy_pilots/web3_cue03_p25200_probe'),
    ('8,400 pairs, cues in 30 %, class words in 30 %',
     'proxy_stand_ins/vit64_web3_cue03_name03',
     'proxy_pilots/web3_cue03_name03_probe'),
    ('25,200 pairs, cues in 30 %, class words in 10 %',
     'proxy_stand_ins/vit64_web3_cue03_name01_p25200',
     'proxy_pilots/web3_cue03_name01_p25200_probe'),
)
ROWS = ('CoOp', '+ global-local (full method)')
SOURCES = tuple(name for _, *pair in PILOTS for name in pair)


def _fit_test(train, test):
    return f'{train:.1f} / {test:.1f}'


def render(results):
    lines = [
        '| stand-in (captions name pose, occluder, face shape) | linear '
        'probe on the frozen class token, train / test | zero-shot, hard '
        'prompts | zero-shot, class names alone | ' +
        ' | '.join(f'{row}, seed 0, train / test' for row in ROWS) + ' |',
        '|---|---|---|---|' + '---|' * len(ROWS)
    ]
    commands = []
    for stand_in, frozen_name, probe_name in PILOTS:
        frozen = results[frozen_name]['frozen_clip']
        probe = results[probe_name]
        runs = [
            _fit_test(probe['rows'][row]['mean']['train_acc'],
                      probe['rows'][row]['mean']['val_acc'])
            if row in probe['rows'] else '-' for row in ROWS
        ]
        linear = _fit_test(frozen['probe_class_token_train'],
                           frozen['probe_class_token'])
        lines.append(f'| {stand_in} | {linear} | '
                     f'{frozen["zero_shot_global"]:.1f} | '
                     f'{frozen["zero_shot_class_names"]:.1f} | ' +
                     ' | '.join(runs) + ' |')
        for source in (results[frozen_name], probe):
            commands.append(f'- `{source["provenance"]["command"]}` at '
                            f'`{source["provenance"]["commit"]}`')
    return '\n'.join(lines + [
        '', 'Chance 14.3 %. The runs: each record under '
        'docs/results/proxy_pilots/ names its command. The reports:', ''
    ] + commands)

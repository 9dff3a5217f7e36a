"""Block ``results:proxy_pilots``: the single-seed runs that tested the
proxy's recipe and the hypotheses of issue 20 (records in
docs/results/proxy_pilots/, written by ``ablation_ladder.py``; each names
its command, commit and date), beside the ladder's seed-0 run of the same
row (docs/results/ladder_proxy_12epochs/ or docs/results/ladder_proxy/)."""

# (what was changed, pilot record, the record it is compared with)
PILOTS = (
    ('12 epochs, no gradient clipping (`optim_wrapper.clip_grad=None`)',
     'proxy_pilots/no_clip_12epochs/coop/seed0',
     'ladder_proxy_12epochs/coop/seed0'),
    ('12 epochs, no gradient clipping (`optim_wrapper.clip_grad=None`)',
     'proxy_pilots/no_clip_12epochs/global_local_full_method/seed0',
     'ladder_proxy_12epochs/global_local_full_method/seed0'),
    ('12 epochs, visual prompts\' step × 10 (`optim_wrapper.paramwise_cfg.'
     'custom_keys.backbone.lr_mult=10.0`)',
     'proxy_pilots/visual_prompts_lr_x10_12epochs/visual_prompts/seed0',
     'ladder_proxy_12epochs/visual_prompts/seed0'),
    ('12 epochs, visual prompts\' step × 10 (`optim_wrapper.paramwise_cfg.'
     'custom_keys.backbone.lr_mult=10.0`)',
     'proxy_pilots/visual_prompts_lr_x10_12epochs/global_local_full_method/'
     'seed0', 'ladder_proxy_12epochs/global_local_full_method/seed0'),
    ('48 epochs, soft–hard weight β = 0.1 (`model.head.token_align_loss.'
     'loss_weight=0.1 model.head.prompt_align_loss.loss_weight=0.1`)',
     'proxy_pilots/soft_hard_beta_0.1/global_local_full_method/seed0',
     'ladder_proxy/global_local_full_method/seed0'),
    ('48 epochs, prompts in the first 2 of 4 layers '
     '(`model.backbone.prompt_depth=2`)',
     'proxy_pilots/prompt_depth_2/visual_prompts/seed0',
     'ladder_proxy/visual_prompts/seed0'),
    ('48 epochs, a quarter of the training images '
     '(`configs/proxy/mpafer_proxy_train_quarter.py`)',
     'proxy_pilots/train_quarter/coop/seed0', 'ladder_proxy/coop/seed0'),
)
QUARTER_PROBE = 'proxy_pilots/train_quarter_probe'
SOURCES = tuple(sorted({name
                        for _, *pair in PILOTS
                        for name in pair})) + (QUARTER_PROBE, )


def render(results):
    lines = [
        '| change (seed 0) | row | top-1, last epoch (best) | the ladder\'s '
        'run without the change | commit of the pilot |',
        '|---|---|---|---|---|'
    ]
    for change, pilot, reference in PILOTS:
        run, ref = results[pilot], results[reference]
        lines.append(
            f'| {change} | {run["row"]} | {run["top1"]:.1f} '
            f'({run["best_top1"]:.1f}) | {ref["top1"]:.1f} '
            f'({ref["best_top1"]:.1f}) | `{run["provenance"]["commit"]}` |')
    probe = results[QUARTER_PROBE]
    coop, frozen = probe['rows']['CoOp']['mean'], probe['frozen_clip']
    lines += [
        '', f'On the quarter (350 training images), CoOp reaches '
        f'{coop["train_acc"]:.1f} % on its training images and '
        f'{coop["val_acc"]:.1f} % on the test split; a linear probe on the '
        f'frozen class token fits the same 350 images to '
        f'{frozen["probe_class_token_train"]:.1f} % '
        f'({frozen["probe_class_token"]:.1f} % on the test split) '
        f'(`{probe["provenance"]["command"]}`).'
    ]
    return '\n'.join(lines)

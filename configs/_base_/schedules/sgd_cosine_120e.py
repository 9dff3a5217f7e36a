# The paper's schedule: SGD lr 0.032, cosine, 120 epochs, batch 32.
# Momentum 0.9, weight decay 5e-4 and 1 warm-up epoch are assumptions
# (docs/method.md §5).
#
# clip_grad: the L2 norm of the gradient of all prompts together is clipped
# to 1.0 (MMEngine's OptimWrapper; the log shows it as grad_norm). With the
# logit scale of 100 a few steps can otherwise move the shared context by
# whole units (2.95 per element in 3 steps at lr 0.032, no warm-up), far
# beyond the 0.02 of its init; clipped, one SGD step moves the prompts by at
# most lr x 1.0 in L2 (x 10 with momentum 0.9). `clip_grad=None` turns it
# off; docs/method.md gives the quick start with and without it.
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.032, momentum=0.9, weight_decay=5e-4),
    clip_grad=dict(max_norm=1.0, norm_type=2))

param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1e-3,
        by_epoch=True,
        begin=0,
        end=1,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        by_epoch=True,
        begin=1,
        end=120,
        eta_min=0.0,
        convert_to_iter_based=True),
]

train_cfg = dict(by_epoch=True, max_epochs=120, val_interval=1)
val_cfg = dict()
test_cfg = dict()

# lr is for a total batch of 32; `--auto-scale-lr` rescales it.
auto_scale_lr = dict(base_batch_size=32)

# The paper's schedule: SGD lr 0.032, cosine, 120 epochs, batch 32.
# Momentum 0.9, weight decay 5e-4 and 1 warm-up epoch are assumptions
# (METHOD.md section 5).
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.032, momentum=0.9, weight_decay=5e-4))

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

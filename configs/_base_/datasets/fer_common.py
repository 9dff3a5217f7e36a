# What every FER dataset config shares: CLIP-style augmentation at 224 px
# (random resized crop, flip, random erasing), the loader that also takes
# FERPlus's decoded arrays and gray images, data loaders and the metrics.
# A dataset config sets dataset_type, data_root, class_names and the splits.
train_pipeline = [
    dict(type='LoadFERImage'),
    dict(
        type='RandomResizedCrop',
        scale=224,
        crop_ratio_range=(0.8, 1.0),
        backend='pillow',
        interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(
        type='RandomErasing',
        erase_prob=0.25,
        mode='rand',
        min_area_ratio=0.02,
        max_area_ratio=1 / 3,
        fill_color=[104.094, 116.746, 122.771],  # CLIP mean, BGR
        fill_std=[70.323, 66.632, 68.501]),
    dict(type='PackInputs'),
]

test_pipeline = [
    dict(type='LoadFERImage'),
    dict(
        type='Resize',
        scale=(224, 224),
        backend='pillow',
        interpolation='bicubic'),
    dict(type='PackInputs'),
]

train_dataloader = dict(
    batch_size=32,
    num_workers=4,
    # Fresh workers each epoch, seeded from (seed, epoch, rank, worker id)
    # (mpafer_plugin EpochSeedHook): a resumed run augments exactly as an
    # uninterrupted one.
    persistent_workers=False,
    worker_init_fn=dict(type='epoch_worker_init_fn'),
    pin_memory=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
)

val_dataloader = dict(
    batch_size=64,
    num_workers=4,
    persistent_workers=True,
    pin_memory=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
)
test_dataloader = val_dataloader

# Overall accuracy, mean class accuracy (macro recall), per-class accuracy
# and the confusion matrix (logged as a table).
val_evaluator = [
    dict(type='Accuracy', topk=(1, )),
    dict(type='SingleLabelMetric', items=('recall', ), average='macro'),
    dict(type='PerClassAccuracy'),
]

test_evaluator = val_evaluator

# Offline quick start: MPA-FER on generated, RAF-DB-layout drawn faces
# (tools/dataset_converters/make_synthetic_rafdb.py) with a tiny open_clip
# architecture
# (mpafer-tiny-vit-64: width 64, 2 layers, 64 px, patch 8). No CLIP weights
# can be downloaded offline, so tools/quickstart.sh first pretrains it from
# random weights on generated (face, attribute caption) pairs
# (tools/misc/pretrain_synthetic_clip.py) and points `pretrained` at that file.
# It runs the whole method on 2 CPU cores in minutes; its accuracy says
# nothing about real faces. Departures from the paper's recipe, for a
# 64-wide CLIP trained for minutes: class-specific context, AdamW lr 0.01,
# 10 epochs, no random erasing.
_base_ = ['./mpafer_rafdb.py']

image_size = 64
model = dict(
    clip=dict(
        model_name='mpafer-tiny-vit-64',
        pretrained='work_dirs/quickstart/tiny_clip_synthetic.pt'),
    head=dict(prompt_learner=dict(class_specific_context=True)))

data_root = 'data/synthetic_rafdb'
train_pipeline = [
    dict(type='LoadFERImage'),
    dict(
        type='RandomResizedCrop',
        scale=image_size,
        crop_ratio_range=(0.8, 1.0),
        backend='pillow',
        interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadFERImage'),
    dict(
        type='Resize',
        scale=(image_size, image_size),
        backend='pillow',
        interpolation='bicubic'),
    dict(type='PackInputs'),
]
# One loader worker beside the main process (tools/quickstart.sh runs torch
# with one thread): two busy processes for two cores.
train_dataloader = dict(
    num_workers=1,
    pin_memory=False,
    dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(
    num_workers=1,
    pin_memory=False,
    dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader

optim_wrapper = dict(
    optimizer=dict(_delete_=True, type='AdamW', lr=0.01, weight_decay=0.0))
max_epochs = 10
train_cfg = dict(max_epochs=max_epochs)
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
        end=max_epochs,
        eta_min=0.0,
        convert_to_iter_based=True),
]
default_hooks = dict(logger=dict(interval=10))

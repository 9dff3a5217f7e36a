# AffectNet-7 expressions and valence / arousal, trained jointly
# (docs/protocols.md): MPAVAHead adds a ValenceArousalHead (tanh of a linear
# map of the prompted global feature) whose loss_va (MSE) joins the MPA-FER
# losses. The reader gives gt_va and drops the images whose valence or
# arousal is the csv's invalid -2 (counted in the log, like the excluded
# expression ids); CCC and RMSE are evaluated beside the accuracies.
_base_ = ['../mpafer_affectnet7.py']

model = dict(
    head=dict(
        type='MPAVAHead',
        valence_arousal=dict(
            type='ValenceArousalHead', loss='mse', loss_weight=1.0)))

# fer_common.py's pipelines, with gt_va packed into each data sample.
pack = dict(type='PackInputs', algorithm_keys=('gt_va', ))
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
        fill_color=[104.094, 116.746, 122.771],
        fill_std=[70.323, 66.632, 68.501]),
    pack,
]
test_pipeline = [
    dict(type='LoadFERImage'),
    dict(
        type='Resize',
        scale=(224, 224),
        backend='pillow',
        interpolation='bicubic'),
    pack,
]
train_dataloader = dict(
    dataset=dict(valence_arousal=True, pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(valence_arousal=True, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = [
    dict(type='Accuracy', topk=(1, )),
    dict(type='SingleLabelMetric', items=('recall', ), average='macro'),
    dict(type='PerClassAccuracy'),
    dict(type='ValenceArousalMetric'),
]
test_evaluator = val_evaluator

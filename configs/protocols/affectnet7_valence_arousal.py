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

# fer_common.py's pipelines, with gt_va packed into each data sample: the
# last step (PackInputs) is swapped. (``_base_`` here is the merged base
# config, as MMEngine passes it to a config's code.)
pack = dict(type='PackInputs', algorithm_keys=('gt_va', ))
train_pipeline = _base_.train_pipeline[:-1] + [pack]
test_pipeline = _base_.test_pipeline[:-1] + [pack]
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

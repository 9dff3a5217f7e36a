# Cross-dataset: a RAF-DB checkpoint (configs/mpafer_rafdb.py) tested on
# AffectNet-7's validation set (the benchmark's test set), through the
# basic-expression label space (docs/protocols.md); both have the same 7
# classes in other orders.
_base_ = ['../../mpafer_rafdb.py']

test_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='AffectNet',
        data_root='data/affectnet',
        split='val',
        num_classes=7,
        pipeline={{_base_.test_pipeline}}))
test_evaluator = [
    dict(type='CrossDatasetAccuracy', source_classes={{_base_.class_names}})
]
default_hooks = dict(class_names_check=dict(type='CrossDatasetCheckHook'))

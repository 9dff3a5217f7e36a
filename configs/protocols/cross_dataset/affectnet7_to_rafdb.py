# Cross-dataset: an AffectNet-7 checkpoint (configs/mpafer_affectnet7.py)
# tested on RAF-DB's test split, through the basic-expression label space
# (docs/protocols.md).
_base_ = ['../../mpafer_affectnet7.py']

test_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='RAFDB',
        data_root='data/rafdb/basic',
        split='test',
        pipeline={{_base_.test_pipeline}}))
test_evaluator = [
    dict(type='CrossDatasetAccuracy', source_classes={{_base_.class_names}})
]
default_hooks = dict(class_names_check=dict(type='CrossDatasetCheckHook'))

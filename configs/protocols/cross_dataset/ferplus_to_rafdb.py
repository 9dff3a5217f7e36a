# Cross-dataset: a FERPlus checkpoint (configs/mpafer_ferplus.py, 8 classes)
# tested on RAF-DB's test split (7), through the basic-expression label
# space (docs/protocols.md). The model's Contempt has no RAF-DB class: an
# image predicted Contempt is wrong, counted in its own confusion column.
_base_ = ['../../mpafer_ferplus.py']

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

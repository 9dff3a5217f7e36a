# Cross-dataset: a RAF-DB checkpoint (configs/mpafer_rafdb.py) tested on
# FERPlus PrivateTest (majority labels), through the basic-expression label
# space (docs/protocols.md). FERPlus's Contempt, which RAF-DB lacks, is
# reported as never seen and left out of the accuracies.
#   python tools/test.py configs/protocols/cross_dataset/rafdb_to_ferplus.py \
#       work_dirs/mpafer_rafdb/epoch_120.pth
_base_ = ['../../mpafer_rafdb.py']

test_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='FERPlus',
        data_root='data/ferplus',
        split='test',
        label_mode='majority',
        pipeline={{_base_.test_pipeline}}))
test_evaluator = [
    dict(type='CrossDatasetAccuracy', source_classes={{_base_.class_names}})
]
default_hooks = dict(class_names_check=dict(type='CrossDatasetCheckHook'))

# RAF-DB with model selection on a held-out validation split of the
# training set (docs/protocols.md): 10 % of each class of RAF-DB train,
# drawn with seed 0 (StratifiedHoldout), is the validation set that
# chooses the best epoch (BestLastHook, CheckpointHook's best_*.pth); the
# model trains on the other 90 %; the test split is only used by
# tools/test.py. Any dataset config is switched the same way.
_base_ = ['../mpafer_rafdb.py']

holdout = dict(ratio=0.1, seed=0)
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='StratifiedHoldout',
        part='train',
        **holdout,
        dataset={{_base_.train_dataloader.dataset}}))
val_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='StratifiedHoldout',
        part='val',
        **holdout,
        dataset=dict(
            type={{_base_.dataset_type}},
            data_root={{_base_.data_root}},
            split='train',
            pipeline={{_base_.test_pipeline}})))

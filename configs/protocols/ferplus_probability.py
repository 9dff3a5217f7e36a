# FERPlus with probability labels (docs/protocols.md): trained with a
# cross-entropy to each image's normalised emotion votes (FERPlus reader,
# label_mode='probability', the soft target in gt_score), evaluated on the
# benchmark's majority labels of PrivateTest (label_mode='majority', as in
# mpafer_ferplus.py), so the accuracy is comparable with the majority-vote
# recipe.
_base_ = ['../mpafer_ferplus.py']

train_dataloader = dict(dataset=dict(label_mode='probability'))
val_dataloader = dict(dataset=dict(label_mode='majority'))
test_dataloader = val_dataloader
# gt_score present -> mmpretrain's ClsHead passes it as the target; the
# soft cross-entropy is -sum_c q_c log softmax(logits)_c.
model = dict(
    head=dict(
        loss=dict(type='CrossEntropyLoss', use_soft=True, loss_weight=1.0)))

# The proxy trained on a stratified quarter of its training images (50 per
# class, 350 images; the test split unchanged): does a smaller training set
# open a gap between training and test accuracy? (docs/proxy.md, "What
# limits the alignments").
_base_ = ['./mpafer_proxy.py']

train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='StratifiedHoldout',
        part='val',
        ratio=0.25,
        seed=0,
        dataset={{_base_.train_dataloader.dataset}}))

# The baseline prompt learning is set against (the paper's Fig. 1a):
# fine-tuning the whole image encoder of the proxy's stand-in CLIP, with a
# linear classifier on its projected class token, on the proxy's FER set.
# It measures the fact "the linear probe clearly below what adapting the
# encoder reaches" (docs/proxy.md, "Adapting the encoder: fine-tuning the
# image tower"); fixed before its first run:
# - AdamW, lr 6e-5 = 0.06 x the stand-in's pretraining peak lr of 1e-3 (the
#   ratio of WiSE-FT's fine-tuning lr, 3e-5, to CLIP ViT-B/16's pretraining
#   lr, 5e-4), weight decay 0.1 (WiSE-FT); the new linear head at 10 x lr;
# - everything else the proxy's: 48 epochs, 1 warm-up epoch then cosine,
#   batch 32, gradient clipping at 1.0, the same augmentation and seeds.
_base_ = ['./mpafer_proxy.py']

model = dict(
    _delete_=True,
    type='ImageClassifier',
    data_preprocessor={{_base_.model.data_preprocessor}},
    backbone=dict(
        type='PromptedCLIPViT',
        clip={{_base_.model.clip}},
        freeze_clip=False,
        num_prompts=0),
    head=dict(
        type='LinearClsHead',
        num_classes=7,
        in_channels=64,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))
optim_wrapper = dict(
    optimizer=dict(_delete_=True, type='AdamW', lr=6e-5, weight_decay=0.1),
    paramwise_cfg=dict(custom_keys={'head': dict(lr_mult=10.0)}))

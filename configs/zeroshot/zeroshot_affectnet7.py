# Zero-shot CLIP ViT-B/16 on AffectNet-7 with hard prompts only; nothing to
# train:
#   python tools/test.py configs/zeroshot/zeroshot_affectnet7.py
# ViT-L/14: --cfg-options model.clip.model_name=ViT-L-14-quickgelu
# Global-local matching: --cfg-options model.head.local_weight=1.0
_base_ = [
    '../_base_/models/zeroshot_clip_vit-b16.py',
    '../_base_/datasets/affectnet7.py',
    '../_base_/default_runtime.py',
]

model = dict(head=dict(classnames={{_base_.class_names}}))
# Evaluation only: no training or validation loop.
train_dataloader = val_dataloader = val_evaluator = None
test_cfg = dict()

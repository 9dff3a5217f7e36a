# MPA-FER, ViT-L/14 (OpenAI CLIP), FERPlus.
_base_ = [
    './_base_/models/mpafer_vit-l14.py',
    './_base_/datasets/ferplus.py',
    './_base_/schedules/sgd_cosine_120e.py',
    './_base_/default_runtime.py',
]

model = dict(head=dict(classnames={{_base_.class_names}}))

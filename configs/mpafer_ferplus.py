# MPA-FER, ViT-B/16 (OpenAI CLIP), FERPlus, the paper's recipe.
_base_ = [
    './_base_/models/mpafer_vit-b16.py',
    './_base_/datasets/ferplus.py',
    './_base_/schedules/sgd_cosine_120e.py',
    './_base_/default_runtime.py',
]

model = dict(head=dict(classnames={{_base_.class_names}}))

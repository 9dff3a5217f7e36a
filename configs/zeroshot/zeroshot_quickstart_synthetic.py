# Zero-shot baseline of the offline quick start: the quick start's tiny CLIP
# (work_dirs/quickstart/tiny_clip_synthetic.pt, from tools/quickstart.sh) on
# the synthetic test split, hard prompts only, nothing trained:
#   python tools/test.py configs/zeroshot/zeroshot_quickstart_synthetic.py
# Its accuracy says nothing about real faces.
_base_ = ['../quickstart_synthetic_rafdb.py']

# ZeroShotCLIPHead's defaults: hard-prompt variant 3, lambda = 0.
model = dict(
    backbone=dict(num_prompts=0),
    head=dict(
        _delete_=True,
        type='ZeroShotCLIPHead',
        classnames={{_base_.class_names}}))
custom_hooks = []
# Evaluation only: no training or validation loop.
train_dataloader = val_dataloader = val_evaluator = None
train_cfg = optim_wrapper = param_scheduler = val_cfg = None
test_cfg = dict()

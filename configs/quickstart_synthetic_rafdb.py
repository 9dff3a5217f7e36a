# Offline quick start: MPA-FER on the generated, RAF-DB-layout synthetic
# faces (tools/make_synthetic_rafdb.py) with a tiny open_clip architecture
# and RANDOM weights (no CLIP weights can be downloaded here). It exercises
# the whole method on 2 CPU cores in minutes; its accuracy says nothing
# about real faces.
_base_ = ['./mpafer_rafdb.py']

model = dict(clip=dict(model_name='mpafer-tiny-vit', pretrained=None))

data_root = 'data/synthetic_rafdb'
train_dataloader = dict(
    num_workers=2, pin_memory=False, dataset=dict(data_root=data_root))
val_dataloader = dict(
    num_workers=2, pin_memory=False, dataset=dict(data_root=data_root))
test_dataloader = val_dataloader

max_epochs = 10
train_cfg = dict(max_epochs=max_epochs)
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=1, end=max_epochs,
         eta_min=0.0, convert_to_iter_based=True),
]
default_hooks = dict(logger=dict(interval=10))

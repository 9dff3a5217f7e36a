# Fine-tuning the image encoder (configs/proxy/finetune_image_encoder_proxy.py)
# on the FER set drawn soft, from the per-class class-word stand-in: the
# setting of configs/proxy/mpafer_proxy_soft_namefreq.py.
_base_ = ['./finetune_image_encoder_proxy.py']

model = dict(
    backbone=dict(
        clip=dict(pretrained='work_dirs/proxy_web/'
                  'clip64_web3_cue03_namefreq_p25200.pt')))
data_root = 'data/proxy_rafdb_soft'
train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = val_dataloader

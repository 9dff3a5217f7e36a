# The proxy's FER set drawn in another rendering than the stand-ins'
# pretraining faces (docs/proxy.md, "The class-word stand-ins on faces in
# another rendering"): `tools/dataset_converters/make_synthetic_rafdb.py
# --out data/proxy_rafdb_soft --train-per-class 200 --test-per-class 300
# --image-size 64 --seed 1 --intensity 0.5 1.0 --rotation 15 --yaw 0.3
# --occlusion 0.2 --identities 300 --rendering soft`. Name the stand-in with
# --cfg-options model.clip.pretrained=CKPT.
_base_ = ['./mpafer_proxy.py']

data_root = 'data/proxy_rafdb_soft'
train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = val_dataloader

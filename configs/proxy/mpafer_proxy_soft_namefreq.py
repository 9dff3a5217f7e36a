# The proxy's FER set in the soft rendering
# (configs/proxy/mpafer_proxy_soft.py)
# with the stand-in whose line-drawn pretraining captions name the class word
# as often as RAF-DB's web images show each expression (docs/proxy.md, "The
# class-word stand-ins on faces in another rendering"), made on two torch
# threads by `OMP_NUM_THREADS=2 python tools/misc/pretrain_synthetic_clip.py
# --model mpafer-proxy-vit-64 --pairs 25200 --epochs 40 --lr 1e-3
# --intensity 0.5 1.2 --rotation 15 --yaw 0.3 --occlusion 0.2
# --identities 300 --identity-seed 2 --scene-captions pose occluder face_shape
# --cue-rate 0.3 --name-rate 0.074 0.016 0.041 0.272 0.113 0.040 0.144
# --out work_dirs/proxy_web/clip64_web3_cue03_namefreq_p25200.pt`.
_base_ = ['./mpafer_proxy_soft.py']

model = dict(
    clip=dict(
        pretrained='work_dirs/proxy_web/clip64_web3_cue03_namefreq_p25200.pt'))

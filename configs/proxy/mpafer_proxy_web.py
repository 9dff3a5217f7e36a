# The proxy with a stand-in pretrained on web-like captions (docs/proxy.md,
# "A stand-in whose captions seldom name the expression"): the same FER set,
# recipe and 4-layer, 64-wide tower as configs/proxy/mpafer_proxy.py; the
# stand-in CLIP was pretrained as configs/proxy/mpafer_proxy_broad_8400.py's
# (8,400 broad faces, 40 epochs, peak lr 1e-3), but each caption names the
# head's pose, the occluder and the face's shape, and the expression's cues
# in only 30 % of the captions. Made by
# `tools/misc/pretrain_synthetic_clip.py --model mpafer-proxy-vit-64
# --pairs 8400 --epochs 40 --lr 1e-3 --intensity 0.5 1.2 --rotation 15
# --yaw 0.3 --occlusion 0.2 --identities 300 --identity-seed 2
# --scene-captions pose occluder face_shape --cue-rate 0.3
# --out work_dirs/proxy_web/clip64_web3_cue03.pt`.
_base_ = ['./mpafer_proxy.py']

model = dict(clip=dict(pretrained='work_dirs/proxy_web/clip64_web3_cue03.pt'))

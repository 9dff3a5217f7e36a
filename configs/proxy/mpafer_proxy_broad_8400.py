# The proxy with a stand-in pretrained broadly on four times the pairs
# (docs/proxy.md, "A larger stand-in"): the same FER set, recipe and
# 4-layer, 64-wide tower as configs/proxy/mpafer_proxy.py; the stand-in
# CLIP was pretrained on 8,400 captioned faces with the FER set's kinds of
# variation (as configs/proxy/mpafer_proxy_broad.py, other identities than
# the FER set's), 40 epochs at a peak lr of 1e-3 (at the tool's 2e-3 the
# embeddings stay collapsed for half the schedule). Made by
# `tools/misc/pretrain_synthetic_clip.py --model mpafer-proxy-vit-64
# --pairs 8400 --epochs 40 --lr 1e-3 --intensity 0.5 1.2 --rotation 15
# --yaw 0.3 --occlusion 0.2 --identities 300 --identity-seed 2
# --out work_dirs/proxy_broad_8400/proxy_clip_broad_8400.pt`.
_base_ = ['./mpafer_proxy.py']

model = dict(
    clip=dict(
        pretrained='work_dirs/proxy_broad_8400/proxy_clip_broad_8400.pt'))

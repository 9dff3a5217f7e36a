# The proxy with a broadly pretrained stand-in (a candidate for the next
# proxy; docs/proxy.md, "A broadly pretrained stand-in"): the same FER set,
# recipe and 4-layer tower as configs/proxy/mpafer_proxy.py, but the
# stand-in CLIP was pretrained on captioned faces with the FER set's kinds
# of variation (expressions at 0.5-1.2 of their strength, roll +-15 deg,
# yaw up to 0.3, an occluder on 20 % of faces, 300 identities other than
# the FER set's), as CLIP's web images hold faces of every pose and
# expression; the FER set's identities stay unseen. Made by
# `tools/misc/pretrain_synthetic_clip.py --model mpafer-proxy-vit-64
# --out work_dirs/proxy_broad/proxy_clip_broad.pt --intensity 0.5 1.2
# --rotation 15 --yaw 0.3 --occlusion 0.2 --identities 300
# --identity-seed 2`.
_base_ = ['./mpafer_proxy.py']

model = dict(clip=dict(pretrained='work_dirs/proxy_broad/proxy_clip_broad.pt'))

# Row 1: CoOp baseline: soft text prompts only, global matching.
_base_ = ['./rafdb_2_visual_prompts.py']

model = dict(backbone=dict(num_prompts=0))

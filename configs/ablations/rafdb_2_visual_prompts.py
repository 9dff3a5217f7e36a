# Row 2: CoOp + deep visual prompts.
_base_ = ['./rafdb_3_prototype.py']

model = dict(head=dict(prototype_align_loss=None))

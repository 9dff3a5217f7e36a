# Row 3: CoOp + visual prompts + prototype alignment.
_base_ = ['./rafdb_4_soft_hard.py']

model = dict(head=dict(token_align_loss=None, prompt_align_loss=None))

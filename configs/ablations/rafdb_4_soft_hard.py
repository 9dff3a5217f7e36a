# Row 4: CoOp + visual prompts + prototype + soft-hard alignment (lambda=0).
_base_ = ['../mpafer_rafdb.py']

model = dict(head=dict(local_weight=0.0))

# CoOp + global-local alignment only (lambda=1, no visual prompts, no
# alignment losses): the global-local classifier on its own.
_base_ = ['./rafdb_1_coop.py']

model = dict(head=dict(local_weight=1.0))

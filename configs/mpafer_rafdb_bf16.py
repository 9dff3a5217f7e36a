# MPA-FER on RAF-DB in mixed precision: the frozen CLIP stored in bf16 (half
# the memory of its weights) and the forward pass under bf16 autocast, on GPU
# or CPU (bf16 needs no loss scaling). The learnable prompts, the optimizer
# state, the logits and every loss stay fp32.
# fp16 on GPU: precision='fp16' and dtype='float16' (with loss scaling).
_base_ = ['./mpafer_rafdb.py']

model = dict(clip=dict(precision='bf16'))
optim_wrapper = dict(type='MixedPrecisionOptimWrapper', dtype='bfloat16')

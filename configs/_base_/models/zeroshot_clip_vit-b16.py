# Zero-shot CLIP ViT-B/16 (OpenAI weights), the no-training baseline: the
# plain image encoder (no visual prompts) against the hard prompts of each
# class (per class: mean of the normalised hard-prompt features), no soft
# prompts, nothing trained. lambda = 0 is CLIP's zero-shot (global)
# matching; model.head.local_weight=1.0 adds the top-k patch similarity.
_base_ = ['./mpafer_vit-b16.py']

model = dict(
    backbone=dict(num_prompts=0),
    head=dict(
        _delete_=True,
        type='ZeroShotCLIPHead',
        hard_prompt_variant=3,  # template + class + description
        descriptions=None,  # the file shipped in mpafer_plugin/resources
        local_topk=16,  # k, used when local_weight > 0
        local_weight=0.0,  # lambda
        logit_scale=100.0,
    ),
)
custom_hooks = []  # no prototypes: nothing is trained

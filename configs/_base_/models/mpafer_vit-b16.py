# MPA-FER on a frozen CLIP ViT-B/16 (OpenAI weights need QuickGELU).
# The dataset config or the top-level config sets head.classnames.
model = dict(
    type='MPAFER',
    clip=dict(model_name='ViT-B-16-quickgelu', pretrained='openai'),
    data_preprocessor=dict(
        # CLIP's mean / std on the 0-255 scale, RGB.
        mean=[122.771, 116.746, 104.094],
        std=[68.501, 66.632, 70.323],
        to_rgb=True,
    ),
    backbone=dict(
        type='PromptedCLIPViT',
        num_prompts=8,  # N_p
        prompt_depth=None,  # K: None = every layer
        prompt_init_std=0.02,
        # frozen blocks' exact memory layout: 'auto' is a fixed rule
        # (sequence-first where supported: the faster one on the machines
        # measured), 'timed' measures once per shape class (opt-in: its
        # choice can differ between runs), 'batch_first' / 'sequence_first'
        # force one; see docs/performance.md
        attention_layout='auto',
    ),
    head=dict(
        type='MPAHead',
        # CoOp's soft prompts: M context vectors before each class name
        prompt_learner=dict(
            type='CoOpPromptLearner',
            num_context=10,  # M
            class_specific_context=False,
            init_std=0.02,
        ),
        hard_prompt_variant=3,  # template + class + description
        descriptions=None,  # the file shipped in mpafer_plugin/resources
        local_topk=16,  # k
        local_weight=1.0,  # lambda
        logit_scale=100.0,
        attention_layout='auto',  # the text tower's, as the backbone's
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        # beta = 1: L_t = L_ta + L_pa
        token_align_loss=dict(
            type='TokenAlignmentLoss',
            pooling='mean',
            temperature=0.07,
            loss_weight=1.0),
        # L1 on normalised features, the mean over all C x D elements
        # (F.l1_loss, as the anchors); 'norm' sums over D (D times larger)
        prompt_align_loss=dict(
            type='PromptAlignmentLoss',
            mode='l1',
            target='mean',
            reduction='mean',
            loss_weight=1.0),
        # gamma = 1
        prototype_align_loss=dict(
            type='PrototypeAlignmentLoss', mode='cosine', loss_weight=1.0),
    ),
)

# Prototypes of L_v: frozen, un-prompted CLIP, computed once, cached on disk.
custom_hooks = [dict(type='PrototypeHook', num_per_class=None)]

"""Each loss term's value and gradient norm on the trainable tensors at
initialisation, so that one sees which term dominates at which β and γ.

Usage::

    python tools/analysis_tools/loss_gradients.py configs/mpafer_rafdb.py \\
        --batch-size 8 --json-out docs/results/loss_gradients.json

The model is built from the config with random CLIP weights
(``model.clip.pretrained=None``: nothing is downloaded), on CPU, in training
mode, with its prompts as initialised (``--seed``). One batch of
normalised-image-like inputs ``N(0, 1)`` with labels ``i mod C`` (every class
present once ``B ≥ C``) runs one forward pass; the prototypes of ``L_v`` are
the class means of the frozen, un-prompted CLIP's global features of that
batch (what :class:`PrototypeHook` computes, on this batch). Then each term,
with weight 1 (the config's ``loss_weight`` left out: multiply by ``β`` or
``γ``), is differentiated on its own, and the L2 norm of its gradient on
each trainable tensor (the visual prompts ``backbone.prompts``, the text
context ``head.prompt_learner.context``) is recorded; a term that does not
reach a tensor has norm 0.

Terms: the cross-entropy of the global-local logits ``s (S_g + λ S_l)``
(the config's ``λ``) and of the global logits alone (``λ = 0``); ``L_ta``;
``L_pa`` in ``'l1'`` mode with ``reduction='mean'`` and ``'norm'`` and in
``'contrastive'`` mode; ``L_v`` in ``'cosine'`` mode and ``'l1'`` mode
(``'mean'``, ``'norm'``). Each term's other settings are the config's.

The JSON (``--json-out``; docs/results/loss_gradients.json renders
docs/method.md's table through ``python tools/misc/update_readme.py``)
records the command, date, commit and machine
(:func:`mpafer_plugin.utils.provenance`).
"""
import argparse
import json
import sys

import torch
from mmengine.config import Config, DictAction


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('--batch-size', type=int, default=8)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--json-out', default=None)
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config keys, key=value')
    return parser.parse_args(argv)


def _loss(cfg_term, default_type, **changes):
    """A loss module from the config's dict (or the type's defaults when
    the config turns the term off), with ``changes`` and weight 1."""
    from mmpretrain.registry import MODELS
    spec = dict(cfg_term or dict(type=default_type))
    spec.update(changes, loss_weight=1.0)
    return MODELS.build(spec)


def term_functions(model, cfg_head, inputs, labels):
    """``{name: (config change, loss function)}``: each term as a function
    of one forward pass (run here, in the graph of the trainable
    tensors)."""
    head = model.head
    patch_feats, global_feat = model.backbone(inputs)
    with torch.no_grad():
        _, frozen = model.backbone(inputs, use_prompts=False)
    classes = torch.arange(head.num_classes)
    prototypes = torch.stack([
        torch.nn.functional.normalize(frozen[labels == c].float(),
                                      dim=-1).mean(0) for c in classes
    ])
    learner = head.prompt_learner
    token_align = _loss(cfg_head.get('token_align_loss'), 'TokenAlignmentLoss')
    hard = head.hard_prompts.constants(head.text_encoder, token_align.pool)
    soft_embeddings = learner.embeddings(head.text_encoder)
    text_feats = learner.encode(head.text_encoder, soft_embeddings).float()

    def cross_entropy(local_weight):

        def term():
            saved = head.local_weight
            head.local_weight = local_weight
            try:
                logits = head.global_local_logits(patch_feats, global_feat,
                                                  text_feats)
            finally:
                head.local_weight = saved
            return torch.nn.functional.cross_entropy(logits, labels)

        return term

    def prompt_align(**changes):
        loss = _loss(
            cfg_head.get('prompt_align_loss'), 'PromptAlignmentLoss',
            **changes)
        return lambda: loss(text_feats, hard['features'], head.hard_prompts.
                            labels)

    def prototype_align(**changes):
        loss = _loss(
            cfg_head.get('prototype_align_loss'), 'PrototypeAlignmentLoss',
            **changes)
        return lambda: loss(global_feat.float(), prototypes, labels)

    return {
        'ce': (f'global-local logits, λ = {head.local_weight:g}',
               cross_entropy(head.local_weight)),
        'ce_global': ('global logits only, λ = 0', cross_entropy(0.0)),
        'l_ta': ('L_ta', lambda: token_align(soft_embeddings.float(
        ), learner.content_mask, hard['pooled'], head.hard_prompts.labels)),
        'l_pa_l1_mean': ("L_pa, mode='l1', reduction='mean'",
                         prompt_align(mode='l1', reduction='mean')),
        'l_pa_l1_norm': ("L_pa, mode='l1', reduction='norm'",
                         prompt_align(mode='l1', reduction='norm')),
        'l_pa_contrastive':
        ("L_pa, mode='contrastive'", prompt_align(mode='contrastive')),
        'l_v_cosine': ("L_v, mode='cosine'", prototype_align(mode='cosine')),
        'l_v_l1_mean': ("L_v, mode='l1', reduction='mean'",
                        prototype_align(mode='l1', reduction='mean')),
        'l_v_l1_norm': ("L_v, mode='l1', reduction='norm'",
                        prototype_align(mode='l1', reduction='norm')),
    }


def run(args) -> dict:
    from mmpretrain.registry import MODELS

    import mpafer_plugin  # noqa: F401  registers the components
    from mpafer_plugin.utils import provenance
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    cfg.model.clip.pretrained = None
    torch.manual_seed(args.seed)
    model = MODELS.build(cfg.model)
    model.train()
    size = model.backbone.visual.image_size
    height, width = (size, size) if isinstance(size, int) else size
    generator = torch.Generator().manual_seed(args.seed)
    inputs = torch.randn(
        args.batch_size, 3, height, width, generator=generator)
    labels = torch.arange(args.batch_size) % model.head.num_classes
    trainable = {
        name: param
        for name, param in model.named_parameters() if param.requires_grad
    }
    terms = term_functions(model, cfg.model.head, inputs, labels)
    rows = []
    for name, (what, term) in terms.items():
        value = term()
        grads = torch.autograd.grad(
            value,
            list(trainable.values()),
            retain_graph=True,
            allow_unused=True)
        rows.append(
            dict(
                term=name,
                what=what,
                value=value.item(),
                grad_norm={
                    tensor: 0.0 if grad is None else grad.norm().item()
                    for tensor, grad in zip(trainable, grads)
                }))
    return dict(
        **provenance(),
        config=args.config,
        arch=cfg.model.clip.model_name,
        pretrained=None,
        image_size=[height, width],
        batch_size=args.batch_size,
        seed=args.seed,
        device='cpu',
        threads=torch.get_num_threads(),
        trainable={
            name: list(p.shape)
            for name, p in trainable.items()
        },
        terms=rows)


def print_report(result) -> None:
    tensors = list(result['trainable'])
    print(f"{result['arch']} (random weights), batch "
          f"{result['batch_size']}, seed {result['seed']}; gradient L2 "
          'norm of each term (weight 1) on ' + ', '.join(tensors))
    for row in result['terms']:
        norms = '  '.join(f"{row['grad_norm'][t]:10.4g}" for t in tensors)
        print(f"  {row['term']:17s} {row['value']:9.4f}  {norms}  "
              f"({row['what']})")


def main(argv=None) -> dict:
    args = parse_args(argv)
    result = run(args)
    print_report(result)
    if args.json_out:
        with open(args.json_out, 'w') as f:
            json.dump(result, f, indent=2)
    sys.stdout.flush()
    return result


if __name__ == '__main__':
    main()

"""Measure what MPA-FER's components do on a dataset: the evidence behind
docs/component_table.md.

On the config's train split and validation split, both through the test
pipeline (no augmentation):

* **frozen CLIP** (un-prompted image tower): linear-probe accuracy (softmax
  regression fitted on train, scored on validation, and on train: how far
  the frozen features can be fitted at all) on the class-token
  feature ``z^g`` and on the mean of the projected patch tokens ``z^l``
  (how much the class is in each); zero-shot accuracy with the hard prompts
  (class texts = per-class mean of the normalised hard-prompt features) from
  ``S_g`` alone and from ``S_l`` alone (how well each is aligned with text),
  and from ``S_g`` on the class names alone ("a photo of {classname}.", the
  words CoOp's classifier is built on: whether the text tower knows them);
* **each checkpoint** (learned prompts): on validation, the size of ``S_g``
  and ``S_l`` (true-class value and spread across classes, i.e. how much
  each moves the logits), accuracy from ``S_g`` alone, ``S_l`` alone and
  ``S_g + λ S_l`` for several ``λ`` and ``k`` (post hoc, with the text
  features the checkpoint learnt), training-split accuracy (over-fitting),
  and for visual prompts: the prompt tokens' norm next to the image
  tokens', the cosine between prompted and un-prompted ``z^g`` (also with
  random prompts of the learnt norm instead) and a linear probe on the
  prompted ``z^g``.

Writes one JSON (``--out``: the measures, the CLIP spec, and the record
that ``tools/misc/pretrain_synthetic_clip.py`` writes beside a stand-in's
weights, when there is one) and prints a summary.

Usage:
    python tools/analysis_tools/probe_components.py CONFIG [CHECKPOINT ...]
        [--out probe.json] [--lambdas 0 0.25 0.5 1 2] [--topks 1 4 16 64]
        [--cfg-options k=v ...]
"""
import argparse
import copy
import json
import os.path as osp

import torch
import torch.nn.functional as F
from mmengine.config import Config, DictAction
from mmengine.dataset import pseudo_collate
from mmengine.registry import DefaultScope
from mmpretrain.registry import DATASETS

import mpafer_plugin  # noqa: F401  registers components
from mpafer_plugin.apis.model_init import init_model
from mpafer_plugin.models.heads.hard_prompt_bank import HardPromptBank
from mpafer_plugin.utils import CheckpointError, atomic_write, config_file
from mpafer_plugin.utils.output_guard import exit_if_output_is_input
from mpafer_plugin.utils.provenance import provenance, read_record, record_path


def load_split(cfg, loader):
    """The dataset of ``cfg[loader]`` through the validation pipeline (set
    on the innermost dataset of a wrapper such as ``StratifiedHoldout``)."""
    dataset_cfg = copy.deepcopy(cfg[loader].dataset)
    _innermost(dataset_cfg)['pipeline'] = _innermost(
        cfg.val_dataloader.dataset)['pipeline']
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return DATASETS.build(dataset_cfg)


def _innermost(dataset_cfg):
    """The dataset config a wrapper's ``dataset`` chain ends in."""
    while 'pipeline' not in dataset_cfg and 'dataset' in dataset_cfg:
        dataset_cfg = dataset_cfg['dataset']
    return dataset_cfg


@torch.no_grad()
def encode(model, dataset, batch_size=64):
    """Prompted and un-prompted ``(patch (M, N, D), global (M, D))``
    features and the ``(M,)`` labels of a whole dataset."""
    out = dict(patch=[], glob=[], patch_frozen=[], glob_frozen=[], labels=[])
    for start in range(0, len(dataset), batch_size):
        batch = pseudo_collate([
            dataset[i]
            for i in range(start, min(start + batch_size, len(dataset)))
        ])
        data = model.data_preprocessor(batch, False)
        inputs = data['inputs']
        patch, glob = model.backbone(inputs)
        patch_frozen, glob_frozen = model.backbone(inputs, use_prompts=False)
        for key, value in zip(out, (patch, glob, patch_frozen, glob_frozen)):
            out[key].append(value.float())
        out['labels'].append(
            torch.cat([s.gt_label for s in data['data_samples']]))
    return {k: torch.cat(v) for k, v in out.items()}


def linear_probe(train_x,
                 train_y,
                 val_x,
                 val_y,
                 num_classes,
                 weight_decay=1e-3,
                 steps=300):
    """``(train, validation)`` accuracy (%) of a softmax regression on
    standardised features, fitted by L-BFGS on the training split: the
    first says how far the features can be fitted at all, the second how
    far the fit carries to unseen images."""
    torch.manual_seed(0)
    mean, std = train_x.mean(0), train_x.std(0) + 1e-6
    train_x, val_x = (train_x - mean) / std, (val_x - mean) / std
    layer = torch.nn.Linear(train_x.shape[1], num_classes)
    optimizer = torch.optim.LBFGS(
        layer.parameters(), max_iter=steps, line_search_fn='strong_wolfe')

    def closure():
        optimizer.zero_grad()
        loss = F.cross_entropy(
            layer(train_x), train_y) + weight_decay * (layer.weight**2).sum()
        loss.backward()
        return loss

    with torch.enable_grad():
        optimizer.step(closure)
    with torch.no_grad():
        return accuracy(layer(train_x), train_y), accuracy(layer(val_x), val_y)


def accuracy(scores, labels):
    return 100.0 * (scores.argmax(-1) == labels).float().mean().item()


def accuracy_per_class(scores, labels, classnames):
    """Top-1 (%) of ``(M, C)`` ``scores`` on each class's images, by class
    name (``None`` for a class without images): where a zero-shot
    classifier knows a class and where it does not."""
    return {
        name:
        accuracy(scores[labels == c], labels[labels == c]) if
        (labels == c).any() else None
        for c, name in enumerate(classnames)
    }


def similarities(head, patch, glob, text, k):
    """``S_g`` and ``S_l`` ``(M, C)`` with ``k`` patches per class."""
    s_g = head.global_text_similarity(glob, text)
    values, _ = head.top_patches(head.patch_text_similarity(patch, text), k)
    return s_g, values.mean(-1)


def size(scores, labels):
    """True-class value and spread across classes (mean over samples of
    the per-sample std over classes), the part that moves the argmax."""
    true = scores.gather(1, labels[:, None]).mean().item()
    return dict(
        true_class=true,
        mean=scores.mean().item(),
        spread=scores.std(dim=1).mean().item())


def zero_shot_text(head, hard_prompt_variant=3):
    """``(C, D)`` hard-prompt class texts on the head's frozen text tower
    (variant 1: the class names alone; 3: with the default descriptions),
    as :class:`ZeroShotCLIPHead` makes them."""
    bank = HardPromptBank(head.classnames, head.text_encoder,
                          hard_prompt_variant)
    return bank.class_features(head.text_encoder)


def frozen_measures(model, train, val):
    num_classes = model.head.num_classes
    text = zero_shot_text(model.head)
    s_g, s_l = similarities(model.head, val['patch_frozen'],
                            val['glob_frozen'], text, model.head.local_topk)
    s_names = model.head.global_text_similarity(val['glob_frozen'],
                                                zero_shot_text(model.head, 1))
    class_token = linear_probe(train['glob_frozen'], train['labels'],
                               val['glob_frozen'], val['labels'], num_classes)
    mean_patch = linear_probe(train['patch_frozen'].mean(1), train['labels'],
                              val['patch_frozen'].mean(1), val['labels'],
                              num_classes)
    return dict(
        probe_class_token=class_token[1],
        probe_class_token_train=class_token[0],
        probe_mean_patch=mean_patch[1],
        probe_mean_patch_train=mean_patch[0],
        zero_shot_global=accuracy(s_g, val['labels']),
        zero_shot_local=accuracy(s_l, val['labels']),
        zero_shot_class_names=accuracy(s_names, val['labels']),
        zero_shot_global_per_class=accuracy_per_class(s_g, val['labels'],
                                                      model.head.classnames),
        zero_shot_class_names_per_class=accuracy_per_class(
            s_names, val['labels'], model.head.classnames),
        zero_shot_S_g=size(s_g, val['labels']),
        zero_shot_S_l=size(s_l, val['labels']))


@torch.no_grad()
def random_prompt_drift(model, dataset, seed=0):
    """Mean ``cos(z^g, frozen z^g)`` on ``dataset`` with the learnt prompts
    replaced by random ones of the same per-token norm: how much any prompt
    of that size rewrites the class token, whatever it learnt."""
    prompts = model.backbone.prompts
    learnt = prompts.detach().clone()
    generator = torch.Generator().manual_seed(seed)
    noise = torch.randn(learnt.shape, generator=generator)
    prompts.copy_(
        F.normalize(noise, dim=-1) * learnt.norm(dim=-1, keepdim=True))
    try:
        feats = encode(model, dataset)
    finally:
        prompts.copy_(learnt)
    return F.cosine_similarity(
        feats['glob'], feats['glob_frozen'], dim=-1).mean().item()


def checkpoint_measures(model, train, val, lambdas, topks, val_set):
    head, labels = model.head, val['labels']
    text = head.text_features().float()
    s_g, s_l = similarities(head, val['patch'], val['glob'], text,
                            head.local_topk)
    result = dict(
        local_weight=head.local_weight,
        local_topk=head.local_topk,
        S_g=size(s_g, labels),
        S_l=size(s_l, labels),
        acc_global_only=accuracy(s_g, labels),
        acc_local_only=accuracy(s_l, labels),
        acc_by_lambda={
            str(w): accuracy(s_g + w * s_l, labels)
            for w in lambdas
        },
        acc_by_topk={
            str(k):
            accuracy(
                s_g + head.local_weight *
                similarities(head, val['patch'], val['glob'], text, k)[1],
                labels)
            for k in topks if k <= val['patch'].shape[1]
        })
    train_logits = head.global_local_logits(train['patch'], train['glob'],
                                            text)
    val_logits = head.global_local_logits(val['patch'], val['glob'], text)
    result.update(
        train_acc=accuracy(train_logits, train['labels']),
        val_acc=accuracy(val_logits, labels))
    backbone = model.backbone
    if backbone.num_prompts:
        x = backbone.visual._embeds(torch.zeros(1, 3, *_image_size(backbone)))
        result.update(
            prompt_norm=backbone.prompts.norm(dim=-1).mean().item(),
            token_norm_after_ln_pre=x.norm(dim=-1).mean().item(),
            cos_prompted_vs_frozen_global=F.cosine_similarity(
                val['glob'], val['glob_frozen'], dim=-1).mean().item(),
            cos_random_prompts_vs_frozen_global=random_prompt_drift(
                model, val_set),
            **dict(
                zip(('probe_prompted_class_token_train',
                     'probe_prompted_class_token'),
                    linear_probe(train['glob'], train['labels'], val['glob'],
                                 labels, head.num_classes))))
    return result


def _image_size(backbone):
    size_ = backbone.visual.image_size
    return tuple(size_) if isinstance(size_, (tuple, list)) else (size_, ) * 2


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', type=config_file)
    parser.add_argument('checkpoints', nargs='*')
    parser.add_argument('--out', help='JSON to write')
    parser.add_argument(
        '--lambdas', type=float, nargs='+', default=[0, 0.25, 0.5, 1, 2])
    parser.add_argument('--topks', type=int, nargs='+', default=[1, 4, 16, 64])
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    inputs = dict({'CONFIG': args.config}, **{
        f'CHECKPOINTS[{i}]': c
        for i, c in enumerate(args.checkpoints)
    })
    weights = cfg.model.clip.get('pretrained')
    if weights and osp.isfile(weights):  # its record is read too
        inputs['the record beside the CLIP weights'] = record_path(weights)
    exit_if_output_is_input({'--out': args.out}, inputs, cfg)
    try:
        with torch.no_grad():
            report = probe(args, cfg)
    except (CheckpointError, FileNotFoundError) as err:  # file named
        raise SystemExit(f'error: {err}') from err
    if args.out:
        text = json.dumps(report, indent=1)
        atomic_write(args.out, lambda tmp: open(tmp, 'w').write(text))


def probe(args, cfg):
    """Every measure of the module docstring, as one JSON-able dict, on
    ``cfg`` (``args.config`` with ``args.cfg_options``)."""
    train_set, val_set = (load_split(cfg, 'train_dataloader'),
                          load_split(cfg, 'val_dataloader'))
    clip = cfg.model.clip.to_dict()
    report = dict(
        config=args.config,
        clip=clip,
        clip_pretraining=read_record(clip.get('pretrained')),
        checkpoints={},
        provenance=provenance())
    for index, checkpoint in enumerate(args.checkpoints or [None]):
        model = init_model(cfg, checkpoint)
        train, val = encode(model, train_set), encode(model, val_set)
        if index == 0:
            report['frozen_clip'] = frozen_measures(model, train, val)
            print(
                'frozen CLIP:', json.dumps(report['frozen_clip']), flush=True)
        if checkpoint is not None:
            measures = checkpoint_measures(model, train, val, args.lambdas,
                                           args.topks, val_set)
            report['checkpoints'][checkpoint] = measures
            print(f'{checkpoint}:', json.dumps(measures), flush=True)
    return report


if __name__ == '__main__':
    main()

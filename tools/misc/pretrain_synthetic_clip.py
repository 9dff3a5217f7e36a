"""Pretrain a small open_clip model, from random weights, on generated
(drawn face, attribute caption) pairs, and save it as a local CLIP
checkpoint that a config's ``clip.pretrained`` can point to, with a record
beside it (``CKPT.json``: the arguments, the style drawn, the loss of each
epoch, the wall time and the commit), which
``tools/analysis_tools/probe_components.py`` copies into its report.

MPA-FER adapts a *pretrained* CLIP; no CLIP weights can be downloaded
offline, and a random-weight CLIP carries no usable features (a linear probe
on its features stays near chance on the synthetic faces). This tool gives
the offline quick start a CLIP that has learnt what the captions name
(brows, eyes, mouth, nose; never the expression class) with CLIP's own
symmetric contrastive loss, in a few CPU minutes. It is a stand-in for the
real thing, not a model of real faces.

CLIP's loss trains the class token only: the patch tokens, which MPA-FER's
global-local term reads through the same ``ln_post`` and ``proj``, are never
asked to align with text, and in a 2-layer model they stay unaligned (see
docs/component_table.md). With ``--patch-loss-weight w > 0`` (default 1)
the same contrastive loss is also applied to a local image-caption score,
the mean of the ``--patch-topk`` largest patch-caption cosines (the form of
MPA-FER's ``S_l``, FILIP-like): ``L = L_clip(z^g) + w L_clip(S_l)``, so the
patch tokens carry caption information as a large CLIP's do.

The default peak lr (2e-3) is the quick start's. On more pairs it can
leave the embeddings collapsed (the loss flat at 2 ln batch) for half the
schedule: at 8,400 pairs and 20 epochs both proxy towers did, while 1e-3
left the plateau within 5 epochs (docs/proxy.md, "A larger stand-in").

``--scene-captions`` makes the captions name the picture's scene (pose,
occluder, face shape, skin, background) and ``--cue-rate`` how often they
name the expression at all, as web captions do (docs/proxy.md, "A stand-in
whose captions seldom name the expression"); ``--name-rate`` how often
they also name the expression's word, as web captions now and then do
(one rate, or one per class: web captions name a smile far more often than
fear; docs/proxy.md, "The class words named as often as RAF-DB's web images
show them"). The
share of captions that no other caption of their batch words alike is
printed and recorded: where it is high, the loss is met by the text's scene
words alone.

Usage: python tools/misc/pretrain_synthetic_clip.py --out CKPT
       [--model mpafer-tiny-vit-64] [--pairs 2100] [--epochs 40]
       [--batch-size 64] [--lr 2e-3] [--seed 0]
       [--patch-loss-weight 1.0] [--patch-topk 16]
       [--scene-captions ATTRIBUTE ... [--cue-rate 1.0]]
       [--name-rate RATE | --name-rate RATE x 7]
       [FaceStyle flags]
       [--describe-only]
"""
import argparse
import json
import os
import os.path as osp
import time

import numpy as np
import open_clip
import torch
import torch.nn.functional as F

import mpafer_plugin  # noqa: F401  registers the tiny architectures
from mpafer_plugin.datasets import RAFDB
from mpafer_plugin.testing.synthetic_faces import (CAPTION_PREFIX,
                                                   SCENE_ATTRIBUTES,
                                                   add_face_style_arguments,
                                                   face_style_from_args,
                                                   synthetic_captioned_faces)
from mpafer_plugin.utils import (atomic_torch_save, atomic_write, progress_bar,
                                 provenance, record_path)

CLIP_MEAN = np.array([0.48145466, 0.4578275, 0.40821073], np.float32)
CLIP_STD = np.array([0.26862954, 0.26130258, 0.27577711], np.float32)


def make_pairs(num,
               image_size,
               seed,
               tokenizer,
               style=None,
               scene_attributes=(),
               cue_rate=1.0,
               name_rate=0.0):
    """``(N, 3, S, S)`` normalised images, ``(N, 77)`` caption tokens and
    the ``N`` captions of faces drawn in ``style`` (default: the quick
    start's), captioned as ``scene_attributes``, ``cue_rate`` and
    ``name_rate`` say (``synthetic_captioned_faces``)."""
    images, captions = [], []
    progress = progress_bar(num, 'drawing captioned faces')
    for face, caption in synthetic_captioned_faces(num, image_size, seed,
                                                   style, scene_attributes,
                                                   cue_rate, name_rate):
        pixels = np.asarray(face, np.float32) / 255
        images.append(((pixels - CLIP_MEAN) / CLIP_STD).transpose(2, 0, 1))
        captions.append(caption)
        progress.update()
    print()
    return torch.from_numpy(np.stack(images)), tokenizer(captions), captions


def unique_in_batch(captions, batch_size):
    """Share of ``captions`` whose phrases (in any order) no other caption
    of their batch has, over consecutive batches of ``batch_size``: the
    pairs that the text alone singles out, so that CLIP's loss can be met
    without reading anything else in the image."""
    unique = 0
    for start in range(0, len(captions), batch_size):
        wordings = [
            frozenset(
                c.removeprefix(CAPTION_PREFIX).rstrip('.').split(', with '))
            for c in captions[start:start + batch_size]
        ]
        unique += sum(wordings.count(w) == 1 for w in wordings)
    return unique / len(captions)


def symmetric_infonce(logits):
    """Symmetric cross-entropy of ``(B, B)`` image-caption logits whose
    diagonal holds the matched pairs."""
    target = torch.arange(len(logits))
    return (F.cross_entropy(logits, target) +
            F.cross_entropy(logits.t(), target)) / 2


def contrastive_loss(image_feats, text_feats, logit_scale):
    """CLIP's symmetric InfoNCE over a batch of matched pairs."""
    return symmetric_infonce(
        logit_scale *
        F.normalize(image_feats, dim=-1) @ F.normalize(text_feats, dim=-1).t())


def patch_contrastive_loss(patch_feats, text_feats, logit_scale, topk):
    """The same InfoNCE on a local score: for image ``i`` ``(N, D)`` patches
    and caption ``j``, ``S_l(i, j)`` = mean of the ``topk`` largest
    ``cos(z^l_{i,n}, t_j)`` over patches ``n`` (MPA-FER's ``S_l``)."""
    cosines = torch.einsum('bnd,cd->bcn', F.normalize(patch_feats, dim=-1),
                           F.normalize(text_feats, dim=-1))
    local = cosines.topk(topk, dim=-1).values.mean(dim=-1)
    return symmetric_infonce(logit_scale * local)


def encode_image_and_patches(model, pixels):
    """Class-token feature ``(B, D)`` and patch features ``(B, N, D)``, both
    through ``ln_post`` and ``proj``, as :class:`PromptedCLIPViT` gives
    them."""
    model.visual.output_tokens = True
    try:
        global_feat, tokens = model.visual(pixels)
    finally:
        model.visual.output_tokens = False
    return global_feat, tokens @ model.visual.proj


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', help='checkpoint to write')
    parser.add_argument(
        '--describe-only',
        action='store_true',
        help='draw the pairs, print what the captions say, train nothing')
    parser.add_argument(
        '--model',
        default='mpafer-tiny-vit-64',
        help='open_clip architecture (random init)')
    parser.add_argument('--pairs', type=int, default=2100)
    parser.add_argument('--epochs', type=int, default=40)
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument('--lr', type=float, default=2e-3)
    parser.add_argument('--weight-decay', type=float, default=0.1)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--patch-loss-weight',
        type=float,
        default=1.0,
        help='weight of the patch-caption contrastive term; '
        '0 trains the class token only (plain CLIP)')
    parser.add_argument(
        '--patch-topk',
        type=int,
        default=16,
        help='patches averaged in the local score')
    parser.add_argument(
        '--scene-captions',
        nargs='+',
        default=[],
        choices=SCENE_ATTRIBUTES,
        metavar='ATTRIBUTE',
        help='what every caption also names, as web captions of faces do: '
        f'any of {", ".join(SCENE_ATTRIBUTES)}')
    parser.add_argument(
        '--cue-rate',
        type=float,
        default=1.0,
        help="fraction of captions that name the expression's cues "
        '(below 1 needs --scene-captions)')
    parser.add_argument(
        '--name-rate',
        type=float,
        nargs='+',
        default=[0.0],
        metavar='RATE',
        help="fraction of captions that also name the expression's word "
        '("a look of Happiness"), as web captions now and then do: one '
        "rate for all classes, or one per class in RAF-DB's order")
    add_face_style_arguments(
        parser, 'how the pretraining faces are drawn (FaceStyle; the '
        "defaults are the quick start's faces)")
    args = parser.parse_args(argv)
    style = face_style_from_args(args)
    if not args.out and not args.describe_only:
        parser.error('--out is required (or --describe-only).')
    num_classes = len(RAFDB.METAINFO['classes'])
    if len(args.name_rate) not in (1, num_classes):
        parser.error(f'--name-rate takes one rate or {num_classes} (one per '
                     f'class: {", ".join(RAFDB.METAINFO["classes"])}), '
                     f'not {len(args.name_rate)}.')
    if not all(0 <= rate <= 1 for rate in args.name_rate):
        parser.error(f'--name-rate {" ".join(map(str, args.name_rate))} '
                     'must lie in [0, 1].')
    if len(args.name_rate) == 1:  # recorded as before: one number
        args.name_rate = args.name_rate[0]
    if args.cue_rate < 1 and not args.scene_captions:
        parser.error(f'--cue-rate {args.cue_rate} leaves captions with '
                     'nothing to name: add --scene-captions.')

    torch.manual_seed(args.seed)
    model = open_clip.create_model(args.model)
    image_size = model.visual.image_size
    image_size = image_size[0] if isinstance(image_size, tuple) else image_size
    print(f'Drawing {args.pairs} captioned faces at {image_size} px, style '
          f'{style.to_dict()}')
    images, tokens, captions = make_pairs(args.pairs, image_size, args.seed,
                                          open_clip.get_tokenizer(args.model),
                                          style, args.scene_captions,
                                          args.cue_rate, args.name_rate)
    unique = unique_in_batch(captions, args.batch_size)
    print(f'{unique:.1%} of the captions are the only one of their wording '
          f'in their batch of {args.batch_size}; e.g. "{captions[0]}"')
    if args.describe_only:
        return

    steps_per_epoch = len(images) // args.batch_size
    if steps_per_epoch == 0:
        raise ValueError(f'--pairs {args.pairs} is smaller than '
                         f'--batch-size {args.batch_size}.')
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer,
        args.lr,
        total_steps=args.epochs * steps_per_epoch,
        pct_start=0.1)
    model.train()
    start, losses = time.time(), []
    for epoch in range(1, args.epochs + 1):
        order = torch.randperm(len(images))
        total = 0.0
        for step in range(steps_per_epoch):
            batch = order[step * args.batch_size:(step + 1) * args.batch_size]
            pixels = images[batch]
            flip = torch.rand(len(batch)) < 0.5
            pixels = torch.where(flip[:, None, None, None], pixels.flip(-1),
                                 pixels)
            image_feats, patch_feats = encode_image_and_patches(model, pixels)
            text_feats = model.encode_text(tokens[batch])
            logit_scale = model.logit_scale.exp()
            loss = contrastive_loss(image_feats, text_feats, logit_scale)
            if args.patch_loss_weight:
                loss = loss + args.patch_loss_weight * patch_contrastive_loss(
                    patch_feats, text_feats, logit_scale, args.patch_topk)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            with torch.no_grad():  # as CLIP: scale at most 100
                model.logit_scale.clamp_(0, np.log(100))
            total += loss.item()
        losses.append(round(total / steps_per_epoch, 4))
        print(
            f'epoch {epoch}/{args.epochs}  contrastive loss '
            f'{total / steps_per_epoch:.3f}  ({time.time() - start:.0f} s)',
            flush=True)
    # a record left by an earlier run must not describe these weights, even
    # if this process is killed between the two writes
    if osp.exists(record_path(args.out)):
        os.remove(record_path(args.out))
    atomic_torch_save(model.state_dict(), args.out)
    record = dict(
        vars(args),
        style=style.to_dict(),
        captions_unique_in_batch=round(unique, 4),
        epoch_losses=losses,
        wall_s=round(time.time() - start, 1),
        provenance=provenance())
    atomic_write(
        record_path(args.out),
        lambda tmp: open(tmp, 'w').write(json.dumps(record, indent=1)))
    print(f'Saved {args.model} weights to {args.out}; use '
          f"clip=dict(model_name='{args.model}', pretrained='{args.out}')")


if __name__ == '__main__':
    main()

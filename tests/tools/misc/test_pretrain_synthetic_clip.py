"""The quick start's CLIP pretraining writes a checkpoint that the real
loading path (a local file as `pretrained`) accepts, and it learns."""
import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mpafer_plugin.models import load_clip
from mpafer_plugin.models.utils.hard_prompts import DEFAULT_DESCRIPTIONS
from mpafer_plugin.testing.synthetic_faces import (describe_face,
                                                   synthetic_captioned_faces)
from mpafer_plugin.utils import read_record
from tools.misc.pretrain_synthetic_clip import (contrastive_loss,
                                                encode_image_and_patches, main,
                                                patch_contrastive_loss)

PREFIX = 'a photo of a face with '


def phrases(caption):
    assert caption.startswith(PREFIX) and caption.endswith('.')
    return caption[len(PREFIX):-1].split(', with ')


def test_captions_name_attributes_never_the_class():
    classes = ('surprise', 'fear', 'disgust', 'happ', 'sad', 'anger',
               'neutral')
    captions = [c for _, c in synthetic_captioned_faces(14, 32, seed=0)]
    assert all(not any(k in c.lower() for k in classes) for c in captions)
    smile = np.array([0.1, 0.0, 0.8, 1.0, 0.3, 1.3, 0.0, 0.0])
    full = phrases(describe_face(smile, np.random.default_rng(0), keep=1.0))
    assert 'mouth corners pulled up and back' in full
    assert 'mouth slightly open' in full and 'lips closed' not in full
    rng = np.random.default_rng(0)
    partial = [phrases(describe_face(smile, rng)) for _ in range(50)]
    assert all(set(p) <= set(full) and p for p in partial)
    assert min(map(len, partial)) < len(full)  # phrases are dropped


def test_caption_vocabulary_is_the_descriptions_vocabulary():
    """Every caption phrase is words of the shipped descriptions, so the
    hard prompts speak the language the stand-in CLIP learnt."""
    with open(DEFAULT_DESCRIPTIONS, encoding='utf-8') as f:
        descriptions = f.read()
    captions = [c for _, c in synthetic_captioned_faces(140, 32, seed=0)]
    used = {p for c in captions for p in phrases(c)}
    assert len(used) >= 12
    assert all(p in descriptions for p in used), used


BROAD = dict(
    intensity=(0.5, 1.2),
    rotation=15,
    yaw=0.3,
    occlusion=0.2,
    identities=300,
    identity_seed=2)


def test_scene_captions_name_the_picture_and_seldom_the_cues():
    """``scene_attributes=SCENE_ATTRIBUTES``: every caption names pose,
    face shape, skin and background (and the occluder when there is one),
    in phrases that are not the descriptions'; the expression's cues, in
    the descriptions' words, only in a fraction ``cue_rate`` of the
    captions; fewer attributes, fewer phrases."""
    from mpafer_plugin.testing import FaceStyle
    from mpafer_plugin.testing.synthetic_faces import (SCENE_ATTRIBUTES,
                                                       SCENE_FACE_SHAPES,
                                                       SCENE_OCCLUDERS,
                                                       SCENE_POSES, SCENE_SKIN,
                                                       describe_scene)
    with open(DEFAULT_DESCRIPTIONS, encoding='utf-8') as f:
        descriptions = f.read()

    def captions(style, cue_rate, num=700, attributes=SCENE_ATTRIBUTES):
        return [
            phrases(c) for _, c in synthetic_captioned_faces(
                num,
                16,
                seed=0,
                style=style,
                scene_attributes=attributes,
                cue_rate=cue_rate)
        ]

    web = captions(FaceStyle(**BROAD), 0.1)
    cues = [[p for p in c if p in descriptions] for c in web]
    scene = [[p for p in c if p not in descriptions] for c in web]
    assert all(len(s) + len(c) == len(p) for s, c, p in zip(scene, cues, web))
    named = sum(map(bool, cues))
    assert 40 <= named <= 100, named  # Binomial(700, 0.1): 70 +- 8
    for phrases_ in scene:
        assert len([p for p in phrases_ if p in SCENE_POSES[:2]]) == 1
        assert len([p for p in phrases_ if p in SCENE_FACE_SHAPES]) == 1
        assert len([p for p in phrases_ if p in SCENE_SKIN]) == 1
        assert len([p for p in phrases_ if p.endswith(' background')]) == 1
    used = {p for c in scene for p in c}
    assert set(SCENE_OCCLUDERS.values()) | set(SCENE_FACE_SHAPES) <= used
    assert not any(p in descriptions for p in used)
    # the phrases follow what is drawn: the quick start's faces never turn
    # or wear anything and have one face shape; an occluder on every face
    # is always named; no cues at a rate of 0
    plain = {p for c in captions(FaceStyle(), 0.0, 70) for p in c}
    assert 'an oval face shape' in plain and SCENE_POSES[0] in plain
    assert not plain & (
        set(SCENE_OCCLUDERS.values())
        | {SCENE_POSES[1], SCENE_FACE_SHAPES[0], SCENE_FACE_SHAPES[2]})
    covered = captions(FaceStyle(occlusion=1.0), 0.0, 70)
    assert all(set(c) & set(SCENE_OCCLUDERS.values()) for c in covered)
    # pose, occluder and face shape only: no skin, no background
    three = captions(
        FaceStyle(**BROAD),
        0.0,
        70,
        attributes=('pose', 'occluder', 'face_shape'))
    assert {p
            for c in three
            for p in c} == (
                set(SCENE_POSES) | set(SCENE_OCCLUDERS.values())
                | set(SCENE_FACE_SHAPES))
    with pytest.raises(ValueError, match='cue_rate=0.5'):
        describe_face(np.zeros(8), np.random.default_rng(0), cue_rate=0.5)
    with pytest.raises(ValueError, match=r"unknown attributes \['hair'\]"):
        describe_scene({}, ('pose', 'hair'))


def _web_captions(num, **name_rate):
    """``num`` captions of broad faces naming the pose, the cues in 30 %,
    and the class word as ``name_rate=`` says (nothing drawn without)."""
    from mpafer_plugin.testing import FaceStyle
    return [
        c for _, c in synthetic_captioned_faces(
            num,
            16,
            style=FaceStyle(**BROAD),
            scene_attributes=('pose', ),
            cue_rate=0.3,
            **name_rate)
    ]


def test_name_rate_names_the_class_word_in_that_share_of_captions():
    """``name_rate``: the caption names its own class's word ("a look of
    happiness") in that fraction of the pairs, never another class's; at
    0 the captions are those without the option, bit for bit."""
    from mpafer_plugin.datasets import RAFDB
    classes = RAFDB.METAINFO['classes']

    def captions(name_rate):
        return _web_captions(350, name_rate=name_rate)

    for index, caption in enumerate(captions(1.0)):
        named = [c for c in classes if f'a look of {c}' in caption]
        assert named == [classes[index % len(classes)]], caption
    some = sum('a look of' in c for c in captions(0.3))
    assert 70 <= some <= 140, some  # Binomial(350, 0.3): 105 +- 9
    none = captions(0.0)
    assert not any('a look of' in c for c in none)
    assert none == _web_captions(350)
    with pytest.raises(ValueError, match='name_rate=0.5'):
        describe_face(np.zeros(8), np.random.default_rng(0), name_rate=0.5)


def test_name_rate_per_class_names_each_class_at_its_own_rate():
    """One rate per class (RAFDB's order): a class at rate 1 is named in
    every caption of it, a class at 0 never; the same rate given for every
    class draws what the single rate draws, bit for bit; a list of the
    wrong length is refused with the class count."""

    def captions(name_rate):
        return _web_captions(70, name_rate=name_rate)

    rates = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0]
    for index, caption in enumerate(captions(rates)):
        assert ('a look of' in caption) == bool(rates[index % 7]), caption
    assert captions([0.3] * 7) == captions(0.3)
    with pytest.raises(ValueError, match=r'one per class \(7 classes\)'):
        captions([0.1, 0.2])


def test_contrastive_loss_is_clip_infonce():
    feats = torch.eye(3)
    assert contrastive_loss(feats, feats, 100.0) < 1e-3  # matched pairs
    shuffled = feats[[1, 2, 0]]
    assert contrastive_loss(feats, shuffled, 100.0) > 50  # mismatched
    same = torch.ones(3, 3)  # indistinguishable: log(batch size)
    assert abs(float(contrastive_loss(same, same, 1.0)) - np.log(3)) < 1e-5


def test_writes_a_loadable_checkpoint(tmp_path, capsys):
    out = tmp_path / 'clip.pt'
    main([
        '--out',
        str(out), '--pairs', '16', '--batch-size', '8', '--epochs', '2',
        '--lr', '1e-3'
    ])
    torch.manual_seed(0)
    random = load_clip('mpafer-tiny-vit-64', None).state_dict()
    loaded = load_clip('mpafer-tiny-vit-64', str(out)).state_dict()
    saved = torch.load(out, weights_only=True)
    assert set(saved) == set(loaded)
    assert all(torch.equal(saved[k], loaded[k]) for k in saved)
    assert not torch.equal(loaded['visual.conv1.weight'],
                           random['visual.conv1.weight'])
    log = capsys.readouterr().out
    printed = re.findall(r'epoch \d/2 +contrastive loss ([\d.]+)', log)
    assert len(printed) == 2
    # the record beside the weights says how they were made
    record = read_record(str(out))
    assert (record['pairs'], record['epochs'],
            record['model']) == (16, 2, 'mpafer-tiny-vit-64')
    assert record['style']['identities'] == 0  # the quick start's faces
    assert [f'{loss:.3f}' for loss in record['epoch_losses']] == printed
    assert record['wall_s'] > 0 and record['provenance']['command']
    assert (record['scene_captions'], record['cue_rate']) == ([], 1.0)
    assert 0 <= record['captions_unique_in_batch'] <= 1


def test_unique_in_batch_counts_wordings_in_any_order():
    from tools.misc.pretrain_synthetic_clip import unique_in_batch
    same = [PREFIX + 'a, with b.', PREFIX + 'b, with a.', PREFIX + 'c.']
    assert unique_in_batch(same, 3) == 1 / 3  # only 'c' is singled out
    assert unique_in_batch(same, 1) == 1.0
    assert unique_in_batch(same * 2, 3) == 1 / 3  # per batch, not overall


def test_describe_only_prints_the_captions_and_trains_nothing(
        tmp_path, capsys):
    main([
        '--pairs', '14', '--batch-size', '7', '--scene-captions', 'pose',
        '--cue-rate', '0', '--describe-only'
    ])
    out = capsys.readouterr().out
    # one pose phrase of two per caption: at most 2 of 7 singled out
    share = float(re.search(r'([\d.]+)% of the captions', out).group(1))
    assert share <= 100 * 4 / 14
    assert 'a photo of a face with the head' in out
    assert 'epoch' not in out and not list(tmp_path.iterdir())
    with pytest.raises(SystemExit):
        main(['--pairs', '14'])
    assert '--out is required' in capsys.readouterr().err


def test_name_rate_outside_0_1_is_refused(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(['--out', str(tmp_path / 'clip.pt'), '--name-rate', '1.5'])
    assert '--name-rate 1.5 must lie in [0, 1]' in capsys.readouterr().err
    assert not (tmp_path / 'clip.pt').exists()


def test_name_rate_takes_one_rate_or_one_per_class(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(['--out', str(tmp_path / 'clip.pt'), '--name-rate', '0.1', '0.2'])
    assert '--name-rate takes one rate or 7 (one per class: Surprise, Fear' \
        in capsys.readouterr().err
    assert not (tmp_path / 'clip.pt').exists()


def test_cue_rate_needs_scene_captions(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(['--out', str(tmp_path / 'clip.pt'), '--cue-rate', '0.1'])
    assert 'add --scene-captions' in capsys.readouterr().err
    assert not (tmp_path / 'clip.pt').exists()


def test_pretraining_faces_in_another_style():
    """``--yaw --occlusion --identities …`` draw the pretraining faces in
    that FaceStyle (deterministically, captions unchanged: they name the
    drawn attributes); the defaults are the quick start's faces."""
    import argparse

    from mpafer_plugin.testing import FaceStyle
    from mpafer_plugin.testing.synthetic_faces import (
        add_face_style_arguments, face_style_from_args)
    parser = argparse.ArgumentParser()
    add_face_style_arguments(parser, 'style')
    assert face_style_from_args(parser.parse_args([])) == FaceStyle()
    style = face_style_from_args(
        parser.parse_args([
            '--intensity', '0.5', '1.2', '--yaw', '0.3', '--occlusion', '1',
            '--identities', '300', '--identity-seed', '2'
        ]))
    assert style == FaceStyle(
        intensity=(0.5, 1.2),
        yaw=0.3,
        occlusion=1.0,
        identities=300,
        identity_seed=2)

    def pairs(style=None):
        return list(synthetic_captioned_faces(7, 32, seed=0, style=style))

    default, styled = pairs(), pairs(style)
    assert all(
        np.array_equal(np.asarray(a), np.asarray(b))
        for (a, _), (b, _) in zip(default, pairs(FaceStyle())))
    assert all(
        np.array_equal(np.asarray(a), np.asarray(b))
        for (a, _), (b, _) in zip(styled, pairs(style)))
    assert not any(
        np.array_equal(np.asarray(a), np.asarray(b))
        for (a, _), (b, _) in zip(default, styled))
    assert all(caption.startswith(PREFIX) for _, caption in styled)


def test_patch_contrastive_loss_scores_the_best_patches():
    """``S_l(i, j)`` = mean of the top-k patch-caption cosines: an image
    matches its caption when k of its patches do, whatever the others."""
    text = F.pad(torch.eye(3), (0, 1))  # captions: 3 of 4 directions
    noise = torch.tensor([0.0, 0.0, 0.0, 1.0])  # the 4th
    patches = torch.stack(
        [torch.stack([text[i], text[i], noise, noise]) for i in range(3)])
    assert patch_contrastive_loss(patches, text, 100.0, topk=2) < 1e-3
    assert patch_contrastive_loss(patches, text[[1, 2, 0]], 100.0, topk=2) > 50
    # with k = 4 the noise patches halve the matched score: still matched
    assert patch_contrastive_loss(patches, text, 100.0, topk=4) < 1e-3


def test_patch_features_are_the_backbones(tiny_clip):
    """The pretraining's patch features are what MPA-FER's backbone reads
    (``ln_post`` then ``proj``, prompts off)."""
    from mpafer_plugin.models.backbones import PromptedCLIPViT
    pixels = torch.randn(2, 3, 224, 224)
    global_feat, patch_feats = encode_image_and_patches(tiny_clip, pixels)
    backbone = PromptedCLIPViT(clip_model=tiny_clip, num_prompts=0)
    want_patch, want_global = backbone(pixels)
    torch.testing.assert_close(patch_feats, want_patch)
    torch.testing.assert_close(global_feat, want_global)
    assert not tiny_clip.visual.output_tokens  # left as it was


def test_a_killed_run_leaves_no_stale_record(tmp_path, monkeypatch):
    """An earlier run's record is removed before the new weights are
    written, so a run killed between the two writes leaves weights with no
    record, never with another run's."""
    import tools.misc.pretrain_synthetic_clip as tool
    out = tmp_path / 'clip.pt'
    (tmp_path / 'clip.pt.json').write_text('{"pairs": 2100}')

    def killed(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(tool, 'atomic_torch_save', killed)
    with pytest.raises(KeyboardInterrupt):
        main([
            '--out',
            str(out), '--pairs', '16', '--batch-size', '8', '--epochs', '1'
        ])
    assert not (tmp_path / 'clip.pt.json').exists()

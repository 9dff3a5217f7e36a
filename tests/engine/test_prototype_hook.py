import os
import re
import shutil

import pytest
import torch
from mmengine.dataset import pseudo_collate
from mmengine.runner import Runner
from mmpretrain.registry import DATASETS, HOOKS
from PIL import Image

from mpafer_plugin.datasets import RAFDB
from ..conftest import CLASSNAMES, quickstart_cfg
from ..datasets.fixtures import captured_log


def build_runner(tmp_path, data_root, **head):
    torch.manual_seed(0)
    return Runner.from_cfg(
        quickstart_cfg(tmp_path / 'work', data_root, **head))


def by_hand(runner, subset=None):
    """Per-class mean of open_clip's own encode_image, no prompts."""
    cfg = runner.cfg
    dataset = DATASETS.build(
        dict(cfg.train_dataloader.dataset, pipeline=cfg.test_pipeline))
    model = runner.model
    indices = subset if subset is not None else range(len(dataset))
    sums, counts = torch.zeros(7, 64), torch.zeros(7)
    with torch.no_grad():
        for i in indices:
            data = model.data_preprocessor(pseudo_collate([dataset[i]]))
            feat = model.backbone.visual(data['inputs'])[0]
            label = dataset.get_gt_labels()[i]
            sums[label] += feat
            counts[label] += 1
    return sums / counts[:, None]


def test_prototypes_equal_class_means_of_frozen_clip(tmp_path,
                                                     synthetic_rafdb):
    runner = build_runner(tmp_path, synthetic_rafdb)
    hook = HOOKS.build(
        dict(
            type='PrototypeHook',
            batch_size=5,
            cache_dir=str(tmp_path / 'cache')))
    hook.before_train(runner)
    head = runner.model.head
    assert bool(head.prototypes_ready)
    torch.testing.assert_close(
        head.prototypes, by_hand(runner), rtol=1e-4, atol=1e-5)
    assert len(list((tmp_path / 'cache').glob('*.pth'))) == 1


def test_cache_is_reused_and_keyed_by_weights(tmp_path, synthetic_rafdb,
                                              monkeypatch):
    cache = str(tmp_path / 'cache')
    first = build_runner(tmp_path, synthetic_rafdb)
    HOOKS.build(dict(type='PrototypeHook',
                     cache_dir=cache)).before_train(first)
    second = build_runner(tmp_path, synthetic_rafdb)
    calls = []
    forward = second.model.backbone.forward
    monkeypatch.setattr(second.model.backbone, 'forward',
                        lambda *a, **k: calls.append(1) or forward(*a, **k))
    HOOKS.build(dict(type='PrototypeHook',
                     cache_dir=cache)).before_train(second)
    assert calls == []  # loaded from disk, nothing encoded
    torch.testing.assert_close(second.model.head.prototypes,
                               first.model.head.prototypes)
    # other backbone weights: a new key, computed again
    second.model.head.prototypes_ready.fill_(False)
    with torch.no_grad():
        second.model.backbone.visual.proj.mul_(2)
    HOOKS.build(dict(type='PrototypeHook',
                     cache_dir=cache)).before_train(second)
    assert calls and len(list((tmp_path / 'cache').glob('*.pth'))) == 2


def test_subset_per_class(tmp_path, synthetic_rafdb):
    runner = build_runner(tmp_path, synthetic_rafdb)
    hook = HOOKS.build(
        dict(
            type='PrototypeHook',
            num_per_class=3,
            seed=1,
            cache_dir=str(tmp_path / 'cache')))
    dataset = DATASETS.build(
        dict(
            runner.cfg.train_dataloader.dataset,
            pipeline=runner.cfg.test_pipeline))
    subset = hook._subset(dataset)
    labels = dataset.get_gt_labels()[subset]
    assert sorted(labels.tolist()) == sorted(list(range(7)) * 3)
    hook.before_train(runner)
    torch.testing.assert_close(
        runner.model.head.prototypes,
        by_hand(runner, subset),
        rtol=1e-4,
        atol=1e-5)


def prototype_hook(runner):
    return next(h for h in runner.hooks if type(h).__name__ == 'PrototypeHook')


def refuse_to_compute(runner, monkeypatch):

    def fail(*args, **kwargs):
        raise AssertionError('prototypes computed')

    monkeypatch.setattr(runner.model, 'compute_prototypes', fail)


def test_checkpoint_prototypes_are_kept_only_for_their_data(
        tmp_path, synthetic_rafdb, monkeypatch):
    first = build_runner(tmp_path, synthetic_rafdb)
    prototype_hook(first).before_train(first)
    first.save_checkpoint(
        str(tmp_path),
        'first.pth',
        save_optimizer=False,
        save_param_scheduler=False)
    assert torch.load(
        tmp_path / 'first.pth',
        weights_only=False)['meta']['prototype_key'] == prototype_hook(
            first).key
    shutil.rmtree(tmp_path / 'prototype_cache')

    # the same data: the checkpoint's prototypes are kept, nothing encoded
    same = build_runner(tmp_path, synthetic_rafdb)
    same._load_from = str(tmp_path / 'first.pth')
    same.load_or_resume()
    refuse_to_compute(same, monkeypatch)
    prototype_hook(same).before_train(same)
    assert torch.equal(same.model.head.prototypes, first.model.head.prototypes)

    # another dataset (same layout and names, one image changed): replaced
    other_root = tmp_path / 'other'
    shutil.copytree(synthetic_rafdb, other_root)
    image = other_root / 'Image' / 'aligned' / 'train_00001_aligned.jpg'
    Image.new('RGB', (64, 64), (255, 0, 0)).save(image)
    other = build_runner(tmp_path, str(other_root))
    other._load_from = str(tmp_path / 'first.pth')
    other.load_or_resume()
    with captured_log() as log:
        prototype_hook(other).before_train(other)
    assert 'computed them on other data' in log.getvalue()
    assert not torch.allclose(other.model.head.prototypes,
                              first.model.head.prototypes)
    torch.testing.assert_close(
        other.model.head.prototypes, by_hand(other), rtol=1e-4, atol=1e-5)


def test_cache_key_follows_contents_and_absolute_paths(tmp_path,
                                                       synthetic_rafdb,
                                                       monkeypatch):
    cache = str(tmp_path / 'cache')
    for checkout in ('a', 'b'):  # two checkouts, data_root='data' in each
        shutil.copytree(synthetic_rafdb, tmp_path / checkout / 'data')
    files = []
    for checkout in ('a', 'b', 'b'):
        monkeypatch.chdir(tmp_path / checkout)
        runner = build_runner(tmp_path, 'data')
        if len(files) == 2:
            # an image rewritten in place: same path, other contents
            image = 'data/Image/aligned/train_00001_aligned.jpg'
            Image.new('RGB', (64, 64), (0, 0, 255)).save(image)
            os.utime(image, ns=(1, 1))
        HOOKS.build(dict(type='PrototypeHook',
                         cache_dir=cache)).before_train(runner)
        files.append(len(list((tmp_path / 'cache').glob('*.pth'))))
    assert files == [1, 2, 3]  # each a new key, computed again


def test_nan_in_cached_prototypes_is_recomputed_naming_the_file(
        tmp_path, synthetic_rafdb):
    cache = tmp_path / 'cache'
    runner = build_runner(tmp_path, synthetic_rafdb)
    HOOKS.build(dict(type='PrototypeHook',
                     cache_dir=str(cache))).before_train(runner)
    good = runner.model.head.prototypes.clone()
    (path, ) = cache.glob('*.pth')
    saved = torch.load(path, weights_only=True)
    saved['prototypes'][2, 5] = float('nan')
    torch.save(saved, path)
    runner.model.head.prototypes_ready.fill_(False)
    with captured_log() as log:
        HOOKS.build(dict(type='PrototypeHook',
                         cache_dir=str(cache))).before_train(runner)
    assert (f'the cached prototypes {path} are damaged: NaN or infinite '
            f'prototypes. Computing them again') in log.getvalue()
    torch.testing.assert_close(runner.model.head.prototypes, good)
    assert torch.isfinite(torch.load(path,
                                     weights_only=True)['prototypes']).all()


def test_unwritable_cache_folder_is_a_warning(tmp_path, synthetic_rafdb):
    (tmp_path / 'file').write_text('not a folder')
    runner = build_runner(tmp_path, synthetic_rafdb)
    with captured_log() as log:
        HOOKS.build(
            dict(
                type='PrototypeHook',
                cache_dir=str(tmp_path / 'file' /
                              'cache'))).before_train(runner)
    assert 'cannot write the prototype cache' in log.getvalue()
    assert '$MPAFER_CACHE' in log.getvalue()
    assert bool(runner.model.head.prototypes_ready)
    torch.testing.assert_close(
        runner.model.head.prototypes, by_hand(runner), rtol=1e-4, atol=1e-5)


def test_the_pass_reuses_the_built_training_set(tmp_path, synthetic_rafdb,
                                                monkeypatch):
    runner = build_runner(tmp_path, synthetic_rafdb)
    runner.train_dataloader  # built by the runner before the hook runs
    loaders = []
    build = Runner.build_dataloader
    monkeypatch.setattr(RAFDB, 'load_data_list', lambda self: 1 / 0)
    monkeypatch.setattr(
        Runner, 'build_dataloader',
        staticmethod(
            lambda cfg, **kw: loaders.append(cfg) or build(cfg, **kw)))
    HOOKS.build(dict(type='PrototypeHook',
                     cache_dir=str(tmp_path))).before_train(runner)
    (cfg, ) = loaders
    assert cfg['sampler'] == dict(
        type='DefaultSampler', shuffle=False, round_up=False)
    assert len(cfg['dataset']) == 84


def test_compute_prototypes_refuses_an_empty_class(tmp_path, synthetic_rafdb):
    runner = build_runner(tmp_path, synthetic_rafdb)
    dataset = DATASETS.build(
        dict(
            runner.cfg.train_dataloader.dataset,
            pipeline=runner.cfg.test_pipeline))
    loader = Runner.build_dataloader(
        dict(
            dataset=dataset.get_subset(list(range(12))),
            sampler=dict(type='DefaultSampler', shuffle=False),
            batch_size=4,
            collate_fn=dict(type='pseudo_collate')))
    present = set(dataset.get_gt_labels()[:12].tolist())
    missing = [
        name for i, name in enumerate(dataset.metainfo['classes'])
        if i not in present
    ]
    assert missing
    with pytest.raises(
            ValueError,
            match=re.escape(f'No training image of class(es) {missing}')):
        runner.model.compute_prototypes(loader)


def test_class_count_mismatch_is_an_error(tmp_path, synthetic_rafdb):
    runner = build_runner(tmp_path, synthetic_rafdb, classnames=CLASSNAMES[:6])
    with pytest.raises(ValueError, match='has 7 classes .* head has 6'):
        HOOKS.build(dict(type='PrototypeHook',
                         cache_dir=str(tmp_path))).before_train(runner)


def test_off_when_prototype_loss_is_off(tmp_path, synthetic_rafdb):
    runner = build_runner(tmp_path, synthetic_rafdb, prototype_align_loss=None)
    HOOKS.build(dict(type='PrototypeHook',
                     cache_dir=str(tmp_path / 'cache'))).before_train(runner)
    assert not (tmp_path / 'cache').exists()


def test_unreadable_cache_file_is_recomputed(tmp_path, synthetic_rafdb):
    cache = tmp_path / 'cache'
    runner = build_runner(tmp_path, synthetic_rafdb)
    HOOKS.build(dict(type='PrototypeHook',
                     cache_dir=str(cache))).before_train(runner)
    good = runner.model.head.prototypes.clone()
    (path, ) = cache.glob('*.pth')
    path.write_bytes(b'truncated')
    runner.model.head.prototypes_ready.fill_(False)
    runner.model.head.prototypes.zero_()
    HOOKS.build(dict(type='PrototypeHook',
                     cache_dir=str(cache))).before_train(runner)
    torch.testing.assert_close(runner.model.head.prototypes, good)
    assert torch.equal(
        torch.load(path, weights_only=True)['prototypes'],
        runner.model.head.prototypes)


def test_training_set_without_its_own_pipeline_is_refused(
        tmp_path, synthetic_rafdb):
    cfg = quickstart_cfg(tmp_path / 'work', synthetic_rafdb)
    one = cfg.train_dataloader.dataset
    cfg.train_dataloader.dataset = dict(
        type='ConcatDataset', datasets=[one, one])
    runner = Runner.from_cfg(cfg)
    with pytest.raises(
            TypeError,
            match=r'the training set \(ConcatDataset\)'
            r' has no pipeline of its own'):
        HOOKS.build(dict(type='PrototypeHook',
                         cache_dir=str(tmp_path))).before_train(runner)

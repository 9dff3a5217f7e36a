import pytest
import torch
from mmengine.dataset import pseudo_collate
from mmengine.runner import Runner
from mmpretrain.registry import DATASETS, HOOKS

from ..conftest import CLASSNAMES, quickstart_cfg


def build_runner(tmp_path, data_root, **head):
    torch.manual_seed(0)
    return Runner.from_cfg(quickstart_cfg(tmp_path / 'work', data_root,
                                          **head))


def by_hand(runner, subset=None):
    """Per-class mean of open_clip's own encode_image, no prompts."""
    cfg = runner.cfg
    dataset = DATASETS.build(dict(cfg.train_dataloader.dataset,
                                  pipeline=cfg.test_pipeline))
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
    hook = HOOKS.build(dict(type='PrototypeHook', batch_size=5,
                            cache_dir=str(tmp_path / 'cache')))
    hook.before_train(runner)
    head = runner.model.head
    assert bool(head.prototypes_ready)
    torch.testing.assert_close(head.prototypes, by_hand(runner),
                               rtol=1e-4, atol=1e-5)
    assert len(list((tmp_path / 'cache').glob('*.pth'))) == 1


def test_cache_is_reused_and_keyed_by_weights(tmp_path, synthetic_rafdb,
                                              monkeypatch):
    cache = str(tmp_path / 'cache')
    first = build_runner(tmp_path, synthetic_rafdb)
    HOOKS.build(dict(type='PrototypeHook', cache_dir=cache)).before_train(
        first)
    second = build_runner(tmp_path, synthetic_rafdb)
    calls = []
    forward = second.model.backbone.forward
    monkeypatch.setattr(second.model.backbone, 'forward',
                        lambda *a, **k: calls.append(1) or forward(*a, **k))
    HOOKS.build(dict(type='PrototypeHook', cache_dir=cache)).before_train(
        second)
    assert calls == []  # loaded from disk, nothing encoded
    torch.testing.assert_close(second.model.head.prototypes,
                               first.model.head.prototypes)
    # other backbone weights: a new key, computed again
    second.model.head.prototypes_ready.fill_(False)
    with torch.no_grad():
        second.model.backbone.visual.proj.mul_(2)
    HOOKS.build(dict(type='PrototypeHook', cache_dir=cache)).before_train(
        second)
    assert calls and len(list((tmp_path / 'cache').glob('*.pth'))) == 2


def test_subset_per_class(tmp_path, synthetic_rafdb):
    runner = build_runner(tmp_path, synthetic_rafdb)
    hook = HOOKS.build(dict(type='PrototypeHook', num_per_class=3, seed=1,
                            cache_dir=str(tmp_path / 'cache')))
    dataset = DATASETS.build(dict(runner.cfg.train_dataloader.dataset,
                                  pipeline=runner.cfg.test_pipeline))
    subset = hook._subset(dataset)
    labels = dataset.get_gt_labels()[subset]
    assert sorted(labels.tolist()) == sorted(list(range(7)) * 3)
    hook.before_train(runner)
    torch.testing.assert_close(runner.model.head.prototypes,
                               by_hand(runner, subset), rtol=1e-4, atol=1e-5)


def test_checkpoint_prototypes_are_kept(tmp_path, synthetic_rafdb):
    runner = build_runner(tmp_path, synthetic_rafdb)
    runner.model.head.set_prototypes(torch.ones(7, 64))
    HOOKS.build(dict(type='PrototypeHook',
                     cache_dir=str(tmp_path / 'cache'))).before_train(runner)
    assert torch.equal(runner.model.head.prototypes, torch.ones(7, 64))
    assert not (tmp_path / 'cache').exists()


def test_class_count_mismatch_is_an_error(tmp_path, synthetic_rafdb):
    runner = build_runner(tmp_path, synthetic_rafdb,
                          classnames=CLASSNAMES[:6])
    with pytest.raises(ValueError, match='has 7 classes .* head has 6'):
        HOOKS.build(dict(type='PrototypeHook',
                         cache_dir=str(tmp_path))).before_train(runner)


def test_off_when_prototype_loss_is_off(tmp_path, synthetic_rafdb):
    runner = build_runner(tmp_path, synthetic_rafdb,
                          prototype_align_loss=None)
    HOOKS.build(dict(type='PrototypeHook',
                     cache_dir=str(tmp_path / 'cache'))).before_train(runner)
    assert not (tmp_path / 'cache').exists()


def test_unreadable_cache_file_is_recomputed(tmp_path, synthetic_rafdb):
    cache = tmp_path / 'cache'
    runner = build_runner(tmp_path, synthetic_rafdb)
    HOOKS.build(dict(type='PrototypeHook', cache_dir=str(cache))
                ).before_train(runner)
    good = runner.model.head.prototypes.clone()
    (path, ) = cache.glob('*.pth')
    path.write_bytes(b'truncated')
    runner.model.head.prototypes_ready.fill_(False)
    runner.model.head.prototypes.zero_()
    HOOKS.build(dict(type='PrototypeHook', cache_dir=str(cache))
                ).before_train(runner)
    torch.testing.assert_close(runner.model.head.prototypes, good)
    assert torch.equal(torch.load(path, weights_only=True)['prototypes'],
                       runner.model.head.prototypes)

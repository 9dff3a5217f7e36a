"""tools/analysis_tools/probe_components.py: the linear probe, the similarity
sizes and a
run on the tiny data with a checkpoint."""
import json

import pytest
import torch

from mpafer_plugin.models import load_clip
from tools.analysis_tools.probe_components import (accuracy_per_class,
                                                   linear_probe, main, size)


def test_linear_probe_reads_class_information_only_where_it_is():
    torch.manual_seed(0)
    labels = torch.arange(3).repeat(40)
    informative = torch.randn(
        120, 5) + 4 * torch.nn.functional.one_hot(labels, 5).float()
    noise = torch.randn(120, 80)  # enough dimensions to fit 90 images
    assert linear_probe(informative[:90], labels[:90], informative[90:],
                        labels[90:], 3) == (100.0, 100.0)
    # noise: fitted on train, near chance on unseen images
    fitted, unseen = linear_probe(noise[:90], labels[:90], noise[90:],
                                  labels[90:], 3)
    assert unseen < 60.0 < fitted


def test_size_is_true_class_value_and_spread_over_classes():
    scores = torch.tensor([[0.3, 0.1, 0.2], [0.0, 0.5, 0.1]])
    measured = size(scores, torch.tensor([0, 1]))
    assert measured['true_class'] == pytest.approx(0.4)
    assert measured['spread'] == pytest.approx(
        (torch.tensor([0.3, 0.1, 0.2]).std() +
         torch.tensor([0.0, 0.5, 0.1]).std()).item() / 2)


def test_accuracy_per_class_scores_each_class_on_its_own_images():
    scores = torch.tensor([[0.9, 0.1, 0.0], [0.2, 0.8, 0.0], [0.7, 0.3, 0.0],
                           [0.0, 0.1, 0.9]])
    labels = torch.tensor([0, 1, 1, 1])
    assert accuracy_per_class(scores, labels, ('a', 'b', 'c')) == {
        'a': 100.0,
        'b': pytest.approx(100 / 3),
        'c': None
    }


def test_probe_on_tiny_data(tmp_path, synthetic_rafdb):
    from mpafer_plugin.apis.model_init import init_model
    from ...conftest import quickstart_cfg
    cfg = quickstart_cfg(tmp_path, synthetic_rafdb)
    # a stand-in's weights file with the record its pretraining writes
    weights = tmp_path / 'clip.pt'
    torch.save(load_clip(**cfg.model.clip).state_dict(), weights)
    (tmp_path / 'clip.pt.json').write_text('{"pairs": 16}')
    cfg.model.clip.pretrained = str(weights)
    cfg.dump(str(tmp_path / 'config.py'))
    model = init_model(str(tmp_path / 'config.py'))
    with torch.no_grad():
        model.backbone.prompts.normal_(std=3.0)  # as if learnt
    checkpoint = tmp_path / 'model.pth'
    torch.save(dict(state_dict=model.state_dict()), checkpoint)
    out = tmp_path / 'probe.json'
    main([
        str(tmp_path / 'config.py'),
        str(checkpoint), '--out',
        str(out), '--lambdas', '0', '1', '--topks', '1', '16'
    ])
    report = json.loads(out.read_text())
    with pytest.raises(SystemExit):  # the record is an input, kept
        main([str(tmp_path / 'config.py'), '--out', str(weights) + '.json'])
    assert json.loads((tmp_path / 'clip.pt.json').read_text()) == {'pairs': 16}
    assert report['clip'] == cfg.model.clip
    assert report['clip_pretraining'] == {'pairs': 16}
    frozen = report['frozen_clip']
    for key in ('probe_class_token', 'probe_class_token_train',
                'probe_mean_patch', 'probe_mean_patch_train',
                'zero_shot_global', 'zero_shot_local',
                'zero_shot_class_names'):
        assert 0 <= frozen[key] <= 100
    for key in ('zero_shot_global', 'zero_shot_class_names'):
        per_class = frozen[key + '_per_class']
        assert list(per_class) == list(model.head.classnames)
        measured = [acc for acc in per_class.values() if acc is not None]
        assert len(measured) > 1 and all(0 <= a <= 100 for a in measured)
    measures = report['checkpoints'][str(checkpoint)]
    assert set(measures['acc_by_lambda']) == {'0.0', '1.0'}
    assert set(measures['acc_by_topk']) == {'1', '16'}
    assert measures['acc_by_lambda']['1.0'] == pytest.approx(
        measures['val_acc'])  # λ = 1 is the model's own classifier
    assert measures['prompt_norm'] == pytest.approx(3.0 * 8, rel=0.2)
    assert measures['cos_prompted_vs_frozen_global'] < 0.9999
    assert measures['cos_random_prompts_vs_frozen_global'] < 0.9999


def test_splits_are_read_through_the_test_pipeline_also_when_wrapped(
        tmp_path, synthetic_rafdb):
    """The training split of a config that wraps its dataset (a stratified
    quarter) is that quarter, read without augmentation."""
    from mmengine.config import Config

    from tools.analysis_tools.probe_components import load_split
    from ...conftest import quickstart_cfg
    cfg = quickstart_cfg(tmp_path, synthetic_rafdb)
    whole = load_split(cfg, 'train_dataloader')
    cfg = Config(
        dict(
            cfg.to_dict(),
            train_dataloader=dict(
                cfg.train_dataloader,
                dataset=dict(
                    type='StratifiedHoldout',
                    part='val',
                    ratio=0.25,
                    seed=0,
                    dataset=cfg.train_dataloader.dataset))))
    quarter = load_split(cfg, 'train_dataloader')
    assert len(quarter) == pytest.approx(len(whole) / 4, abs=7)
    steps = [type(t).__name__ for t in quarter.pipeline.transforms]
    assert steps == [
        type(t).__name__
        for t in load_split(cfg, 'val_dataloader').pipeline.transforms
    ]
    assert 'RandomFlip' not in steps

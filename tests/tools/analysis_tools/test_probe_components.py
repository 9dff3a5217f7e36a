"""tools/analysis_tools/probe_components.py: the linear probe, the similarity
sizes and a
run on the tiny data with a checkpoint."""
import json

import pytest
import torch

from tools.analysis_tools.probe_components import linear_probe, main, size


def test_linear_probe_reads_class_information_only_where_it_is():
    torch.manual_seed(0)
    labels = torch.arange(3).repeat(40)
    informative = torch.randn(
        120, 5) + 4 * torch.nn.functional.one_hot(labels, 5).float()
    noise = torch.randn(120, 5)
    assert linear_probe(informative[:90], labels[:90], informative[90:],
                        labels[90:], 3) == 100.0
    assert linear_probe(noise[:90], labels[:90], noise[90:], labels[90:],
                        3) < 60.0


def test_size_is_true_class_value_and_spread_over_classes():
    scores = torch.tensor([[0.3, 0.1, 0.2], [0.0, 0.5, 0.1]])
    measured = size(scores, torch.tensor([0, 1]))
    assert measured['true_class'] == pytest.approx(0.4)
    assert measured['spread'] == pytest.approx(
        (torch.tensor([0.3, 0.1, 0.2]).std() +
         torch.tensor([0.0, 0.5, 0.1]).std()).item() / 2)


def test_probe_on_tiny_data(tmp_path, synthetic_rafdb):
    from mpafer_plugin.apis.model_init import init_model
    from ...conftest import quickstart_cfg
    cfg = quickstart_cfg(tmp_path, synthetic_rafdb)
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
    frozen = report['frozen_clip']
    for key in ('probe_class_token', 'probe_mean_patch', 'zero_shot_global',
                'zero_shot_local'):
        assert 0 <= frozen[key] <= 100
    measures = report['checkpoints'][str(checkpoint)]
    assert set(measures['acc_by_lambda']) == {'0.0', '1.0'}
    assert set(measures['acc_by_topk']) == {'1', '16'}
    assert measures['acc_by_lambda']['1.0'] == pytest.approx(
        measures['val_acc'])  # λ = 1 is the model's own classifier
    assert measures['prompt_norm'] == pytest.approx(3.0 * 8, rel=0.2)
    assert measures['cos_prompted_vs_frozen_global'] < 0.9999
    assert measures['cos_random_prompts_vs_frozen_global'] < 0.9999

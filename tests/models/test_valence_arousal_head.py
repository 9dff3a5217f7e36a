"""The valence-arousal head, the AffectNet reader's gt_va, and a joint
training run on a fixture."""
import numpy as np
import pytest
import torch
from mmengine.runner import Runner
from mmpretrain.structures import DataSample

from mpafer_plugin.datasets import AffectNet
from mpafer_plugin.models.heads import ValenceArousalHead
from ..datasets.fixtures import (AFFECTNET_TRAIN, AFFECTNET_VAL,
                                 write_affectnet_csv)
from ..protocol_configs import tiny_config


def write_va(root, invalid_row=2):
    """The AffectNet csv fixture with varied valence / arousal; train row
    ``invalid_row`` (one of the two Happiness rows) has valence -2."""
    write_affectnet_csv(root)
    for name, expressions in (('training.csv', AFFECTNET_TRAIN),
                              ('validation.csv', AFFECTNET_VAL)):
        path = root / 'Manually_Annotated_file_lists' / name
        lines = path.read_text().splitlines()
        offset = len(lines) - len(expressions)  # header
        for i in range(len(expressions)):
            fields = lines[offset + i].split(',')
            valence = -2 if (name == 'training.csv' and i == invalid_row) \
                or expressions[i] >= 8 else round(0.9 - 0.15 * i, 3)
            fields[-2:] = [str(valence), str(round(-0.5 + 0.1 * i, 3))]
            lines[offset + i] = ','.join(fields)
        path.write_text('\r\n'.join(lines) + '\r\n')
    return str(root)


def test_reader_gives_gt_va_and_drops_invalid(tmp_path):
    root = write_va(tmp_path)
    va = AffectNet(root, split='train', valence_arousal=True)
    plain = AffectNet(root, split='train')
    assert len(va) == len(plain) - 1  # row 2 (valence -2) dropped
    first = va.get_data_info(0)
    np.testing.assert_allclose(first['gt_va'], [0.9, -0.5])
    assert 'gt_va' not in plain.get_data_info(0)


def test_reader_refuses_out_of_range_values(tmp_path):
    root = write_va(tmp_path)
    path = tmp_path / 'Manually_Annotated_file_lists' / 'training.csv'
    lines = path.read_text().splitlines()
    fields = lines[1].split(',')
    fields[-1] = '1.5'
    lines[1] = ','.join(fields)
    path.write_text('\n'.join(lines) + '\n')
    with pytest.raises(ValueError, match=r'training.csv:2: valence and '):
        AffectNet(root, split='train', valence_arousal=True)


@pytest.mark.parametrize('loss', ['mse', 'ccc'])
def test_head_loss_by_hand(loss):
    torch.manual_seed(0)
    head = ValenceArousalHead(8, loss=loss, loss_weight=0.5)
    feat = torch.randn(4, 8)
    target = torch.tensor([[0.1, 0.2], [-0.3, 0.4], [0.5, -0.6], [0.0, 0.1]])
    samples = [DataSample() for _ in target]
    for sample, va in zip(samples, target):
        sample.set_field(va.numpy(), 'gt_va')
    pred = torch.tanh(head.fc(feat / feat.norm(dim=-1, keepdim=True)))
    if loss == 'mse':
        expected = ((pred - target)**2).mean()
    else:
        ccc = []
        for i in range(2):
            p, t = pred[:, i], target[:, i]
            cov = ((p - p.mean()) * (t - t.mean())).mean()
            ccc.append(2 * cov /
                       (p.var(unbiased=False) + t.var(unbiased=False) +
                        (p.mean() - t.mean())**2))
        expected = 1 - sum(ccc) / 2
    got = head.loss(feat, samples)['loss_va']
    assert got.item() == pytest.approx(0.5 * expected.item(), rel=1e-5)


def test_valence_arousal_training_run(tmp_path):
    root = write_va(tmp_path / 'affectnet')
    cfg = tiny_config('protocols/affectnet7_valence_arousal.py',
                      tmp_path / 'work', root)
    runner = Runner.from_cfg(cfg)
    head = runner.model.head
    before = head.valence_arousal.fc.weight.detach().clone()
    runner.train()
    assert not torch.equal(before, head.valence_arousal.fc.weight)
    metrics = runner.test()
    for key in ('va/valence_ccc', 'va/arousal_ccc', 'va/valence_rmse',
                'va/arousal_rmse', 'accuracy/top1'):
        assert key in metrics
    assert 0 <= metrics['va/valence_rmse'] <= 2


def test_npy_layout_reads_val_and_aro_files(tmp_path):
    from ..datasets.fixtures import write_affectnet_npy
    root = write_affectnet_npy(tmp_path)
    dataset = AffectNet(root, split='val', valence_arousal=True)
    for i in range(len(dataset)):
        np.testing.assert_allclose(
            dataset.get_data_info(i)['gt_va'], [0.1, 0.2], rtol=1e-6)

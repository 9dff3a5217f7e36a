"""FERPlus probability labels: the soft target, and a training run on it."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.runner import Runner

from mpafer_plugin.datasets import FERPlus, vote_distribution, vote_label
from ..protocol_configs import tiny_config
from .fixtures import FERPLUS_ROWS, write_ferplus_csv

# Two training images per emotion: 7 votes on it, 2 on the next emotion
# and one stray vote (dropped as an outlier); test rows as the fixture's.
TRAIN_ROWS = tuple(('Training', f'fer1{c:06d}{k}.png',
                    tuple(7 if i == c else 2 if i == (c + 1) %
                          8 else 1 if i == (c + 2) % 8 else 0
                          for i in range(10))) for c in range(8)
                   for k in range(2))
ROWS = TRAIN_ROWS + tuple(row for row in FERPLUS_ROWS if row[0] != 'Training')


@pytest.mark.parametrize('votes, target', [
    ((0, 1, 0, 9, 0, 0, 0, 0, 0, 0), [0, 0, 0, 1, 0, 0, 0, 0]),
    ((4, 4, 0, 0, 0, 0, 0, 0, 2, 0), [0.5, 0.5, 0, 0, 0, 0, 0, 0]),
    ((6, 0, 0, 3, 0, 0, 0, 0, 1, 0), [6 / 9, 0, 0, 3 / 9, 0, 0, 0, 0]),
    ((0, 2, 0, 0, 0, 0, 0, 2, 5, 1), [0, 0.5, 0, 0, 0, 0, 0, 0.5]),
])
def test_vote_distribution_by_hand(votes, target):
    np.testing.assert_allclose(vote_distribution(votes), target, rtol=1e-6)


def test_probability_mode_keeps_emotion_winners_only():
    # unknown wins -> dropped; single votes are outliers
    assert vote_label((0, 2, 0, 0, 0, 0, 0, 2, 5, 1), 'probability') is None
    assert vote_label((1, 1, 1, 1, 1, 1, 1, 1, 1, 1), 'probability') is None
    assert vote_label((3, 0, 0, 4, 0, 0, 0, 0, 3, 0), 'probability') == 3


@pytest.mark.parametrize('layout', ['csv', 'folder'])
def test_reader_gives_the_soft_target(tmp_path, layout):
    if layout == 'csv':
        write_ferplus_csv(tmp_path, ROWS)
    else:
        from .fixtures import FERPLUS_FOLDER_ROWS, write_ferplus_folders
        write_ferplus_folders(tmp_path, FERPLUS_FOLDER_ROWS)
    dataset = FERPlus(str(tmp_path), split='train', label_mode='probability')
    majority = FERPlus(str(tmp_path), split='train', label_mode='majority')
    assert len(dataset) > 0
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        assert info['gt_score'].shape == (8, )
        assert info['gt_score'].sum() == pytest.approx(1.0)
        assert info['gt_score'].argmax() == info['gt_label']
    assert 'gt_score' not in majority.get_data_info(0)


def test_soft_label_training_run(tmp_path):
    """One epoch of configs/protocols/ferplus_probability.py on a fixture;
    the loss the head reports is the cross-entropy to the vote
    distribution, and evaluation reads the majority labels."""
    root = write_ferplus_csv(tmp_path / 'ferplus', ROWS)
    cfg = tiny_config('protocols/ferplus_probability.py', tmp_path / 'work',
                      root)
    assert cfg.train_dataloader.dataset.label_mode == 'probability'
    assert cfg.test_dataloader.dataset.label_mode == 'majority'
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert (tmp_path / 'work' / 'epoch_1.pth').is_file()

    model = runner.model.eval()
    batch = next(iter(runner.train_dataloader))
    data = model.data_preprocessor(batch, False)
    samples = data['data_samples']
    assert all('gt_score' in s for s in samples)
    with torch.no_grad():
        feats = model.extract_feat(data['inputs'])
        loss = model.head.loss(feats, samples)['loss_cls']
        logits = model.head(feats)
    target = torch.stack([s.gt_score for s in samples])
    by_hand = -(target * F.log_softmax(logits, -1)).sum(-1).mean()
    assert float(loss) == pytest.approx(float(by_hand), rel=1e-4)
    hard = F.cross_entropy(logits, target.argmax(-1))
    assert float(loss) != pytest.approx(float(hard), rel=1e-4)
    metrics = runner.test()
    assert 'accuracy/top1' in metrics

"""BaseToNewAccuracy by hand."""
import pytest
import torch

from mpafer_plugin.evaluation import BaseToNewAccuracy

CLASSES = ['A', 'B', 'C', 'D']


def evaluate(samples, base=('a', 'b')):
    metric = BaseToNewAccuracy(base_classes=base)
    metric.dataset_meta = dict(classes=CLASSES)
    metric.process(
        None,
        [dict(gt_label=g, pred_score=torch.tensor(s)) for g, s in samples])
    return metric.evaluate(len(samples))


def test_base_new_harmonic_and_all_by_hand():
    samples = [
        (0, [0.5, 0.1, 0.3, 0.1]),  # base: A right; all: A right
        (1, [0.1, 0.2, 0.6, 0.1]),  # base among A,B: B right; all: C wrong
        (2, [0.6, 0.1, 0.2, 0.1]),  # new among C,D: C right; all: A wrong
        (3, [0.1, 0.1, 0.5, 0.3]),  # new: C wrong; all: wrong
    ]
    metrics = evaluate(samples)
    assert metrics['base_to_new/base'] == pytest.approx(100.0)
    assert metrics['base_to_new/new'] == pytest.approx(50.0)
    assert metrics['base_to_new/harmonic_mean'] == pytest.approx(2 * 100 * 50 /
                                                                 150)
    assert metrics['base_to_new/all'] == pytest.approx(25.0)


@pytest.mark.parametrize('base, match', [(('a', 'z'), 'not classes'),
                                         (('a', 'b', 'c', 'd'), 'no new')])
def test_refuses_bad_base_classes(base, match):
    with pytest.raises(ValueError, match=match):
        evaluate([(0, [1.0, 0, 0, 0])], base)

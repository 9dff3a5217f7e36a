import math

import torch
from mmpretrain.registry import METRICS

from mpafer_plugin.evaluation import format_confusion_matrix


def evaluate(pairs, classes=('a', 'b', 'c')):
    metric = METRICS.build(dict(type='PerClassAccuracy'))
    metric.dataset_meta = dict(classes=classes)
    metric.process(None, [
        dict(gt_label=torch.tensor(t), pred_label=torch.tensor(p))
        for t, p in pairs
    ])
    return metric.evaluate(len(pairs))


def test_hand_computed_matrix_and_accuracies():
    # a: 3 samples, 2 right; b: 1 sample, wrong (as c); c: 2 samples, right
    pairs = [(0, 0), (0, 0), (0, 1), (1, 2), (2, 2), (2, 2)]
    result = evaluate(pairs)
    assert result['per_class_acc/confusion_matrix'] == [[2, 1, 0], [0, 0, 1],
                                                        [0, 0, 2]]
    assert math.isclose(result['per_class_acc/a'], 200 / 3)
    assert result['per_class_acc/b'] == 0
    assert result['per_class_acc/c'] == 100
    assert math.isclose(result['per_class_acc/mean'], (200 / 3 + 100) / 3)


def test_class_without_samples_is_nan_and_left_out_of_the_mean():
    result = evaluate([(0, 0), (2, 0)])
    assert math.isnan(result['per_class_acc/b'])
    assert result['per_class_acc/mean'] == 50


def test_table_has_every_class_and_count():
    table = format_confusion_matrix(
        torch.tensor([[5, 0], [12, 3]]), ['Surprise', 'Fear'])
    lines = table.splitlines()
    assert 'Surprise' in lines[0] and 'Fear' in lines[0]
    assert lines[3].split() == ['Fear', '|', '12', '3']

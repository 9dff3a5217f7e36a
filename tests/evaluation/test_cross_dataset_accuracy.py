"""CrossDatasetAccuracy and the basic-expression label space, by hand."""
import math

import pytest

from mpafer_plugin.datasets import RAFDB, FERPlus
from mpafer_plugin.evaluation import (CrossDatasetAccuracy, basic_expression,
                                      map_classes)

RAFDB_NAMES = [
    'surprise', 'fear', 'disgust', 'happiness', 'sadness', 'anger', 'neutral'
]
FERPLUS_NAMES = [
    'neutral', 'happiness', 'surprise', 'sadness', 'anger', 'disgust', 'fear',
    'contempt'
]


def evaluate(source, target, pairs, **kwargs):
    metric = CrossDatasetAccuracy(source_classes=source, **kwargs)
    metric.dataset_meta = dict(classes=target)
    metric.process(None, [dict(gt_label=g, pred_label=p) for g, p in pairs])
    return metric.evaluate(len(pairs))


def test_rafdb_model_on_ferplus_reports_contempt_unseen():
    target = FERPlus.METAINFO['classes']
    # (true FERPlus index, predicted RAF-DB index)
    pairs = [(0, 6), (0, 3), (1, 3), (7, 6), (2, 0)]
    metrics = evaluate(RAFDB_NAMES, target, pairs)
    assert metrics['cross/accuracy'] == pytest.approx(75.0)  # 3 of 4
    assert metrics['cross/mean_class_accuracy'] == pytest.approx(250 / 3)
    assert metrics['cross/acc/Neutral'] == pytest.approx(50.0)
    assert math.isnan(metrics['cross/acc/Fear'])  # no image
    assert metrics['cross/unseen/Contempt'] == 1
    assert 'cross/acc/Contempt' not in metrics
    matrix = metrics['cross/confusion_matrix']
    assert len(matrix) == 8 and all(len(row) == 8 for row in matrix)
    expected = [[0] * 8 for _ in range(8)]
    for row, col in ((0, 0), (0, 1), (1, 1), (7, 0), (2, 2)):
        expected[row][col] += 1
    assert matrix == expected


def test_ferplus_model_on_rafdb_keeps_its_contempt_column():
    target = RAFDB.METAINFO['classes']
    pairs = [(3, 7), (6, 0)]  # Happiness predicted Contempt; Neutral right
    metrics = evaluate(FERPLUS_NAMES, target, pairs)
    assert metrics['cross/accuracy'] == pytest.approx(50.0)
    assert not any(key.startswith('cross/unseen/') for key in metrics)
    matrix = metrics['cross/confusion_matrix']
    assert len(matrix) == 7 and len(matrix[0]) == 8
    assert matrix[3][7] == 1 and matrix[6][6] == 1
    assert sum(map(sum, matrix)) == 2


def test_label_space_names_and_refusals():
    assert basic_expression('Happy') == 'happiness'
    assert basic_expression('joy', {'Joy': 'happy'}) == 'happiness'
    assert basic_expression('Other', {'other': None}) is None
    with pytest.raises(ValueError, match="'joy' is not a basic expression"):
        basic_expression('joy')
    with pytest.raises(ValueError, match='twice'):
        map_classes(['happy', 'happiness'], RAFDB_NAMES)
    plan = map_classes(RAFDB_NAMES, FERPLUS_NAMES)
    assert plan['unseen'] == [7]
    assert plan['source_to_target'] == [2, 6, 5, 1, 3, 4, 0]

"""CrossDatasetCheckHook: the class check's explicit cross-dataset
exception, and its refusals."""
from types import SimpleNamespace

import pytest
from mmengine.logging import MMLogger

from mpafer_plugin.engine.hooks import CrossDatasetCheckHook
from mpafer_plugin.evaluation import CrossDatasetAccuracy

MODEL = [
    'surprise', 'fear', 'disgust', 'happiness', 'sadness', 'anger', 'neutral'
]
TEST = [
    'Neutral', 'Happiness', 'Surprise', 'Sadness', 'Anger', 'Disgust', 'Fear',
    'Contempt'
]


def runner(metrics):
    return SimpleNamespace(
        model=SimpleNamespace(head=SimpleNamespace(classnames=MODEL)),
        test_evaluator=SimpleNamespace(metrics=metrics),
        test_dataloader=SimpleNamespace(
            dataset=SimpleNamespace(metainfo=dict(classes=TEST))),
        logger=MMLogger.get_current_instance())


def test_accepts_the_declared_mapping():
    CrossDatasetCheckHook().before_test(
        runner([CrossDatasetAccuracy(source_classes=MODEL)]))


def test_refuses_a_test_without_the_cross_dataset_metric():
    with pytest.raises(ValueError, match='no CrossDatasetAccuracy'):
        CrossDatasetCheckHook().before_test(runner([]))


def test_refuses_source_classes_other_than_the_model_s():
    metric = CrossDatasetAccuracy(source_classes=MODEL[::-1])
    with pytest.raises(ValueError, match='are not the model'):
        CrossDatasetCheckHook().before_test(runner([metric]))

"""The similarity map is what the classifier used: its top-k reproduces
S_l and the logit, and the default class is the model's prediction."""
import glob

import numpy as np
import pytest
import torch
from mmcv.transforms import Compose
from mmengine.dataset import pseudo_collate
from mmpretrain.registry import MODELS, TRANSFORMS

from mpafer_plugin.visualization import compute_similarity_map
from ..conftest import quickstart_cfg


@pytest.fixture(scope='module')
def model_and_pipeline(tmp_path_factory, synthetic_rafdb):
    cfg = quickstart_cfg(tmp_path_factory.mktemp('work'), synthetic_rafdb)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model).eval()
    pipeline = Compose(
        [TRANSFORMS.build(t) for t in cfg.test_dataloader.dataset.pipeline])
    return model, pipeline


def an_image(root):
    return sorted(glob.glob(f'{root}/Image/aligned/test_*'))[0]


def predict(model, pipeline, path):
    batch = model.data_preprocessor(
        pseudo_collate([pipeline(dict(img_path=path))]), False)
    with torch.no_grad():
        return model(batch['inputs'], batch['data_samples'], mode='predict')[0]


def test_top_patches_reproduce_local_similarity_and_logit(
        model_and_pipeline, synthetic_rafdb):
    model, pipeline = model_and_pipeline
    head = model.head
    result = compute_similarity_map(
        model, pipeline, an_image(synthetic_rafdb), class_index=2)
    assert result.class_index == 2 and result.class_name == 'disgust'
    assert result.similarity.shape == (8, 8)  # 64 px, patch 8
    assert result.image.shape == (64, 64, 3)
    assert result.heatmap.shape == (64, 64)
    flat = result.similarity.reshape(-1)
    order = np.argsort(-flat)[:head.local_topk]
    assert sorted(result.top_patches) == sorted(order)
    assert flat[result.top_patches].mean() == pytest.approx(
        result.local_similarity, abs=1e-6)
    assert result.logit == pytest.approx(
        head.logit_scale * (result.global_similarity +
                            head.local_weight * result.local_similarity),
        rel=1e-5)
    sample = predict(model, pipeline, an_image(synthetic_rafdb))
    assert result.probability == pytest.approx(
        float(sample.pred_score[2]), rel=1e-5)


def test_default_class_is_the_prediction_and_topk_option(
        model_and_pipeline, synthetic_rafdb):
    model, pipeline = model_and_pipeline
    path = an_image(synthetic_rafdb)
    result = compute_similarity_map(model, pipeline, path, topk=3)
    assert result.class_index == result.predicted_index == int(
        predict(model, pipeline, path).pred_label)
    assert len(result.top_patches) == 3
    flat = result.similarity.reshape(-1)
    np.testing.assert_array_equal(result.top_patches, np.argsort(-flat)[:3])
    with pytest.raises(ValueError, match='out of range'):
        compute_similarity_map(model, pipeline, path, class_index=7)

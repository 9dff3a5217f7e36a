"""CCC and RMSE against hand computations."""
import math

import pytest
import torch

from mpafer_plugin.evaluation import (ValenceArousalMetric,
                                      concordance_correlation,
                                      root_mean_square_error)


def test_ccc_by_hand():
    x = torch.tensor([1.0, 2.0, 3.0])
    y = torch.tensor([2.0, 4.0, 6.0])
    # means 2 and 4; population variances 2/3 and 8/3; covariance 4/3:
    # CCC = 2 (4/3) / (2/3 + 8/3 + (2 - 4)^2) = (8/3) / (22/3) = 4/11
    assert float(concordance_correlation(x, y)) == pytest.approx(4 / 11)
    # RMSE = sqrt((1 + 4 + 9) / 3)
    assert float(root_mean_square_error(x, y)) == pytest.approx(
        math.sqrt(14 / 3))
    assert float(concordance_correlation(x, x)) == pytest.approx(1.0)
    assert float(concordance_correlation(x, -x + 4)) == pytest.approx(-1.0)
    # a shift lowers CCC though Pearson's r stays 1
    assert float(concordance_correlation(x, x + 1)) == pytest.approx(
        2 * (2 / 3) / (4 / 3 + 1))


def test_metric_per_dimension():
    pred = [[0.1, 0.5], [0.3, -0.5], [0.5, 0.0]]
    gt = [[0.2, 0.4], [0.2, -0.4], [0.6, 0.1]]
    metric = ValenceArousalMetric()
    metric.process(None, [
        dict(pred_va=torch.tensor(p), gt_va=torch.tensor(g))
        for p, g in zip(pred, gt)
    ])
    out = metric.evaluate(3)
    p, g = torch.tensor(pred), torch.tensor(gt)
    for i, name in enumerate(('valence', 'arousal')):
        assert out[f'va/{name}_ccc'] == pytest.approx(
            float(concordance_correlation(p[:, i], g[:, i])))
        assert out[f'va/{name}_rmse'] == pytest.approx(
            float(((p[:, i] - g[:, i])**2).mean().sqrt()))
    assert out['va/mean_ccc'] == pytest.approx(
        (out['va/valence_ccc'] + out['va/arousal_ccc']) / 2)
    # the valence column by hand, in plain Python
    x, y = [0.1, 0.3, 0.5], [0.2, 0.2, 0.6]
    mx, my = sum(x) / 3, sum(y) / 3
    vx = sum((a - mx)**2 for a in x) / 3
    vy = sum((b - my)**2 for b in y) / 3
    cov = sum((a - mx) * (b - my) for a, b in zip(x, y)) / 3
    assert out['va/valence_ccc'] == pytest.approx(
        2 * cov / (vx + vy + (mx - my)**2), rel=1e-5)


def test_metric_names_what_is_missing():
    with pytest.raises(KeyError, match='valence_arousal=True'):
        ValenceArousalMetric().process(None, [dict(pred_va=torch.zeros(2))])

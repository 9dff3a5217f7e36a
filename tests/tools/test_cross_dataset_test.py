"""tools/test.py on a cross-dataset config: a RAF-DB-layout checkpoint
scored on a FERPlus-layout fixture through the declared class mapping."""
import json
import pickle

import pytest
from mmengine.runner import Runner

from mpafer_plugin.datasets import FERPlus
from mpafer_plugin.evaluation import map_classes
from ..datasets.fixtures import FERPLUS_ROWS, write_ferplus_csv
from ..protocol_configs import tiny_config
from .test_train_test_tools import env, run_tool  # noqa: F401

# Two PrivateTest images whose majority label is Contempt, a class RAF-DB
# does not have.
CONTEMPT_ROWS = tuple(
    ('PrivateTest', f'fer00000{20 + i}.png', (0, 0, 0, 0, 0, 0, 0, 9, 1, 0))
    for i in range(2))


def test_rafdb_checkpoint_on_ferplus(tmp_path, synthetic_rafdb, env):  # noqa
    train = tiny_config('mpafer_rafdb.py', tmp_path / 'train', synthetic_rafdb)
    Runner.from_cfg(train).train()
    checkpoint = tmp_path / 'train' / 'epoch_1.pth'

    ferplus = write_ferplus_csv(tmp_path / 'ferplus',
                                FERPLUS_ROWS + CONTEMPT_ROWS)
    cfg = tiny_config('protocols/cross_dataset/rafdb_to_ferplus.py',
                      tmp_path / 'test')
    cfg.test_dataloader.dataset.data_root = ferplus
    config = tmp_path / 'rafdb_to_ferplus.py'
    cfg.dump(str(config))
    preds = tmp_path / 'preds.pkl'
    log = run_tool(
        'test.py',
        str(config),
        str(checkpoint),
        '--work-dir',
        str(tmp_path / 'test'),
        '--out',
        str(preds),
        env=env)
    assert "never seen by the model ['Contempt']" in log

    with open(preds, 'rb') as f:
        samples = pickle.load(f)
    source = list(train.model.head.classnames)
    target = list(FERPlus.METAINFO['classes'])
    plan = map_classes(source, target)
    pairs = [(int(s['gt_label']), int(s['pred_label'])) for s in samples]
    assert sum(g == 7 for g, _ in pairs) == 2
    shared = [(g, p) for g, p in pairs if g in plan['shared']]
    right = sum(plan['source_to_target'][p] == g for g, p in shared)

    result = json.loads(
        (tmp_path / 'test' / 'test_best_last.json').read_text())
    metrics = result['metrics']
    assert metrics['cross/unseen/Contempt'] == 2
    assert metrics['cross/accuracy'] == pytest.approx(
        100 * right / len(shared), rel=1e-5)
    assert result['checkpoint_is'] == 'last'

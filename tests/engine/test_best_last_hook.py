"""BestLastHook: last and best per metric, the selection split, and the
label of a tested checkpoint."""
import json
import math

from mmengine.runner import Runner

from mpafer_plugin.engine.hooks.best_last_hook import better
from ..protocol_configs import tiny_config


def test_better_follows_the_metric_direction():
    assert better('accuracy/top1', 60.0, 50.0)
    assert not better('accuracy/top1', 50.0, 50.0)  # a tie keeps the first
    assert better('va/valence_rmse', 0.2, 0.3)
    assert not better('va/valence_rmse', 0.4, 0.3)
    assert not better('accuracy/top1', math.nan, 1.0)


def check_record(record):
    epochs = {int(e): v for e, v in record['epochs'].items()}
    for name, entry in record['metrics'].items():
        last = max(epochs)
        assert entry['last'] == epochs[last][name]
        assert entry['last_epoch'] == last
        values = [epochs[e][name] for e in sorted(epochs)]
        assert entry['best'] == max(values)
        assert entry['best_epoch'] == sorted(epochs)[values.index(max(values))]


def test_held_out_selection_and_test_labels(tmp_path, synthetic_rafdb):
    work = tmp_path / 'work'
    cfg = tiny_config(
        'protocols/rafdb_holdout_val.py', work, synthetic_rafdb, epochs=2)
    runner = Runner.from_cfg(cfg)
    runner.train()
    record = json.loads((work / 'best_last.json').read_text())
    assert record['selection_is_test_split'] is False
    assert 'held-out part val (ratio 0.1, seed 0)' in \
        record['selection_split']
    assert set(record['epochs']) == {'1', '2'}
    check_record(record)

    cfg = tiny_config(
        'protocols/rafdb_holdout_val.py',
        tmp_path / 'test',
        synthetic_rafdb,
        epochs=2)
    cfg.load_from = str(work / 'epoch_2.pth')
    Runner.from_cfg(cfg).test()
    tested = json.loads(
        (tmp_path / 'test' / 'test_best_last.json').read_text())
    assert tested['checkpoint_is'] == 'last'
    assert tested['checkpoint_epoch'] == 2
    assert tested['test_split'] == 'RAFDB test'
    assert tested['training'] == record
    assert 'accuracy/top1' in tested['metrics']


def test_selection_on_the_test_split_is_flagged(tmp_path, synthetic_rafdb):
    work = tmp_path / 'work'
    cfg = tiny_config('mpafer_rafdb.py', work, synthetic_rafdb)
    Runner.from_cfg(cfg).train()
    record = json.loads((work / 'best_last.json').read_text())
    assert record['selection_is_test_split'] is True
    assert record['selection_split'] == 'RAFDB test'
    check_record(record)

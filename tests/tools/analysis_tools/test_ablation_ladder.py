"""tools/analysis_tools/ablation_ladder.py: rows as deltas of the full
method, a real two-row ladder through tools/train.py, skipping finished
runs, statistics and failures."""
import json
import os

import pytest

from tools.analysis_tools.ablation_ladder import (DEFAULT_ROWS, REFERENCE,
                                                  config_delta, markdown,
                                                  mean_std, run_ladder,
                                                  summarise)
from ...conftest import REPO_ROOT

CONFIG = os.path.join(REPO_ROOT, 'configs', 'quickstart_synthetic_rafdb.py')
ALIGNMENT_OFF = {
    'model.head.token_align_loss': None,
    'model.head.prompt_align_loss': None,
    'model.head.prototype_align_loss': None
}


def test_rows_are_the_component_table():
    deltas = {
        name: config_delta(path, REFERENCE)
        for name, path in DEFAULT_ROWS
    }
    assert deltas['CoOp'] == dict(
        ALIGNMENT_OFF, **{
            'model.backbone.num_prompts': 0,
            'model.head.local_weight': 0.0
        })
    assert deltas['+ soft-hard alignment'] == {'model.head.local_weight': 0.0}
    assert deltas['+ global-local (full method)'] == {}
    assert deltas['CoOp + global-local'] == dict(
        ALIGNMENT_OFF, **{'model.backbone.num_prompts': 0})


def test_a_row_that_removes_settings_is_refused(tmp_path):
    row = tmp_path / 'row.py'
    row.write_text(f"_base_ = ['{REFERENCE}']\n"
                   "model = dict(head=dict(_delete_=True, type='MPAHead'))\n")
    with pytest.raises(
            ValueError,
            match=r'row\.py: removes \[.*'
            r'model\.head\.local_weight.*may only set values'):
        config_delta(str(row), REFERENCE)


def fake_result(top1, per_class):
    return dict(
        top1=top1,
        mean_class=sum(per_class) / len(per_class),
        per_class=dict(zip(('A', 'B'), per_class)))


def test_statistics_and_table():
    assert mean_std([70.0, 80.0]) == pytest.approx((75.0, 7.0710678))
    assert mean_std([70.0]) == (70.0, 0.0)
    rows = [('base', REFERENCE, {}), ('other', REFERENCE, {})]
    results = {
        'base': {
            0: fake_result(70.0, [60.0, 80.0]),
            1: fake_result(80.0, [80.0, 80.0])
        }
    }
    summary = summarise(rows, results)
    assert summary[0]['top1_mean'] == 75.0
    assert summary[0]['top1_std'] == pytest.approx(7.0710678)
    assert summary[0]['per_class_mean'] == {'A': 70.0, 'B': 80.0}
    assert summary[1]['seeds'] == []
    table = markdown(summary, 'T')
    assert '| base | 2 | 75.0 ± 7.1 | 70.0 / 80.0 | 75.0 ± 7.1 | 70.0 | '\
        '80.0 |' in table
    assert '| other | 0 |' in table


def test_failed_runs_are_reported_and_the_rest_goes_on(tmp_path, capsys):

    def train(cfg, run_dir):
        raise RuntimeError(f'{run_dir}: tools/train.py exited with 1')

    summary, failed = run_ladder(
        CONFIG, DEFAULT_ROWS[:2], [0], str(tmp_path), train=train)
    assert [(name, seed)
            for name, seed, _ in failed] == [('CoOp', 0),
                                             ('+ visual prompts', 0)]
    assert not list(tmp_path.rglob('result.json'))
    assert capsys.readouterr().out.count('FAILED') == 2


def test_ladder_trains_each_row_once(tmp_path, synthetic_rafdb, monkeypatch):
    """Two rows, one seed, one epoch on the tiny data through the real
    tools/train.py; a second call reuses the finished runs."""
    monkeypatch.setenv('MPAFER_CACHE', str(tmp_path / 'cache'))
    monkeypatch.setenv('PYTHONPATH', REPO_ROOT)
    options = {'train_cfg.max_epochs': 1, 'model.clip.pretrained': None}
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        options.update({
            f'{loader}.dataset.data_root': synthetic_rafdb,
            f'{loader}.num_workers': 0,
            f'{loader}.persistent_workers': False,
            f'{loader}.batch_size': 16
        })
    rows = [DEFAULT_ROWS[0], DEFAULT_ROWS[4]]
    work = tmp_path / 'ladder'
    summary, failed = run_ladder(CONFIG, rows, [0], str(work), options)
    assert not failed
    for entry, name in zip(summary, ('CoOp', '+ global-local (full method)')):
        assert entry['name'] == name and entry['seeds'] == [0]
        assert 0 <= entry['top1_mean'] <= 100
        assert len(entry['per_class_mean']) == 7
    run = work / 'coop' / 'seed_0'
    dumped = (run / 'config.py').read_text()
    assert "'num_prompts': 0" in dumped or 'num_prompts=0' in dumped
    result = json.loads((run / 'result.json').read_text())
    assert result['epoch'] == 1 and result['seed'] == 0

    def must_not_train(cfg, run_dir):
        raise AssertionError(f'{run_dir} was trained again')

    again, _ = run_ladder(
        CONFIG, rows, [0], str(work), options, train=must_not_train)
    assert again == summary
    saved = json.loads((work / 'ladder.json').read_text())
    assert [r['top1_mean']
            for r in saved['rows']] == [e['top1_mean'] for e in summary]
    assert '| CoOp | 1 |' in (work / 'ladder.md').read_text()

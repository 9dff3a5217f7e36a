"""tools/analysis_tools/ablation_ladder.py: rows as deltas of the full
method, a real two-row ladder through tools/train.py, records reused only
for the very config asked for, one folder per row, statistics (t-based
intervals, paired differences) and failures; probe_ladder.py on the
ladder's runs."""
import json
import os

import pytest

from tools.analysis_tools.ablation_ladder import (COOP, DEFAULT_ROWS, FULL,
                                                  REFERENCE, config_delta,
                                                  markdown, mean_std,
                                                  run_ladder, summarise,
                                                  t_interval)
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


def fake_result(top1, per_class, best=None):
    return dict(
        top1=top1,
        best_top1=top1 if best is None else best,
        mean_class=sum(per_class) / len(per_class),
        per_class=dict(zip(('A', 'B'), per_class)))


def test_statistics_and_table():
    assert mean_std([70.0, 80.0]) == pytest.approx((75.0, 7.0710678))
    assert mean_std([70.0]) == (70.0, 0.0)
    # t(0.975, 2) = 4.303: half-width 4.303 * 1 / sqrt(3)
    assert t_interval([1.0, 2.0, 3.0]) == pytest.approx((2.0, 2.4843),
                                                        abs=1e-4)
    assert t_interval([5.0]) == (5.0, None)
    rows = [(COOP, REFERENCE, {}), ('other', REFERENCE, {}),
            (FULL, REFERENCE, {})]
    results = {
        COOP: {
            0: fake_result(70.0, [60.0, 80.0], best=72.0),
            1: fake_result(80.0, [80.0, 80.0])
        },
        FULL: {
            0: fake_result(73.0, [60.0, 80.0]),
            1: fake_result(84.0, [80.0, 80.0]),
            2: fake_result(99.0, [99.0, 99.0])
        }
    }
    summary = summarise(rows, results)
    assert summary[0]['top1_mean'] == 75.0
    assert summary[0]['top1_std'] == pytest.approx(7.0710678)
    # t(0.975, 1) = 12.706: 12.706 * 7.071 / sqrt(2)
    assert summary[0]['top1_ci95'] == pytest.approx(63.53, abs=0.01)
    assert summary[0]['best_top1_mean'] == 76.0
    assert summary[0]['per_class_mean'] == {'A': 70.0, 'B': 80.0}
    assert summary[1]['seeds'] == []
    # paired on the seeds both rows have (0 and 1): +3 and +4
    full = summary[2]
    assert full['compared_with'] == 'other' and 'top1_diff' not in full
    headline = summary[3]['headline']['top1_diff']
    assert headline['seeds'] == [0, 1]
    assert headline['mean'] == pytest.approx(3.5)
    assert headline['ci95'] == pytest.approx(
        12.706 * 0.70711 / 2**0.5, rel=1e-4)
    table = markdown(summary, 'T')
    assert '| CoOp | 2 | 75.0 [11.5, 138.5] | - | 76.0 [' in table
    assert '| other | 0 |' in table
    assert (f'{FULL} − {COOP} (paired, 95 % interval): last epoch '
            '+3.5 [-2.9, +9.9] (n=2)') in table


def fake_train(trained):
    """A stand-in for tools/train.py: writes two epochs' validation
    records, top-1 60 then 70, where MMEngine would."""

    def train(cfg, run_dir):
        trained.append((run_dir, cfg.randomness.seed))
        vis = os.path.join(run_dir, '20260101_000000', 'vis_data')
        os.makedirs(vis, exist_ok=True)
        with open(os.path.join(vis, 'scalars.json'), 'w') as f:
            for epoch, top1 in ((1, 70.0), (2, 60.0)):
                f.write(
                    json.dumps({
                        'accuracy/top1': top1,
                        'single-label/recall': top1,
                        'step': epoch
                    }) + '\n')

    return train


@pytest.mark.parametrize('change', ['options', 'config'])
def test_a_record_is_reused_only_for_the_config_asked_for(
        tmp_path, capsys, change):
    """A finished run made with other --cfg-options, or on another base
    config, is trained again, never reported under the new config."""
    trained = []
    rows = DEFAULT_ROWS[:1]
    run_ladder(CONFIG, rows, [0], str(tmp_path), train=fake_train(trained))
    record_file = tmp_path / 'records' / 'coop' / 'seed0.json'
    record = json.loads(record_file.read_text())
    assert (record['top1'], record['best_top1'], record['best_epoch'],
            record['epoch']) == (60.0, 70.0, 1, 2)
    assert [e['top1'] for e in record['epochs']] == [70.0, 60.0]
    assert record['config']['model']['backbone']['num_prompts'] == 0
    assert set(record['provenance']) >= {'commit', 'date', 'machine'}
    # the same call reuses it
    run_ladder(CONFIG, rows, [0], str(tmp_path), train=fake_train(trained))
    assert len(trained) == 1
    if change == 'options':
        again = dict(config=CONFIG, options={'model.head.local_topk': 4})
    else:
        again = dict(config=REFERENCE, options=None)
    run_ladder(
        again['config'],
        rows, [0],
        str(tmp_path),
        again['options'],
        train=fake_train(trained))
    assert len(trained) == 2, 'a record of another config was reused'
    assert trained[0][0] != trained[1][0]  # its own work dir
    out = capsys.readouterr().out
    assert 'was made with another config' in out
    if change == 'options':
        assert 'model.head.local_topk' in out
    new = json.loads(record_file.read_text())
    assert new['key'] != record['key']


@pytest.mark.parametrize('hook, reused', [('best_last', True),
                                          ('checkpoint', False)])
def test_a_record_differing_only_in_an_observing_hook_is_reused(
        tmp_path, capsys, hook, reused):
    """A record made without a hook that only observes a run (BestLastHook,
    added to the default runtime after the record was made) stands for the
    run; one whose other hooks differ is trained again."""
    trained = []
    rows = DEFAULT_ROWS[:1]
    run_ladder(CONFIG, rows, [0], str(tmp_path), train=fake_train(trained))
    record_file = tmp_path / 'records' / 'coop' / 'seed0.json'
    record = json.loads(record_file.read_text())
    assert hook in record['config']['default_hooks']
    if hook == 'best_last':
        del record['config']['default_hooks'][hook]  # made before it
    else:
        record['config']['default_hooks'][hook]['interval'] = 99
    record['key'] = 'made by older code'
    record_file.write_text(json.dumps(record))
    run_ladder(CONFIG, rows, [0], str(tmp_path), train=fake_train(trained))
    out = capsys.readouterr().out
    assert len(trained) == (1 if reused else 2)
    assert ('hooks that observe a run' in out) == reused


def test_a_process_running_some_rows_only_reports_them(tmp_path):
    """A ladder process given CoOp + global-local without CoOp (rows split
    over two processes) writes its table (before: KeyError
    'compared_with' after its first run, ending the process)."""
    trained = []
    rows = [row for row in DEFAULT_ROWS if row[0] == 'CoOp + global-local']
    summary, failed = run_ladder(
        CONFIG, rows, [0], str(tmp_path), train=fake_train(trained))
    assert not failed and len(trained) == 1
    table = (tmp_path / 'records.md').read_text()
    assert '| CoOp + global-local | 1 |' in table


def test_rows_sharing_a_folder_are_refused(tmp_path):
    trained = []
    rows = [('CoOp', DEFAULT_ROWS[0][1]), ('coop', DEFAULT_ROWS[4][1])]
    with pytest.raises(
            ValueError,
            match="'CoOp' and 'coop' both map to the folder 'coop'"):
        run_ladder(CONFIG, rows, [0], str(tmp_path), train=fake_train(trained))
    assert not trained


def test_failed_runs_are_reported_and_the_rest_goes_on(tmp_path, capsys):

    def train(cfg, run_dir):
        raise RuntimeError(f'{run_dir}: tools/train.py exited with 1')

    summary, failed = run_ladder(
        CONFIG, DEFAULT_ROWS[:2], [0], str(tmp_path), train=train)
    assert [(name, seed)
            for name, seed, _ in failed] == [('CoOp', 0),
                                             ('+ visual prompts', 0)]
    assert not list(tmp_path.rglob('seed*.json'))
    assert capsys.readouterr().out.count('FAILED') == 2


def test_ladder_trains_each_row_once(tmp_path, synthetic_rafdb, monkeypatch,
                                     capsys):
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
    result = json.loads((work / 'records' / 'coop' / 'seed0.json').read_text())
    assert result['epoch'] == 1 and result['seed'] == 0
    run = work / 'coop' / 'seed_0' / result['key'][:12]
    dumped = (run / 'config.py').read_text()
    assert "'num_prompts': 0" in dumped or 'num_prompts=0' in dumped

    def must_not_train(cfg, run_dir):
        raise AssertionError(f'{run_dir} was trained again')

    again, _ = run_ladder(
        CONFIG, rows, [0], str(work), options, train=must_not_train)
    assert again == summary
    saved = json.loads((work / 'records.json').read_text())
    rows_saved = [r for r in saved['rows'] if 'headline' not in r]
    assert [r['top1_mean'] for r in rows_saved
            ] == [e['top1_mean'] for e in summary if 'headline' not in e]
    assert saved['rows'][-1]['headline']['top1_diff']['seeds'] == [0]
    assert '| CoOp | 1 |' in (work / 'records.md').read_text()

    # probe_ladder.py measures the very checkpoints the records report: the
    # model's own top-1 on the validation split is the record's
    from tools.analysis_tools.probe_ladder import main as probe_ladder
    probe_ladder([str(work / 'records'), '--work-dir', str(work)])
    probed = json.loads((work / 'records_probe.json').read_text())
    for entry in summary[:2]:
        runs = probed['rows'][entry['name']]['seeds']
        assert list(runs) == ['0']
        assert runs['0']['val_acc'] == pytest.approx(entry['top1_mean'])
        assert runs['0']['gap'] == pytest.approx(runs['0']['train_acc'] -
                                                 runs['0']['val_acc'])
    assert 'probe_prompted_class_token' not in probed['rows']['CoOp']['mean']
    full = probed['rows']['+ global-local (full method)']['mean']
    assert 0 <= full['probe_prompted_class_token_train'] <= 100
    assert 0 < probed['frozen_clip']['probe_class_token_train'] <= 100
    assert full['grad_norm_median'] > 0
    assert set(
        probed['rows']['+ global-local (full method)']['seeds']['0']
        ['last_epoch_losses']) >= {'loss', 'loss_cls', 'loss_token_align'}
    with pytest.raises(SystemExit) as exited:
        probe_ladder([str(work / 'records'), '--work-dir', str(tmp_path)])
    assert exited.value.code == 1
    assert 'last_checkpoint does not exist' in capsys.readouterr().err
    record = work / 'records' / 'coop' / 'seed0.json'
    with pytest.raises(SystemExit, match='an input of this run'):
        probe_ladder([
            str(work / 'records'), '--work-dir',
            str(work), '--out',
            str(record)
        ])

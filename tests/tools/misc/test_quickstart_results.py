"""tools/misc/quickstart_results.py: one results file from what a
tools/quickstart.sh run leaves (formats as MMEngine 0.10.7 writes them)."""
import json

import pytest

from tools.misc.quickstart_results import main


def write_lines(path, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(''.join(json.dumps(row) + '\n' for row in rows))


@pytest.fixture
def run(tmp_path):
    work = tmp_path / 'work'
    work.mkdir()
    (work / 'steps.json').write_text(
        json.dumps({
            'mpafer-train': {
                'wall_s': 20.0,
                'cpu_user_s': 19.0,
                'cpu_sys_s': 1.0,
                'load_1min_at_start': 1.2,
                'exit_code': 0
            }
        }))
    scalars = work / '20261130_043903' / 'vis_data' / 'scalars.json'
    write_lines(scalars, [
        {
            'lr': 0.004,
            'loss': 16.0,
            'epoch': 1,
            'iter': 10,
            'step': 10
        },
        {
            'accuracy/top1': 34.8,
            'per_class_acc/mean': 34.0,
            'step': 1
        },
        {
            'lr': 0.009,
            'loss': 11.1,
            'epoch': 2,
            'iter': 20,
            'step': 20
        },
        {
            'accuracy/top1': 46.2,
            'per_class_acc/mean': 45.0,
            'step': 2
        },
    ])
    (scalars.parent.parent / '20261130_043903.log'
     ).write_text('INFO - PrototypeHook: encoding 700 training images\n')
    # an older run in the same work dir is ignored
    write_lines(work / '20250101_000000' / 'vis_data' / 'scalars.json',
                [{
                    'accuracy/top1': 1.0,
                    'step': 1
                }])
    write_lines(work / 'test' / '20261130_044416' / '20261130_044416.json',
                [{
                    'accuracy/top1': 69.5,
                    'per_class_acc/mean': 69.4,
                    'per_class_acc/confusion_matrix': [[1, 0], [0, 1]]
                }])
    data = tmp_path / 'data' / 'EmoLabel' / 'list_patition_label.txt'
    data.parent.mkdir(parents=True)
    data.write_text('train_00001.jpg 1\ntrain_00002.jpg 2\ntest_0001.jpg 3\n')
    clip_log = tmp_path / 'clip.log'
    clip_log.write_text('epoch 1/2  contrastive loss 4.178  (57 s)\n'
                        'epoch 2/2  contrastive loss 3.970  (99 s)\n')
    return work, tmp_path / 'data', clip_log


def test_gathers_steps_curve_test_metrics_data_and_clip(run, capsys):
    work, data, clip_log = run
    main([
        str(work), '--data',
        str(data), '--clip-log',
        str(clip_log), '--seed', '1'
    ])
    results = json.loads((work / 'results.json').read_text())
    assert results['seed'] == 1
    assert results['steps']['mpafer-train']['wall_s'] == 20.0
    assert results['train'] == dict(
        epochs=2,
        prototypes='computed',
        val_top1=[34.8, 46.2],
        last=dict(epoch=2, top1=46.2),
        best=dict(epoch=2, top1=46.2))
    assert results['test'] == dict(
        top1=69.5, mean_class_accuracy=69.4, checkpoint='last epoch')
    assert results['data'] == dict(train=2, test=1)
    assert results['clip'] == dict(epochs=2, final_contrastive_loss=3.97)
    assert 'test top-1 (chance 14.3): 69.5 %' in capsys.readouterr().out


def test_missing_test_log_names_the_pattern(run):
    work, data, clip_log = run
    for path in (work / 'test').rglob('*.json'):
        path.unlink()
    with pytest.raises(FileNotFoundError, match=r'no file matches .*test'):
        main([str(work), '--data', str(data), '--clip-log', str(clip_log)])


def test_best_epoch_is_labelled_with_its_split(run):
    work, data, clip_log = run
    scalars = sorted(work.glob('2*/vis_data/scalars.json'))[-1]
    write_lines(scalars, [{
        'accuracy/top1': 50.0,
        'step': 1
    }, {
        'accuracy/top1': 40.0,
        'step': 2
    }])
    (work / 'best_last.json').write_text(
        json.dumps(
            dict(selection_split='RAFDB test', selection_is_test_split=True)))
    main([str(work), '--data', str(data), '--clip-log', str(clip_log)])
    train = json.loads((work / 'results.json').read_text())['train']
    assert train['last'] == dict(epoch=2, top1=40.0)
    assert train['best'] == dict(
        epoch=1,
        top1=50.0,
        selected_on='RAFDB test',
        selected_on_test_split=True)

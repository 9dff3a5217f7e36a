"""tools/misc/quickstart_figures.py: the docs' zero-shot figures and
interpretability pictures come from one run of the project's tools on the
quick start's model, recorded in docs/results/; a picture replaced by hand,
or docs that show another picture, fail here."""
import json
import os
import os.path as osp
import re
import shutil

import mmengine
import pytest
import torch

from tools.misc import quickstart_figures as figures
from ...conftest import CLASSNAMES, REPO_ROOT

RESULTS = osp.join(REPO_ROOT, 'docs', 'results')
IMG = re.compile(r'<img [^>]*src="([^"]+)"|!\[[^]]*\]\(([^)\s]+)\)')


def load(name):
    with open(osp.join(RESULTS, name)) as f:
        return json.load(f)


def test_committed_pictures_are_the_recorded_ones():
    results = load('interpretability_quickstart.json')
    assert len(figures.pictures(results)) == 3
    assert figures.check_pictures(results) == []


def test_the_docs_show_only_recorded_pictures_in_generated_blocks():
    """The pictures of docs/interpretability.md are those the results file
    records (tests/tools/misc/test_update_readme.py checks the block's text
    against it); its figures and zero_shot.md's are generated blocks."""
    recorded = {
        path
        for path, _ in figures.pictures(
            load('interpretability_quickstart.json'))
    }
    docs = osp.join(REPO_ROOT, 'docs')
    with open(osp.join(docs, 'interpretability.md'), encoding='utf-8') as f:
        text = f.read()
    assert '<!-- results:interpretability_quickstart -->' in text
    shown = {
        osp.relpath(osp.join(docs, a or b), REPO_ROOT)
        for a, b in IMG.findall(text)
    }
    assert shown == recorded
    with open(osp.join(docs, 'zero_shot.md'), encoding='utf-8') as f:
        zero_shot = f.read()
    assert '<!-- results:zero_shot_quickstart -->' in zero_shot
    # No zero-shot figure typed outside the block.
    outside = re.sub(
        r'<!-- results:(\w+) -->.*?<!-- /results:\1 -->',
        '',
        zero_shot,
        flags=re.S)
    assert not re.search(r'\d %', outside), outside


def test_both_results_files_come_from_one_run_on_one_clip():
    pictures = load('interpretability_quickstart.json')
    zero_shot = load('zero_shot_quickstart.json')
    for key in ('command', 'date', 'commit', 'clip'):
        assert pictures[key] == zero_shot[key], key
    assert zero_shot['quickstart_commit'] == \
        pictures['model']['quickstart_commit']
    assert [run['local_weight'] for run in zero_shot['runs']] == [0.0, 1.0]
    for entry in pictures['similarity_maps']:
        assert entry['file'] == \
            f'docs/images/similarity_map_{entry["class_name"]}.png'


def test_a_picture_replaced_by_hand_is_caught(tmp_path):
    results = load('interpretability_quickstart.json')
    for path, _ in figures.pictures(results):
        os.makedirs(tmp_path / osp.dirname(path), exist_ok=True)
        shutil.copy(osp.join(REPO_ROOT, path), tmp_path / path)
    assert figures.check_pictures(results, str(tmp_path)) == []

    first, second = [path for path, _ in figures.pictures(results)][:2]
    (tmp_path / first).write_bytes(b'\x89PNG drawn by hand')
    os.remove(tmp_path / second)
    problems = figures.check_pictures(results, str(tmp_path))
    assert len(problems) == 2
    assert problems[0].startswith(f'{first}: SHA-256 ')
    assert problems[1] == f'{second}: missing'


def item(index, gt, pred):
    score = torch.full((7, ), 0.01)
    score[pred] = 0.94
    return dict(
        sample_idx=index,
        img_path=f'data/x/Image/aligned/test_{index:04d}_aligned.jpg',
        gt_label=torch.tensor([gt]),
        pred_label=torch.tensor([pred]),
        pred_score=score)


ANGER, SURPRISE = CLASSNAMES.index('anger'), CLASSNAMES.index('surprise')


def test_first_correct_is_in_test_list_order_and_skips_mistakes():
    predictions = [
        item(3, ANGER, ANGER),
        item(0, ANGER, SURPRISE),  # wrong
        item(1, SURPRISE, SURPRISE),
        item(2, ANGER, ANGER),
    ]
    assert figures.first_correct(
        predictions, CLASSNAMES,
        'Anger') == (2, 'data/x/Image/aligned/test_0002_aligned.jpg')
    assert figures.first_correct(predictions, CLASSNAMES, 'surprise')[0] == 1
    with pytest.raises(SystemExit, match='no test image of class fear'):
        figures.first_correct(predictions, CLASSNAMES, 'fear')
    with pytest.raises(SystemExit, match='contempt.*surprise, fear'):
        figures.first_correct(predictions, CLASSNAMES, 'contempt')


def test_parse_map_line():
    out = '/x/docs/images/similarity_map_anger.png'
    text = ('noise\n' + f'{out}: anger p=0.912 S_g=0.3102 S_l=-0.0410 '
            '(predicted anger)\n')
    assert figures.parse_map_line(text, out) == dict(
        class_name='anger',
        probability=0.912,
        s_g=0.3102,
        s_l=-0.041,
        predicted='anger')
    with pytest.raises(SystemExit, match='printed no'):
        figures.parse_map_line(text, '/x/other.png')


class FakeTools:
    """Stands in for the tools run_tool runs: writes what each writes."""

    def __init__(self, predictions, top1=50.0, predicted=None):
        self.predictions = predictions
        self.top1 = top1
        self.predicted = predicted
        self.commands = []

    def __call__(self, argv):
        self.commands.append(list(argv))
        tool = argv[0]
        out = argv[argv.index('--out') + 1] if '--out' in argv else None
        if tool == 'tools/test.py':
            zero_shot = 'zeroshot' in argv[1]
            top1 = (20.0 + 10 *
                    ('--cfg-options' in argv) if zero_shot else self.top1)
            run = osp.join(argv[argv.index('--work-dir') + 1],
                           '20261130_000000')
            os.makedirs(run)
            with open(osp.join(run, '20261130_000000.json'), 'w') as f:
                f.write(
                    json.dumps({
                        'accuracy/top1': top1,
                        'per_class_acc/mean': top1 - 1
                    }) + '\n')
            if out:
                mmengine.dump(self.predictions, out)
            return ''
        os.makedirs(osp.dirname(out), exist_ok=True)
        with open(out, 'wb') as f:
            f.write(f'PNG of {argv[3]}'.encode())
        if tool.endswith('visualize_similarity.py'):
            name = argv[argv.index('--class') + 1]
            return (f'{out}: {name} p=0.800 S_g=0.3000 S_l=0.2000 '
                    f'(predicted {self.predicted or name})\n')
        return ''


@pytest.fixture
def quickstart(tmp_path, monkeypatch):
    work = tmp_path / 'quickstart'
    work.mkdir()
    (work / 'last_checkpoint').write_text(str(work / 'epoch_10.pth'))
    (work / 'results.json').write_text(
        json.dumps(
            dict(
                commit='abc1234',
                date='2026-11-30 06:00 UTC',
                seed=0,
                train=dict(epochs=10),
                test=dict(top1=50.0))))
    clip = tmp_path / 'clip.pt'
    clip.write_bytes(b'weights')
    monkeypatch.setattr(figures, 'config_facts', lambda:
                        (CLASSNAMES, str(clip), 'data/x'))
    return work


def run_main(tmp_path, tools, monkeypatch, *extra):
    monkeypatch.setattr(figures, 'run_tool', tools)
    return figures.main([
        str(tmp_path / 'quickstart'), '--images-dir',
        str(tmp_path / 'images'), '--results-dir',
        str(tmp_path / 'results'), *extra
    ])


def test_main_records_the_tools_outputs(tmp_path, quickstart, monkeypatch):
    predictions = [
        item(0, ANGER, SURPRISE),
        item(1, SURPRISE, SURPRISE),
        item(2, ANGER, ANGER)
    ]
    tools = FakeTools(predictions)
    assert run_main(tmp_path, tools, monkeypatch) == 0
    results = json.loads((tmp_path / 'results' /
                          'interpretability_quickstart.json').read_text())
    zero_shot = json.loads(
        (tmp_path / 'results' / 'zero_shot_quickstart.json').read_text())
    assert [(r['local_weight'], r['top1'])
            for r in zero_shot['runs']] == [(0.0, 20.0), (1.0, 30.0)]
    assert zero_shot['runs'][1]['command'].endswith(
        'zeroshot_quickstart_synthetic.py --cfg-options '
        'model.head.local_weight=1.0')
    assert results['model']['quickstart_commit'] == 'abc1234'
    assert results['model']['test_top1'] == 50.0
    assert results['model']['seed'] == 0
    anger, surprise = results['similarity_maps']
    assert (anger['class_name'], anger['test_index']) == ('anger', 2)
    assert anger['image'] == 'data/x/Image/aligned/test_0002_aligned.jpg'
    assert (surprise['class_name'], surprise['test_index']) == ('surprise', 1)
    assert anger['probability'] == 0.8
    assert '--class anger --no-detect --size 320' in anger['command']
    assert figures.check_pictures(results, '/') == []
    assert len(tools.commands) == 6


def test_main_refuses_a_checkpoint_of_another_run(tmp_path, quickstart,
                                                  monkeypatch):
    tools = FakeTools([item(0, ANGER, ANGER)], top1=47.0)
    with pytest.raises(SystemExit, match='top-1 47.0000 %.*says 50.0000 %'):
        run_main(tmp_path, tools, monkeypatch)
    assert not (tmp_path / 'results').exists()


def test_main_refuses_a_map_that_disagrees_with_the_test(
        tmp_path, quickstart, monkeypatch):
    tools = FakeTools([item(0, ANGER, ANGER)], predicted='fear')
    with pytest.raises(SystemExit, match='predicted anger, .* fear'):
        run_main(tmp_path, tools, monkeypatch, '--classes', 'anger')
    # The docs are left as they were: nothing copied, no results file.
    assert not (tmp_path / 'images').exists()
    assert not (tmp_path / 'results').exists()

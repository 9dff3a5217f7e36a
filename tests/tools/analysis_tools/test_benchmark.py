"""tools/analysis_tools/benchmark.py end to end on the tiny CLIP: the
report's structure, ratios consistent with the medians, the text-side sweep
(no timing assertions)."""
import contextlib
import importlib.util
import io
import json
import os
import statistics

import pytest
import torch

from ...conftest import REPO_ROOT

CONFIG = os.path.join(REPO_ROOT, 'configs', 'mpafer_rafdb.py')


def load_tool():
    spec = importlib.util.spec_from_file_location(
        'mpafer_benchmark_tool',
        os.path.join(REPO_ROOT, 'tools', 'analysis_tools', 'benchmark.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def report(tmp_path_factory):
    tool = load_tool()
    json_out = tmp_path_factory.mktemp('bench') / 'bench.json'
    threads, stdout = torch.get_num_threads(), io.StringIO()
    try:
        with contextlib.redirect_stdout(stdout):
            result = tool.main([
                CONFIG, '--arch', 'mpafer-tiny-vit', '--device', 'cpu',
                '--batch-size', '2', '--warmup', '1', '--repeats', '3',
                '--threads', '1', '--clock', 'cpu', '--descriptions-per-class',
                '1,4', '--json-out',
                str(json_out)
            ])
    finally:
        torch.set_num_threads(threads)
    return result, json_out, stdout.getvalue()


def test_table_then_json_line_and_file(report):
    result, json_out, printed = report
    lines = printed.strip().splitlines()
    assert json.loads(lines[-1]) == json.loads(json_out.read_text()) == \
        json.loads(json.dumps(result))
    assert any(line.startswith('train step / true floor') for line in lines)
    assert result['arch'] == 'mpafer-tiny-vit' and result['pretrained'] is None
    assert (result['batch_size'], result['threads'], result['clock'],
            result['amp']) == (2, 1, 'cpu', False)


def test_ratios_follow_the_medians(report):
    result = report[0]
    train, infer = result['train'], result['infer']
    assert set(train) == {
        'train_step', 'train_step_batch_first', 'floor_batch_first',
        'floor_sequence_first', 'visual_side', 'text_side'
    }
    assert set(infer) == {
        'predict', 'predict_batch_first', 'encode_image_batch_first',
        'encode_image_sequence_first'
    }
    for stats in list(train.values()) + list(infer.values()):
        assert len(stats['samples_s']) == 3
        assert stats['median_s'] == statistics.median(stats['samples_s']) > 0
        assert stats['flops'] > 0 and stats['peak_bytes'] is not None
    # the true floor is the faster layout of the bare tower
    floors = result['attention_layout']['true_floor']
    for fns, name, prefix in ((train, floors['train'], 'floor'),
                              (infer, floors['infer'], 'encode_image')):
        assert fns[name]['median_s'] == min(
            fns[f'{prefix}_{layout}']['median_s']
            for layout in ('batch_first', 'sequence_first'))
    for key, a, b, target in (('train', train['train_step'],
                               train[floors['train']], 1.10),
                              ('infer', infer['predict'],
                               infer[floors['infer']], 1.05),
                              ('speedup', train['train_step'],
                               train['train_step_batch_first'], 0.75)):
        entry = result['targets'][key]
        assert entry['ratio'] == pytest.approx(a['median_s'] / b['median_s'])
        assert entry['ratio_paired_median'] == pytest.approx(
            statistics.median(x / y
                              for x, y in zip(a['samples_s'], b['samples_s'])))
        assert entry['target'] == target
        assert entry['met'] == (entry['ratio'] <= target)
    memory = result['targets']['memory']
    assert memory['ratio'] == pytest.approx(
        train['train_step']['peak_bytes'] /
        train[floors['train']]['peak_bytes'])
    assert memory['met'] == (memory['ratio'] <= memory['target'] == 1.10)
    assert infer['predict']['per_image_median_s'] == pytest.approx(
        infer['predict']['median_s'] / 2)
    parts = result['step_over_floor']
    assert (parts['visual_side'] + parts['text_side'] + parts['rest']) == \
        pytest.approx(result['targets']['train']['ratio'])
    # the prompted tower does more work than the bare one in inference,
    # and the soft prompts are a small fraction of the floor
    assert result['flops']['infer'] > 1
    assert 0 < result['flops']['text_side'] < 0.5
    # both layouts do the same arithmetic
    assert train['floor_batch_first']['flops'] == \
        train['floor_sequence_first']['flops']


def test_layout_choices_are_reported(report):
    layout = report[0]['attention_layout']
    assert layout['backbone'] == layout['text_encoder'] == 'auto'
    choices = layout['choices']
    # image tower with and without backward, text tower (soft prompts with
    # backward, hard prompts without) at least
    assert {(c['width'], c['tokens'], c['backward'])
            for c in choices} >= {(64, 197, True), (64, 197, False)}
    assert any(c['masked'] and c['backward'] for c in choices)
    for c in choices:  # the rule of 'auto': nothing timed
        assert c['layout'] == 'sequence_first' and c['by'] == 'rule'
        assert 'first_block_s' not in c
    printed = report[2]
    assert '== layouts the model ran in' in printed
    assert 'train step / before' in printed


def test_trainable_and_export(report):
    trainable = report[0]['trainable']
    # tiny CLIP: 2 layers x 8 prompts x width 64, and 10 x 64 context
    assert trainable['tensors'] == {
        'backbone.prompts': [2, 8, 64],
        'head.prompt_learner.context': [10, 64]
    }
    assert trainable['params'] == 2 * 8 * 64 + 10 * 64
    assert trainable['bytes'] == 4 * trainable['params']
    # tensors plus the embedded config: kilobytes, not CLIP's megabytes
    assert trainable['bytes'] < trainable['prompts_export_bytes'] < 10**5


def test_text_sweep(report):
    sweep = report[0]['text_sweep']
    assert sweep['descriptions_per_class'] == [1, 4]
    assert sweep['hard_prompts'] == [7, 28]
    medians = sweep['step_median_s']
    assert sweep['max_over_min'] == pytest.approx(max(medians) / min(medians))
    assert sweep['flat'] == (sweep['max_over_min'] <= 1.25)
    assert all(v > 0 for v in sweep['first_step_s'] + medians)


def test_profile_lists_top_operators_of_each_layout():
    tool = load_tool()
    threads, stdout = torch.get_num_threads(), io.StringIO()
    try:
        with contextlib.redirect_stdout(stdout):
            result = tool.main([
                CONFIG, '--arch', 'mpafer-tiny-vit', '--device', 'cpu',
                '--batch-size', '2', '--threads', '1', '--profile', '500'
            ])
    finally:
        torch.set_num_threads(threads)
    assert set(result['profile']) == {'train_step_batch_first', 'train_step'}
    for rows in result['profile'].values():
        assert 0 < len(rows) <= 500
        self_times = [row['self_s'] for row in rows]
        assert self_times == sorted(self_times, reverse=True)
    # forced batch-first: the projections run as bmm
    assert 'aten::bmm' in {
        row['name']
        for row in result['profile']['train_step_batch_first']
    }
    printed = stdout.getvalue()
    assert '== torch.profiler, one training step' in printed
    assert json.loads(printed.strip().splitlines()[-1]) == \
        json.loads(json.dumps(result))


def test_results_file_renders_every_measurement(report):
    """The README's Performance block is rendered from this very output
    (tools/misc/readme_results/benchmark_cpu.py)."""
    result = json.loads(report[1].read_text())
    assert result['command'].startswith('python ') and result['date']
    spec = importlib.util.spec_from_file_location(
        'benchmark_cpu_renderer',
        os.path.join(REPO_ROOT, 'tools', 'misc', 'readme_results',
                     'benchmark_cpu.py'))
    renderer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(renderer)
    text = renderer.render(result)
    floor = result['train'][result['attention_layout']['true_floor']['train']]
    step = result['train']['train_step']
    assert f"| {step['median_s'] * 1e3:.0f} | " \
        f"{step['median_s'] / floor['median_s']:.3f} |" in text
    assert text.count('(**true floor**)') == 2
    for key in ('train', 'speedup', 'infer', 'memory'):
        assert f"**{result['targets'][key]['ratio']:.3f}**" in text

"""tools/benchmark.py end to end on the tiny CLIP: the report's JSON has
every expected key and positive numbers (no timing assertions)."""
import importlib.util
import json
import os

import torch

from ..conftest import REPO_ROOT

CONFIG = os.path.join(REPO_ROOT, 'configs', 'mpafer_rafdb.py')


def load_tool():
    spec = importlib.util.spec_from_file_location(
        'mpafer_benchmark_tool', os.path.join(REPO_ROOT, 'tools',
                                              'benchmark.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def positive(value):
    return isinstance(value, (int, float)) and value > 0


def test_benchmark_tiny(tmp_path, capsys):
    tool = load_tool()
    json_out = tmp_path / 'bench.json'
    threads = torch.get_num_threads()
    try:
        result = tool.main([
            CONFIG, '--arch', 'mpafer-tiny-vit', '--device', 'cpu',
            '--batch-size', '2', '--warmup', '1', '--repeats', '2',
            '--threads', '1', '--descriptions-per-class', '1,4',
            '--json-out', str(json_out)])
    finally:
        torch.set_num_threads(threads)

    # the last printed line is the JSON report, also written to --json-out
    last_line = capsys.readouterr().out.strip().splitlines()[-1]
    assert json.loads(last_line) == json.loads(json_out.read_text())
    assert json.loads(last_line)['arch'] == 'mpafer-tiny-vit'
    assert result['batch_size'] == 2 and result['pretrained'] is None

    for key in ('train_step', 'train_floor', 'infer_per_image',
 'infer_floor_per_image'):
        assert positive(result[key]['median_s']), key
        assert result[key]['iqr_s'] >= 0, key
    for key, target in (('train', 1.15), ('infer', 1.08)):
        entry = result['targets'][key]
        assert positive(entry['ratio']) and positive(
            entry['ratio_paired_median'])
        assert entry['target'] == target
        assert entry['met'] == (entry['ratio'] <= target)

    memory = result['memory']
    assert memory['kind'] == 'cpu_rss_hwm_growth'
    for key in ('train_step_bytes', 'train_floor_bytes', 'infer_bytes',
                'infer_floor_bytes'):
        assert memory[key] is None or memory[key] >= 0, key

    trainable = result['trainable']
    # tiny CLIP: 2 layers x 8 prompts x width 64, and 10 x 64 context
    assert trainable['tensors'] == {'backbone.prompts': [2, 8, 64],
                                    'head.context': [10, 64]}
    assert trainable['params'] == 2 * 8 * 64 + 10 * 64
    assert trainable['bytes'] == 4 * trainable['params']
    assert trainable['prompts_export_bytes'] > trainable['bytes']
    assert 'torch.save' in trainable['prompts_export_note']

    parts = result['breakdown']['parts']
    for key in ('total step', 'backbone forward (prompted visual)',
                'head: text encoder forward (soft prompts)',
                'backward (all)', 'loss: CE', 'loss: L_ta (token align)',
                'loss: L_pa (prompt align)', 'loss: L_v (prototype)'):
        assert positive(parts[key]), key
    assert all(positive(v) for k, v in result['breakdown']['isolated']
               .items() if 'alone' not in k)

    sweep = result['text_side_vs_descriptions']
    assert sweep['descriptions_per_class'] == [1, 4]
    assert sweep['num_hard_prompts'] == [7, 28]
    assert all(positive(v) for v in sweep['step_median_s'])
    assert all(positive(v) for v in sweep['first_step_s'])
    assert positive(sweep['max_over_min']) and isinstance(sweep['flat'],
                                                          bool)

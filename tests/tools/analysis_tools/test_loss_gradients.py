"""tools/analysis_tools/loss_gradients.py on the tiny CLIP: every term,
gradient norms on the tensors each term reaches, and the results file
renders docs/method.md's table."""
import contextlib
import importlib.util
import io
import json
import os

import pytest

from ...conftest import REPO_ROOT

CONFIG = os.path.join(REPO_ROOT, 'configs', 'mpafer_rafdb.py')
VISUAL, TEXT = 'backbone.prompts', 'head.prompt_learner.context'


def load(*path):
    spec = importlib.util.spec_from_file_location(
        'mpafer_' + os.path.splitext(path[-1])[0],
        os.path.join(REPO_ROOT, *path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def result(tmp_path_factory):
    tool = load('tools', 'analysis_tools', 'loss_gradients.py')
    json_out = tmp_path_factory.mktemp('grads') / 'loss_gradients.json'
    with contextlib.redirect_stdout(io.StringIO()):
        tool.main([
            CONFIG, '--batch-size', '7', '--json-out',
            str(json_out), '--cfg-options',
            'model.clip.model_name=mpafer-tiny-vit'
        ])
    return json.loads(json_out.read_text())


def test_every_term_and_the_tensors_it_reaches(result):
    assert result['command'].startswith('python ') and result['date']
    assert set(result['trainable']) == {VISUAL, TEXT}
    rows = {row['term']: row for row in result['terms']}
    assert list(rows) == [
        'ce', 'ce_global', 'l_ta', 'l_pa_l1_mean', 'l_pa_l1_norm',
        'l_pa_contrastive', 'l_v_cosine', 'l_v_l1_mean', 'l_v_l1_norm'
    ]
    for name in ('ce', 'ce_global'):  # both sides
        assert rows[name]['grad_norm'][VISUAL] > 0
        assert rows[name]['grad_norm'][TEXT] > 0
    for name in ('l_ta', 'l_pa_l1_mean', 'l_pa_l1_norm', 'l_pa_contrastive'):
        assert rows[name]['grad_norm'][VISUAL] == 0  # text side only
        assert rows[name]['grad_norm'][TEXT] > 0
    for name in ('l_v_cosine', 'l_v_l1_mean', 'l_v_l1_norm'):
        assert rows[name]['grad_norm'][TEXT] == 0  # image side only
        assert rows[name]['grad_norm'][VISUAL] > 0
    # 'norm' is D times 'mean', value and gradient alike (D = 64 here)
    for prefix in ('l_pa_l1', 'l_v_l1'):
        mean, norm = rows[f'{prefix}_mean'], rows[f'{prefix}_norm']
        assert norm['value'] == pytest.approx(64 * mean['value'], rel=1e-4)
        for tensor in (VISUAL, TEXT):
            assert norm['grad_norm'][tensor] == pytest.approx(
                64 * mean['grad_norm'][tensor], rel=1e-4)


def test_results_file_renders_the_table(result):
    renderer = load('tools', 'misc', 'readme_results', 'loss_gradients.py')
    text = renderer.render(result)
    assert result['commit'] is None or result['commit'] in text
    assert ('| term | value | ‖∇‖ visual prompts | ÷ CE | '
            '‖∇‖ text context | ÷ CE |') in text
    ce = result['terms'][0]['grad_norm']
    for row in result['terms']:
        norms = ' | '.join(f"{row['grad_norm'][t]:.3g} | "
                           f"{row['grad_norm'][t] / ce[t]:.3g}"
                           for t in (VISUAL, TEXT))
        assert f"| {row['value']:.4g} | {norms} |" in text
    assert len(text.splitlines()) == 4 + len(result['terms'])

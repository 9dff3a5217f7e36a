"""tools/infer.py --classes: learned prompts on names given at run time,
the zero-shot head on the same list, and the refusal for a class-specific
context."""
import json

import pytest
import torch
from mmpretrain.registry import MODELS

from tools.infer import main
from ..conftest import CLASSNAMES, quickstart_cfg
from ..faces.face_fixtures import FACE_PHOTO

NAMES = 'happiness, boredom,confusion'


def checkpoint(tmp_path, data_root, shared):
    cfg = quickstart_cfg(
        tmp_path / 'work',
        data_root,
        classnames=CLASSNAMES,
        prompt_learner=dict(
            type='CoOpPromptLearner', class_specific_context=not shared))
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    path = tmp_path / 'model.pth'
    torch.save(dict(meta={}, state_dict=model.state_dict()), path)
    config = tmp_path / 'config.py'
    cfg.dump(str(config))
    return str(config), str(path)


def test_runtime_classes_and_zero_shot(tmp_path, synthetic_rafdb):
    config, model = checkpoint(tmp_path, synthetic_rafdb, shared=True)
    out = tmp_path / 'out'
    assert main([
        FACE_PHOTO, '--config', config, '--checkpoint', model, '--out',
        str(out), '--device', 'cpu', '--no-detect', '--classes', NAMES,
        '--compare-zero-shot'
    ]) == 0
    [row] = json.loads((out / 'results.json').read_text())
    names = ['happiness', 'boredom', 'confusion']
    assert list(row['scores']) == names
    assert sum(row['scores'].values()) == pytest.approx(1, abs=1e-5)
    assert list(row['zero_shot']['scores']) == names
    assert sum(row['zero_shot']['scores'].values()) == pytest.approx(
        1, abs=1e-5)
    assert row['scores'] != row['zero_shot']['scores']
    summary = json.loads((out / 'summary.json').read_text())
    assert summary['classes'] == names
    assert summary['runtime_classes']['checkpoint_classes'] == CLASSNAMES


def test_class_specific_context_is_refused(tmp_path, synthetic_rafdb):
    config, model = checkpoint(tmp_path, synthetic_rafdb, shared=False)
    with pytest.raises(ValueError, match='class-specific context'):
        main([
            FACE_PHOTO, '--config', config, '--checkpoint', model, '--out',
            str(tmp_path / 'out'), '--device', 'cpu', '--no-detect',
            '--classes', NAMES
        ])


def test_zero_shot_comparison_needs_json(tmp_path):
    with pytest.raises(SystemExit):
        main([
            FACE_PHOTO, '--config', 'c.py', '--checkpoint', 'm.pth', '--out',
            str(tmp_path), '--format', 'csv', '--compare-zero-shot'
        ])


def test_demo_and_api_take_runtime_classes(tmp_path, synthetic_rafdb):
    import cv2

    from mpafer_plugin.apis import FERInferencer
    from tools.demo import FERDemo, parse_args
    assert parse_args(['c.py', 'm.pth', '--classes', NAMES]).classes == NAMES
    config, model = checkpoint(tmp_path, synthetic_rafdb, shared=True)
    names = ['happiness', 'boredom', 'confusion']
    inferencer = FERInferencer(
        config, model, device='cpu', detector=None, classes=names)
    assert inferencer.runtime_classes['checkpoint_classes'] == CLASSNAMES
    rgb = cv2.cvtColor(cv2.imread(FACE_PHOTO), cv2.COLOR_BGR2RGB)
    _, scores, _, _ = FERDemo(inferencer)(rgb)
    assert list(scores) == names

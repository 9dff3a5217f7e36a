"""Reuse the backbone from a plain mmpretrain config via custom_imports,
in a fresh interpreter that has never imported mpafer_plugin."""
import os
import subprocess
import sys
import textwrap

from ..conftest import REPO_ROOT

CONFIG = textwrap.dedent('''
    custom_imports = dict(imports=['mpafer_plugin'],
                          allow_failed_imports=False)
    model = dict(
        type='ImageClassifier',
        backbone=dict(type='PromptedCLIPViT',
                      clip=dict(model_name='mpafer-tiny-vit', pretrained=None),
                      num_prompts=4),
        head=dict(type='LinearClsHead', num_classes=7, in_channels=64,
                  loss=dict(type='CrossEntropyLoss')),
        data_preprocessor=dict(mean=[122.771, 116.746, 104.094],
                               std=[68.501, 66.632, 70.323], to_rgb=True))
''')

SCRIPT = textwrap.dedent('''
    import sys, torch
    from mmengine.config import Config
    from mmengine.optim import build_optim_wrapper
    from mmpretrain.registry import MODELS
    from mmpretrain.structures import DataSample
    assert 'mpafer_plugin' not in sys.modules
    cfg = Config.fromfile(sys.argv[1])
    assert 'mpafer_plugin' in sys.modules
    model = MODELS.build(cfg.model)
    model.init_weights()
    optim = build_optim_wrapper(model,
                                dict(optimizer=dict(type='SGD', lr=0.1)))
    data = dict(inputs=torch.randint(0, 255, (2, 3, 224, 224)).float(),
                data_samples=[DataSample().set_gt_label(i) for i in (0, 3)])
    before = model.backbone.prompts.detach().clone()
    losses = model.train_step(data, optim)
    print('LOSS', float(losses['loss']))
    print('PROMPTS_CHANGED', not torch.equal(before, model.backbone.prompts))
    trainable = sorted(n for n, p in model.named_parameters()
                       if p.requires_grad)
    print('TRAINABLE', trainable)
''')


def test_backbone_under_mmpretrain_image_classifier(tmp_path):
    config = tmp_path / 'linear_probe.py'
    config.write_text(CONFIG)
    script = tmp_path / 'run.py'
    script.write_text(SCRIPT)
    env = dict(os.environ, PYTHONPATH=REPO_ROOT)
    result = subprocess.run(
        [sys.executable, str(script), str(config)],
        capture_output=True,
        text=True,
        env=env,
        cwd=str(tmp_path),
        timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'PROMPTS_CHANGED True' in result.stdout
    assert ("TRAINABLE ['backbone.prompts', 'head.fc.bias', "
            "'head.fc.weight']") in result.stdout

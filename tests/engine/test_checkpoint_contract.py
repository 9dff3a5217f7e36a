"""Checkpoints hold what training changes, describe themselves, and are
refused, naming the file, wherever they are loaded into a model they do not
fit: ``load_from`` / ``tools/test.py``, ``--resume`` and ``init_model``."""
import os
import re
import shutil

import pytest
import torch
from mmengine.runner import Runner

from mpafer_plugin.apis import export_prompts, init_model
from mpafer_plugin.compat import runner_checkpoint_request
from mpafer_plugin.models import CheckpointMismatchError, load_clip
from ..conftest import TINY_CLIP_64, quickstart_cfg


def clip_file(path, seed):
    torch.manual_seed(seed)
    torch.save(load_clip(**TINY_CLIP_64).state_dict(), path)
    return str(path)


def make_cfg(work_dir, data_root, clip, cache):
    """The quick start on a local CLIP file (a spec that rebuilds CLIP)."""
    cfg = quickstart_cfg(work_dir, data_root)
    cfg.model.clip.pretrained = clip
    cfg.train_cfg.max_epochs = 1
    cfg.custom_hooks = [
        dict(hook, cache_dir=cache) for hook in cfg.custom_hooks
    ]
    return cfg


@pytest.fixture(scope='module')
def run(tmp_path_factory, synthetic_rafdb):
    """One epoch of the quick start: ``(cfg, work_dir)``."""
    root = tmp_path_factory.mktemp('contract')
    clip = clip_file(root / 'clip.pt', seed=0)
    cfg = make_cfg(root / 'work', synthetic_rafdb, clip, str(root / 'cache'))
    Runner.from_cfg(cfg.copy()).train()
    return cfg, root / 'work'


def runner_for(run, tmp_path, **changes):
    cfg, work = run
    cfg = cfg.copy()
    cfg.work_dir = str(tmp_path / 'other')
    cfg.merge_from_dict(changes)
    return Runner.from_cfg(cfg)


def test_training_checkpoint_is_lean_and_describes_itself(run):
    cfg, work = run
    checkpoint = torch.load(work / 'epoch_1.pth', weights_only=True)
    assert sorted(checkpoint['state_dict']) == [
        'backbone.prompts', 'head.prompt_learner.context', 'head.prototypes',
        'head.prototypes_ready'
    ]
    assert {'optimizer', 'param_schedulers', 'message_hub'} <= set(checkpoint)
    recorded = checkpoint['meta']['mpafer']
    assert recorded['classes'] == list(cfg.model.head.classnames)
    assert recorded['frozen_weights'] == 'clip_spec'
    assert recorded['clip']['pretrained'] == cfg.model.clip.pretrained
    assert recorded['clip_fingerprint'].startswith('sha256:')
    assert recorded['optimizer']['optimizer'] == 'AdamW'
    # the layouts the frozen blocks ran in: by the rule, per call site
    layout = recorded['attention_layout']
    assert layout['modes'] == {'backbone': 'auto', 'head.text_encoder': 'auto'}
    sites = {(u['site'], u['backward']) for u in layout['used']}
    assert {('backbone', True), ('head.text_encoder', True)} <= sites
    assert {(u['layout'], u['by'])
            for u in layout['used']} == {('sequence_first', 'rule')}


def test_lean_checkpoint_tests_and_infers(run, tmp_path):
    cfg, work = run
    checkpoint = str(work / 'epoch_1.pth')
    metrics = runner_for(run, tmp_path, load_from=checkpoint).test()
    assert metrics['accuracy/top1'] >= 0
    model = init_model(cfg, checkpoint)
    saved = torch.load(checkpoint, weights_only=True)['state_dict']
    torch.testing.assert_close(model.head.prompt_learner.context.detach(),
                               saved['head.prompt_learner.context'])


@pytest.mark.parametrize('change, named', [
    ({
        'model.backbone.num_prompts': 4
    }, r'backbone.prompts: checkpoint \(2, 8, 64\), model \(2, 4, 64\)'),
    ({
        'model.head.prompt_learner.class_specific_context': False
    }, r'head.prompt_learner.context: checkpoint \(7, 10, 64\), '
     r'model \(10, 64\)'),
])
def test_load_from_into_another_model_is_refused(run, tmp_path, change, named):
    cfg, work = run
    checkpoint = str(work / 'epoch_1.pth')
    runner = runner_for(run, tmp_path, load_from=checkpoint, **change)
    with pytest.raises(
            CheckpointMismatchError,
            match=rf'{checkpoint} does not fit(.|\n)*{named}'):
        runner.test()
    with pytest.raises(CheckpointMismatchError, match=named):
        init_model(_merged(cfg, change), checkpoint)


def _merged(cfg, change):
    cfg = cfg.copy()
    cfg.merge_from_dict(change)
    return cfg


def test_clip_weights_file_as_checkpoint_is_refused(run, tmp_path):
    cfg, _ = run
    runner = runner_for(run, tmp_path, load_from=cfg.model.clip.pretrained)
    with pytest.raises(
            CheckpointMismatchError,
            match=r'backbone.prompts: missing from the checkpoint '
            r'\(model: \(2, 8, 64\)\)(.|\n)*'
            r'head.prompt_learner.context: missing'
            r'(.|\n)*tensors the model does not have'):
        runner.test()


def test_resume_with_another_optimizer_names_both(run, tmp_path):
    cfg, work = run
    runner = runner_for(
        run,
        tmp_path,
        resume=True,
        load_from=str(work / 'epoch_1.pth'),
        **{
            'train_cfg.max_epochs':
            2,
            'optim_wrapper.optimizer':
            dict(_delete_=True, type='SGD', lr=0.01, momentum=0.9)
        })
    with pytest.raises(
            CheckpointMismatchError,
            match=r"another optimizer(.|\n)*'AdamW'(.|\n)*'SGD'"):
        runner.train()


def test_resume_with_another_model_names_tensors(run, tmp_path):
    _, work = run
    runner = runner_for(
        run,
        tmp_path,
        resume=True,
        load_from=str(work / 'epoch_1.pth'),
        **{
            'train_cfg.max_epochs': 2,
            'model.backbone.num_prompts': 4
        })
    with pytest.raises(
            CheckpointMismatchError,
            match=r'backbone.prompts: checkpoint \(2, 8, 64\), '
            r'model \(2, 4, 64\)'):
        runner.train()


def test_resume_from_an_export_says_why_not(run, tmp_path):
    cfg, work = run
    export = str(tmp_path / 'prompts.pth')
    export_prompts(init_model(cfg, str(work / 'epoch_1.pth')), cfg, export)
    runner = runner_for(
        run,
        tmp_path,
        resume=True,
        load_from=export,
        **{'train_cfg.max_epochs': 2})
    with pytest.raises(
            CheckpointMismatchError,
            match=r'prompts-only export(.|\n)*no optimizer state'
            r'(.|\n)*cannot be resumed'):
        runner.train()
    # ... while load_from and init_model take it
    runner_for(run, tmp_path, load_from=export).test()
    init_model(export)


def test_classes_of_another_order_or_wording_stop_test_and_inference(
        run, tmp_path):
    cfg, work = run
    checkpoint = str(work / 'epoch_1.pth')
    trained = list(cfg.model.head.classnames)
    reordered = trained[1:2] + trained[:1] + trained[2:]
    reworded = [c.capitalize() for c in trained]
    for classes in (reordered, reworded):
        changed = _merged(cfg, {'model.head.classnames': classes})
        pattern = (rf'trained with classes {re.escape(str(trained))}(.|\n)*'
                   rf'classnames are {re.escape(str(classes))}')
        with pytest.raises(CheckpointMismatchError, match=pattern):
            init_model(changed, checkpoint)
        runner = runner_for(
            run,
            tmp_path,
            load_from=checkpoint,
            **{'model.head.classnames': classes})
        with pytest.raises(CheckpointMismatchError, match=pattern):
            runner.test()


def test_other_clip_weights_are_refused_naming_both_fingerprints(
        run, tmp_path):
    cfg, work = run
    other = clip_file(tmp_path / 'other_clip.pt', seed=1)
    checkpoint = str(work / 'epoch_1.pth')
    recorded = torch.load(checkpoint, weights_only=True)['meta']['mpafer']
    pattern = (rf'{recorded["clip_fingerprint"]}(.|\n)*other_clip.pt'
               rf'(.|\n)*fingerprint sha256:')
    with pytest.raises(CheckpointMismatchError, match=pattern):
        init_model(_merged(cfg, {'model.clip.pretrained': other}), checkpoint)
    runner = runner_for(
        run,
        tmp_path,
        load_from=checkpoint,
        **{'model.clip.pretrained': other})
    with pytest.raises(CheckpointMismatchError, match=pattern):
        runner.test()


def test_flipped_bytes_in_the_prompts_are_refused_naming_the_file(
        run, tmp_path):
    cfg, work = run
    checkpoint = torch.load(work / 'epoch_1.pth', weights_only=True)
    context = checkpoint['state_dict']['head.prompt_learner.context']
    raw = context.view(-1).view(torch.uint8)
    raw[:16] ^= 0xFF
    bad = str(tmp_path / 'flipped.pth')
    torch.save(checkpoint, bad)
    with pytest.raises(
            CheckpointMismatchError,
            match=rf'{bad} is corrupt: its trainable tensors'):
        init_model(cfg, bad)
    with pytest.raises(CheckpointMismatchError, match=rf'{bad} is corrupt'):
        runner_for(run, tmp_path, load_from=bad).test()


def test_auto_resume_uses_the_newest_valid_checkpoint_of_the_work_dir(
        run, tmp_path):
    cfg, work = run
    copy = tmp_path / 'copied_work_dir'
    shutil.copytree(work, copy)
    # last_checkpoint holds the original's absolute path; a corrupt newer
    # checkpoint (a writer killed mid-save) is skipped.
    assert str(work) in (copy / 'last_checkpoint').read_text()
    (copy / 'epoch_2.pth').write_bytes(
        (copy / 'epoch_1.pth').read_bytes()[:1000])
    resumed = cfg.copy()
    resumed.work_dir, resumed.resume, resumed.load_from = str(copy), True, None
    runner = Runner.from_cfg(resumed)
    runner.train()  # max_epochs 1: resumes and stops
    assert runner_checkpoint_request(runner) == (str(copy / 'epoch_1.pth'),
                                                 True)
    assert runner.epoch == 1
    # the corrupt one deleted, as the error message advises: still resumes
    os.remove(copy / 'epoch_2.pth')
    runner = Runner.from_cfg(resumed.copy())
    runner.train()
    assert runner_checkpoint_request(runner)[0] == str(copy / 'epoch_1.pth')


def test_work_dir_with_only_corrupt_checkpoints_names_them(run, tmp_path):
    cfg, _ = run
    work = tmp_path / 'broken'
    work.mkdir()
    (work / 'epoch_1.pth').write_bytes(b'not a checkpoint')
    resumed = cfg.copy()
    resumed.work_dir, resumed.resume, resumed.load_from = str(work), True, None
    with pytest.raises(
            CheckpointMismatchError,
            match=r'No valid checkpoint(.|\n)*epoch_1.pth'):
        Runner.from_cfg(resumed).train()


def test_full_checkpoint_of_the_old_format_still_loads(run, tmp_path):
    cfg, work = run
    model = init_model(cfg, str(work / 'epoch_1.pth'))
    old = str(tmp_path / 'old_full.pth')
    torch.save(dict(meta=dict(epoch=1), state_dict=model.state_dict()), old)
    runner_for(run, tmp_path, load_from=old).test()
    again = init_model(cfg, old)
    torch.testing.assert_close(again.head.prompt_learner.context,
                               model.head.prompt_learner.context)


def test_resume_of_an_old_checkpoint_with_another_optimizer_names_both(
        run, tmp_path):
    _, work = run
    old = torch.load(work / 'epoch_1.pth', weights_only=True)
    del old['meta']['mpafer']  # as written before the contract existed
    path = str(tmp_path / 'old.pth')
    torch.save(old, path)
    runner = runner_for(
        run,
        tmp_path,
        resume=True,
        load_from=path,
        **{
            'train_cfg.max_epochs':
            2,
            'optim_wrapper.optimizer':
            dict(_delete_=True, type='SGD', lr=0.01, momentum=0.9)
        })
    with pytest.raises(
            CheckpointMismatchError,
            match=r"another optimizer(.|\n)*'amsgrad', 'betas'"
            r"(.|\n)*SGD with settings \['dampening'"):
        runner.train()

"""tools/dist_train.sh and tools/dist_test.sh with 2 CPU processes (Gloo):
disjoint data shards, identical prompts, one prototype pass and cache."""
import os
import pickle
import re
import socket
import subprocess
import sys

import torch
from mmpretrain.registry import DATASETS

from ..conftest import REPO_ROOT, quickstart_cfg


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def launch(script, *args, env):
    result = subprocess.run(
        ['bash', os.path.join(REPO_ROOT, 'tools', script), *args],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=300,
        env=dict(env, PORT=str(free_port())))
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-5000:]
    return log


def test_two_cpu_ranks_train_on_disjoint_shards_to_identical_prompts(
        tmp_path, synthetic_rafdb):
    work, cache = tmp_path / 'work', tmp_path / 'cache'
    cfg = quickstart_cfg(work, synthetic_rafdb)
    cfg.train_cfg.max_epochs = 1
    cfg.default_hooks.logger.interval = 1
    cfg.custom_imports.imports.append('tests.tools.dist_probe_hook')
    cfg.custom_hooks[0].cache_dir = str(cache)
    cfg.custom_hooks.append(dict(type='DistProbeHook'))
    config = str(tmp_path / 'config.py')
    cfg.dump(config)
    env = dict(os.environ, PYTHON=sys.executable, CUDA_VISIBLE_DEVICES='')

    log = launch('dist_train.sh', config, '2', env=env)
    assert 'runs on CPU with the gloo backend' in log
    ranks = [
        torch.load(work / f'probe_rank{r}.pth', weights_only=False)
        for r in range(2)
    ]
    assert [r['world_size'] for r in ranks] == [2, 2]

    # disjoint shards that together cover the training set once
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    everything = sorted(
        dataset.get_data_info(i)['img_path'] for i in range(len(dataset)))
    seen = [r['img_paths'] for r in ranks]
    assert len(seen[0]) == len(seen[1]) == len(everything) // 2
    assert not set(seen[0]) & set(seen[1])
    assert sorted(seen[0] + seen[1]) == everything

    # identical prompts, moved by training
    first, second = ranks
    prompts = {'backbone.prompts', 'head.prompt_learner.context'}
    assert set(first['final']) == prompts
    for name, final in first['final'].items():
        assert torch.equal(final, second['final'][name]), name
        assert torch.equal(first['initial'][name], second['initial'][name])
        assert not torch.allclose(final, first['initial'][name]), name
    checkpoint = torch.load(work / 'epoch_1.pth', weights_only=False)
    for name, final in first['final'].items():
        assert torch.equal(checkpoint['state_dict'][name], final), name

    # one prototype pass: same prototypes on both ranks, one cache file
    # (written by rank 0), and the second pass hits it on both ranks
    assert torch.equal(first['prototypes'], second['prototypes'])
    assert first['prototypes'].abs().sum() > 0
    files = list(cache.glob('*.pth'))
    assert len(files) == 1
    cached = torch.load(files[0], weights_only=True)['prototypes']
    for rank in ranks:
        assert torch.equal(rank['cached_prototypes'], cached)
    assert torch.allclose(cached, first['prototypes'])
    assert log.count('PrototypeHook: loaded cached prototypes') == 1

    # evaluation on both ranks: every test image once, the training's score
    val = re.findall(
        r'Epoch\(val\) \[1\]\[\d+/\d+\]\s+accuracy/top1: '
        r'([\d.]+)', log)
    out = tmp_path / 'predictions.pkl'
    log = launch(
        'dist_test.sh',
        config,
        str(work / 'epoch_1.pth'),
        '2',
        '--work-dir',
        str(tmp_path / 'test'),
        '--out',
        str(out),
        env=env)
    test = re.findall(r'accuracy/top1: ([\d.]+)', log)
    assert val and test and float(test[-1]) == float(val[-1])
    with open(out, 'rb') as f:
        predictions = pickle.load(f)
    assert sorted(p['sample_idx'] for p in predictions) == list(range(28))

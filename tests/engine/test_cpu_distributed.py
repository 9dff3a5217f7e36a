"""Distributed start-up on CPU: launcher variables, Gloo, DDP wrapper."""
import os
import stat

import pytest
import torch.distributed as torch_dist
from mmengine.config import Config

from mpafer_plugin.engine.cpu_distributed import (distributed_session,
                                                  init_cpu_distributed,
                                                  launcher_env)

SLURM = dict(
    SLURM_PROCID='3',
    SLURM_NTASKS='8',
    SLURM_LOCALID='1',
    SLURM_NODELIST='node[07-08]')


def test_torchrun_sets_its_own_variables():
    assert launcher_env('pytorch', {}) == {}


def test_slurm_variables_and_port():
    env = launcher_env('slurm', dict(SLURM, MASTER_ADDR='10.0.0.7'))
    assert env == dict(
        RANK='3',
        WORLD_SIZE='8',
        LOCAL_RANK='1',
        MASTER_ADDR='10.0.0.7',
        MASTER_PORT='29500')
    env = launcher_env(
        'slurm', dict(SLURM, MASTER_ADDR='h', MASTER_PORT='1'), port=2345)
    assert env['MASTER_PORT'] == '2345'  # dist_cfg.port wins, as in MMEngine


def test_slurm_master_is_the_first_host_of_the_node_list(
        tmp_path, monkeypatch):
    scontrol = tmp_path / 'scontrol'
    scontrol.write_text('#!/bin/sh\n[ "$3" = "node[07-08]" ] && '
                        'printf "node07\\nnode08\\n"\n')
    scontrol.chmod(scontrol.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv('PATH', f'{tmp_path}{os.pathsep}{os.environ["PATH"]}')
    assert launcher_env('slurm', SLURM)['MASTER_ADDR'] == 'node07'


def test_mpi_variables_and_missing_ones_are_named():
    mpi = dict(
        OMPI_COMM_WORLD_RANK='2',
        OMPI_COMM_WORLD_SIZE='4',
        OMPI_COMM_WORLD_LOCAL_RANK='0')
    assert launcher_env('mpi', dict(mpi, MASTER_ADDR='h')) == dict(
        RANK='2',
        WORLD_SIZE='4',
        LOCAL_RANK='0',
        MASTER_ADDR='h',
        MASTER_PORT='29500')
    with pytest.raises(RuntimeError, match='MASTER_ADDR'):
        launcher_env('mpi', mpi)
    with pytest.raises(RuntimeError, match="'SLURM_NTASKS'.*srun"):
        launcher_env('slurm', dict(SLURM_PROCID='0', SLURM_LOCALID='0'))


def test_no_launcher_starts_nothing():
    cfg = Config(dict(launcher='none'))
    assert init_cpu_distributed(cfg) is False
    assert not torch_dist.is_initialized()


def test_slurm_job_on_cpu_runs_on_gloo_with_a_cpu_ddp_wrapper(monkeypatch):
    """One Slurm task, for real: the NCCL of the config becomes Gloo, the
    Runner's DDP wrapper gets device_ids=None, the group is closed after."""
    for name, value in dict(
            SLURM_PROCID='0',
            SLURM_NTASKS='1',
            SLURM_LOCALID='0',
            SLURM_NODELIST='localhost',
            MASTER_ADDR='127.0.0.1').items():
        monkeypatch.setenv(name, value)
    for name in ('RANK', 'WORLD_SIZE', 'LOCAL_RANK', 'MASTER_PORT'):
        monkeypatch.setenv(name, '7')  # stale values, replaced by Slurm's
    monkeypatch.setattr('mpafer_plugin.engine.cpu_distributed.get_device',
                        lambda: 'cpu')
    cfg = Config(
        dict(
            launcher='slurm',
            find_unused_parameters=True,
            env_cfg=dict(dist_cfg=dict(backend='nccl', timeout=60, port=0))))
    with distributed_session(cfg):
        assert torch_dist.get_backend() == 'gloo'
        assert torch_dist.get_world_size() == 1
        assert os.environ['RANK'] == '0' and os.environ['LOCAL_RANK'] == '0'
        assert os.environ['MASTER_PORT'] == '0'  # dist_cfg.port: any free
        assert cfg.model_wrapper_cfg == dict(
            type='MMDistributedDataParallel',
            broadcast_buffers=False,
            find_unused_parameters=True,
            device_ids=None)
    assert not torch_dist.is_initialized()

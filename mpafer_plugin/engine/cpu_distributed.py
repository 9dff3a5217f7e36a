"""Launch MMEngine's distributed Runner on CPU, over Gloo.

On a GPU machine ``tools/train.py`` / ``tools/test.py`` leave distributed
start-up to MMEngine (``init_dist``: NCCL, one GPU per process). On a
machine without an accelerator that path fails: MMEngine 0.10.7's
``init_dist`` pins a CUDA device, the configs ask for NCCL, and the Runner
wraps the model in ``DistributedDataParallel(device_ids=[LOCAL_RANK])``,
which a CPU module refuses. :func:`distributed_session` fixes the three
before the Runner is built:

1. the process group is initialised here, with Gloo when the config asks for
   NCCL, so that the Runner's ``setup_env`` (which calls ``init_dist`` only
   when no group exists yet) skips ``init_dist``;
2. the ``slurm`` and ``mpi`` launchers' variables are mapped to the
   ``env://`` ones (``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``,
   ``MASTER_ADDR``, ``MASTER_PORT``); ``pytorch`` (torchrun) sets them
   itself;
3. ``model_wrapper_cfg`` gets ``device_ids=None``.

Every other setting (``dist_cfg.timeout`` …) is used as in MMEngine.
"""
import os
import subprocess
from contextlib import contextmanager
from datetime import timedelta
from typing import Dict, Mapping, Optional

import torch.distributed as torch_dist
from mmengine.device import get_device
from mmengine.logging import print_log
from mmpretrain.registry import MODEL_WRAPPERS
from torch.nn.parallel import DistributedDataParallel

# env:// variable -> the variable each launcher sets
LAUNCHER_VARIABLES = {
    'slurm':
    dict(
        RANK='SLURM_PROCID',
        WORLD_SIZE='SLURM_NTASKS',
        LOCAL_RANK='SLURM_LOCALID'),
    'mpi':
    dict(
        RANK='OMPI_COMM_WORLD_RANK',
        WORLD_SIZE='OMPI_COMM_WORLD_SIZE',
        LOCAL_RANK='OMPI_COMM_WORLD_LOCAL_RANK'),
}
DEFAULT_PORT = '29500'  # torch.distributed's default


def launcher_env(launcher: str,
                 environ: Mapping[str, str],
                 port: Optional[int] = None) -> Dict[str, str]:
    """The ``env://`` variables that ``launcher`` implies in ``environ``.

    Args:
        launcher: ``'pytorch'``, ``'slurm'`` or ``'mpi'``.
        environ: the process environment.
        port: ``dist_cfg.port`` (Slurm), else ``MASTER_PORT`` or 29500.

    Returns:
        Variables to add to the environment; empty for ``'pytorch'``.
    """
    if launcher == 'pytorch':
        return {}
    if launcher not in LAUNCHER_VARIABLES:
        raise ValueError(f'Unknown launcher {launcher!r}; expected one of '
                         f"'pytorch', {list(LAUNCHER_VARIABLES)}.")
    names = LAUNCHER_VARIABLES[launcher]
    missing = [name for name in names.values() if name not in environ]
    if missing:
        how = 'srun (tools/slurm_train.sh)' if launcher == 'slurm' else \
            'mpirun'
        raise RuntimeError(
            f'--launcher {launcher}: environment variable(s) {missing} are '
            f'not set; start the job with {how}.')
    env = {key: environ[name] for key, name in names.items()}
    if port is None:
        port = environ.get('MASTER_PORT', DEFAULT_PORT)
    env['MASTER_PORT'] = str(port)
    if 'MASTER_ADDR' in environ:
        env['MASTER_ADDR'] = environ['MASTER_ADDR']
    elif launcher == 'slurm':
        env['MASTER_ADDR'] = subprocess.run(
            ['scontrol', 'show', 'hostnames', environ['SLURM_NODELIST']],
            capture_output=True,
            text=True,
            check=True).stdout.split()[0]
    else:
        raise RuntimeError('--launcher mpi: set MASTER_ADDR to the address '
                           'of the rank-0 host.')
    return env


def _cpu_model_wrapper_cfg(cfg) -> dict:
    """The Runner's default DDP wrapper (or the config's), for CPU."""
    wrapper = dict(
        cfg.get('model_wrapper_cfg') or dict(
            type='MMDistributedDataParallel',
            broadcast_buffers=False,
            find_unused_parameters=cfg.get('find_unused_parameters', False)))
    wrapper.setdefault('type', 'MMDistributedDataParallel')
    if issubclass(
            MODEL_WRAPPERS.get(wrapper['type']), DistributedDataParallel):
        wrapper.setdefault('device_ids', None)
    return wrapper


def init_cpu_distributed(cfg) -> bool:
    """Start the process group of ``cfg.launcher`` on CPU (Gloo) and make
    ``cfg`` CPU-ready; do nothing when no launcher is set, when an
    accelerator is present (MMEngine starts NCCL itself) or when a group
    exists already.

    Returns:
        Whether a process group was started here.
    """
    launcher = cfg.get('launcher', 'none')
    if (launcher == 'none' or get_device() != 'cpu'
            or torch_dist.is_initialized()):
        return False
    dist_cfg = dict((cfg.get('env_cfg') or {}).get('dist_cfg') or {})
    backend = dist_cfg.pop('backend', 'gloo')
    if backend == 'nccl':
        backend = 'gloo'
    if dist_cfg.pop('init_backend', 'torch') != 'torch':
        raise ValueError('env_cfg.dist_cfg.init_backend: only "torch" is '
                         'supported on CPU.')
    os.environ.update(
        launcher_env(launcher, os.environ, dist_cfg.pop('port', None)))
    if isinstance(dist_cfg.get('timeout'), (int, float)):
        dist_cfg['timeout'] = timedelta(seconds=dist_cfg['timeout'])
    torch_dist.init_process_group(backend=backend, **dist_cfg)
    cfg.model_wrapper_cfg = _cpu_model_wrapper_cfg(cfg)
    print_log(
        f'No accelerator: rank {torch_dist.get_rank()} of '
        f'{torch_dist.get_world_size()} runs on CPU with the '
        f'{backend} backend.',
        logger='current')
    return True


@contextmanager
def distributed_session(cfg):
    """Run the body (build and run the Runner) in a distributed session:
    started by :func:`init_cpu_distributed` on CPU, by MMEngine otherwise;
    the process group, whoever started it, is destroyed after a barrier
    when the body succeeds (after an error the launcher ends every rank;
    destroying a group that other ranks still wait on could hang)."""
    init_cpu_distributed(cfg)
    yield
    if torch_dist.is_initialized():
        # Every rank reaches this point before any tears its group down: a
        # rank that exits while a peer still talks to it aborts the peer
        # ("terminate called without an active exception" under Gloo).
        torch_dist.barrier()
        torch_dist.destroy_process_group()

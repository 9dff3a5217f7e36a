"""tools/slurm_train.sh and tools/slurm_test.sh under a stand-in ``srun``
(one CPU task, --launcher slurm, Gloo) and their srun options."""
import os
import socket
import stat
import subprocess
import sys

from ..conftest import REPO_ROOT, quickstart_cfg

# Records its arguments; with RUN_TASK=1 runs the command as Slurm task 0
# of 1 (srun's own options all come first: -p VALUE, then --key=value).
FAKE_SRUN = '''#!/bin/sh
printf '%s\\n' "$@" > "$SRUN_LOG"
while [ $# -gt 0 ]; do
    case "$1" in -p) shift 2 ;; --*) shift ;; *) break ;; esac
done
[ "$RUN_TASK" = 1 ] || exit 0
SLURM_PROCID=0 SLURM_NTASKS=1 SLURM_LOCALID=0 SLURM_NODELIST=node7 \\
    exec "$@"
'''
FAKE_SCONTROL = '''#!/bin/sh
[ "$*" = "show hostnames node7" ] && echo 127.0.0.1
'''


def fake_slurm(tmp_path, **env):
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    for name, text in (('srun', FAKE_SRUN), ('scontrol', FAKE_SCONTROL)):
        path = bin_dir / name
        path.write_text(text)
        path.chmod(path.stat().st_mode | stat.S_IEXEC)
    environ = {
        k: v
        for k, v in os.environ.items()
        if k not in ('MASTER_ADDR', 'RANK', 'WORLD_SIZE')
    }
    return dict(
        environ,
        PATH=f'{bin_dir}{os.pathsep}{os.environ["PATH"]}',
        SRUN_LOG=str(tmp_path / 'srun_args'),
        PYTHON=sys.executable,
        CUDA_VISIBLE_DEVICES='',
        **env)


def slurm(script, *args, env):
    result = subprocess.run(
        ['bash', os.path.join(REPO_ROOT, 'tools', script), *args],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env=env,
        timeout=300)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-5000:]
    return log, open(env['SRUN_LOG']).read().split('\n')


def test_srun_options_default_to_one_task_per_gpu(tmp_path):
    env = fake_slurm(tmp_path, GPUS='16', SRUN_ARGS='--time=1:00 --qos=x')
    _, args = slurm(
        'slurm_train.sh', 'part', 'job', 'cfg.py', 'work', '--amp', env=env)
    assert args[:9] == [
        '-p', 'part', '--job-name=job', '--gres=gpu:8', '--ntasks=16',
        '--ntasks-per-node=8', '--cpus-per-task=5', '--kill-on-bad-exit=1',
        '--time=1:00'
    ]
    assert args[9] == '--qos=x' and args[10] == sys.executable
    assert args[11:] == [
        '-u',
        os.path.join(REPO_ROOT, 'tools', 'train.py'), '--launcher', 'slurm',
        'cfg.py', '--work-dir=work', '--amp', ''
    ]


def test_one_cpu_task_trains(tmp_path, synthetic_rafdb):
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = str(sock.getsockname()[1])
    env = fake_slurm(
        tmp_path,
        GPUS='1',
        GRES='',
        RUN_TASK='1',
        MASTER_PORT=port,
        MPAFER_CACHE=str(tmp_path / 'cache'))
    cfg = quickstart_cfg(tmp_path / 'work', synthetic_rafdb)
    cfg.train_cfg.max_epochs = 1
    config = str(tmp_path / 'config.py')
    cfg.dump(config)
    log, args = slurm(
        'slurm_train.sh',
        'cpu',
        'mpafer',
        config,
        str(tmp_path / 'work'),
        '--no-validate',
        env=env)
    assert not any(a.startswith('--gres') for a in args)
    assert 'rank 0 of 1 runs on CPU with the gloo backend' in log
    assert (tmp_path / 'work' / 'epoch_1.pth').is_file()


def test_slurm_test_passes_config_and_checkpoint(tmp_path):
    env = fake_slurm(tmp_path, GPUS='2')
    _, args = slurm(
        'slurm_test.sh',
        'part',
        'job',
        'cfg.py',
        'ckpt.pth',
        '--out',
        'r.pkl',
        env=env)
    assert args[2:5] == ['--job-name=job', '--gres=gpu:2', '--ntasks=2']
    assert args[8:] == [
        sys.executable, '-u',
        os.path.join(REPO_ROOT, 'tools', 'test.py'), '--launcher', 'slurm',
        'cfg.py', 'ckpt.pth', '--out', 'r.pkl', ''
    ]

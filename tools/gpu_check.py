"""Every CUDA path of the project once, and the paper's recipe timed, in one
call on one GPU (docs/gpu.md). Run it through tools/gpu_check.sh.

Steps, most valuable first, each skipped when the time left (``--budget-s``)
is below its estimate and stopped at the time left:

1. ``pytest -m cuda`` (while a RAF-DB-sized synthetic dataset is drawn in
   the background: 12,271 train / 3,068 test 100x100 JPEGs, official
   layout);
2. ``tools/analysis_tools/benchmark.py`` (random weights): ViT-B/16 bf16 and
   fp32 at batch 32;
3. one epoch (and its validation) of ``configs/mpafer_rafdb.py`` through
   the Runner, launched by ``tools/dist_train.sh CONFIG 1`` (NCCL on a GPU),
   at batch 32, then at the largest batch with ``--auto-scale-lr``, timed
   by :class:`EpochTimingHook`: seconds per epoch, images/s, the fraction
   of each step spent waiting for data, the prototype pass, the checkpoint,
   and the projected wall time of the 120-epoch recipe;
4. the benchmark for ViT-L/14 at batch 32, then for both towers at the
   largest batch that fits (estimated from the batch-32 peak memory, capped
   by ``--max-batch``, halved once on an out-of-memory error).

``--dry-run`` runs the same steps on CPU in minutes: the tiny test CLIP, 1 %
of the dataset, small batches, Gloo instead of NCCL.

Writes ``summary.json`` (every figure, rewritten after each step),
``gpu_check.log`` (commands, return codes, durations) and the steps' logs
``pytest.log``, ``benchmark.log``, ``train.log`` to ``--out``.
"""
import argparse
import json
import os
import os.path as osp
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import traceback
from typing import List, Optional

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
OUT_FILES = ('summary.json', 'gpu_check.log', 'pytest.log', 'benchmark.log',
             'train.log')
CONFIG = 'configs/mpafer_rafdb.py'
RECIPE_EPOCHS = 120
ARCHS = {'ViT-B/16': 'ViT-B-16-quickgelu', 'ViT-L/14': 'ViT-L-14-quickgelu'}
TINY_ARCH = 'mpafer-tiny-vit'  # --dry-run: every tower is the test one
# The run's sizes: a GPU run, and --dry-run's on CPU
GPU = dict(
    device='cuda',
    scale=1.0,
    batch=32,
    max_batch=512,
    train_max_batch=512,
    repeats=5,
    big_repeats=3,
    threads=None,
    budget_s=480)
DRY = dict(
    device='cpu',
    scale=0.01,
    batch=4,
    max_batch=8,
    train_max_batch=16,
    repeats=2,
    big_repeats=1,
    threads=1,
    budget_s=1500)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', required=True, help='results folder')
    parser.add_argument(
        '--work',
        default=None,
        help='scratch folder (dataset, work dirs, '
        'checkpoints); default work_dirs/gpu_check/work')
    parser.add_argument(
        '--budget-s',
        type=float,
        default=None,
        help='skip the steps that no longer fit in this '
        'many seconds (default 480; --dry-run 1500)')
    parser.add_argument(
        '--max-batch',
        type=int,
        default=None,
        help='cap of the largest batch (default 512; '
        '--dry-run 8)')
    parser.add_argument(
        '--dry-run',
        action='store_true',
        help='CPU, tiny CLIP, 1%% of the dataset')
    return parser.parse_args(argv)


# ------------------------------------------------------------ pure helpers
def largest_batch(peak_bytes: Optional[float],
                  batch: int,
                  free_bytes: Optional[float],
                  cap: int,
                  headroom: float = 0.8) -> int:
    """The largest power of two ``<= cap`` whose training step should fit
    in ``headroom * free_bytes``, the step's peak memory growing linearly
    from ``peak_bytes`` at ``batch``; ``cap`` when either is unknown."""
    if not peak_bytes or not free_bytes:
        return cap
    fits = headroom * free_bytes * batch / peak_bytes
    size = batch
    while size * 2 <= min(fits, cap):
        size *= 2
    return size


def projection(timing: dict,
               wall_s: float,
               epochs: int = RECIPE_EPOCHS) -> dict:
    """The wall time of ``epochs`` epochs from a one-epoch run: what ran
    once (start-up, prototype pass: the run's wall time minus its epoch)
    plus ``epochs`` times the epoch (training, checkpoint, validation).
    The epoch is the first one (loader and kernel warm-up included), and
    the best checkpoint, saved in it, is saved only on improvement later:
    an upper bound."""
    epoch = timing['epochs'][0]
    parts = dict(
        train_s=epoch['train_s'],
        checkpoint_s=epoch['after_epoch_s'],
        val_s=epoch.get('val_s', 0.0))
    per_epoch = sum(parts.values())
    once = wall_s - per_epoch
    return dict(
        epochs=epochs,
        per_epoch_s=per_epoch,
        once_s=once,
        total_s=once + epochs * per_epoch,
        epoch_shares={
            k: v / per_epoch
            for k, v in parts.items()
        },
        data_wait_fraction=epoch['data_wait_fraction'])


def pytest_counts(log: str) -> dict:
    """``{'passed': n, 'skipped': n, ...}`` from pytest's last line."""
    tail = log.strip().splitlines()[-1] if log.strip() else ''
    return {
        word: int(n)
        for n, word in re.findall(
            r'(\d+) (passed|failed|skipped|deselected|errors?)', tail)
    }


def lr_scale(log: str) -> Optional[float]:
    """The factor ``--auto-scale-lr`` applied, from the Runner's log."""
    found = re.search(r'Scaling the original LR by ([\d.]*\d)', log)
    return float(found.group(1)) if found else None


def bench_key(name: str, amp: bool, batch: int) -> str:
    """``'ViT-B/16 bf16 b32'``: a benchmark's key in the summary."""
    return f'{name} {"bf16" if amp else "fp32"} b{batch}'


def benchmark_figures(result: dict) -> dict:
    """The figures docs/gpu.md reports, from the JSON of
    tools/analysis_tools/benchmark.py."""
    batch, targets = result['batch_size'], result['targets']
    train, infer = result['train'], result['infer']
    floor = targets['train'].get('over', 'floor')  # the one it compared to
    peak = train['train_step'].get('peak_bytes')
    return dict(
        batch=batch,
        amp=result['amp'],
        train_over_floor=targets['train']['ratio'],
        infer_over_floor=targets['infer']['ratio'],
        train_floor=floor,
        train_images_per_s=batch / train['train_step']['median_s'],
        floor_images_per_s=batch / train[floor]['median_s'],
        infer_images_per_s=1 / infer['predict']['per_image_median_s'],
        train_peak_mib=None if peak is None else peak / 2**20,
        memory_kind=result['memory']['kind'])


# ------------------------------------------------------------------ runner
class Check:
    """The steps, their logs and the summary, under a time budget."""

    def __init__(self, args):
        self.args, self.start = args, time.monotonic()
        self.mode = dict(DRY if args.dry_run else GPU)
        if args.budget_s:
            self.mode['budget_s'] = args.budget_s
        if args.max_batch:
            self.mode['max_batch'] = self.mode['train_max_batch'] = \
                args.max_batch
        self.out = osp.abspath(args.out)
        self.work = osp.abspath(
            args.work or osp.join(ROOT, 'work_dirs', 'gpu_check', 'work'))
        os.makedirs(self.out, exist_ok=True)
        # a fresh start: no logs, prototype cache or work dir of an earlier
        # run
        for name in OUT_FILES:
            if osp.exists(osp.join(self.out, name)):
                os.remove(osp.join(self.out, name))
        shutil.rmtree(self.work, ignore_errors=True)
        os.makedirs(self.work)
        self.data_root = osp.join(self.work, 'rafdb')
        self.summary = dict(
            dry_run=args.dry_run,
            budget_s=self.mode['budget_s'],
            steps={},
            benchmark={},
            train={})

    def guarded(self, step, *args, **kwargs) -> None:
        """Run one step; an error of this script (not of the command it
        runs, which is recorded as its return code) is logged and the
        next step runs."""
        try:
            step(*args, **kwargs)
        except Exception:  # noqa: BLE001  one step, not the whole check
            error = traceback.format_exc()
            self.summary.setdefault('errors', []).append(error)
            self.log(f'ERROR in {step.__name__}: {error}')
            self.save()

    def left(self) -> float:
        return self.mode['budget_s'] - (time.monotonic() - self.start)

    def log(self, text: str) -> None:
        line = f'[{time.monotonic() - self.start:7.1f} s] {text}'
        print(line, flush=True)
        with open(osp.join(self.out, 'gpu_check.log'), 'a') as f:
            f.write(line + '\n')

    def save(self) -> None:
        with open(osp.join(self.out, 'summary.json'), 'w') as f:
            json.dump(self.summary, f, indent=2)

    def run(self,
            name: str,
            cmd: List[str],
            log: str,
            estimate_s: float,
            env: Optional[dict] = None) -> Optional[str]:
        """Run ``cmd`` if ``estimate_s`` fits in the time left, stopped (with
        every process it started) at the time left; its output, appended
        to ``<out>/<log>``, is returned when it succeeded."""
        step = self.summary['steps'][name] = dict(cmd=' '.join(cmd))
        if self.left() < estimate_s:
            step['skipped'] = (f'{self.left():.0f} s left, estimate '
                               f'{estimate_s:.0f} s')
            self.log(f'{name}: SKIPPED ({step["skipped"]})')
            self.save()
            return None
        self.log(f'{name}: {step["cmd"]}')
        began = time.monotonic()
        proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=dict(os.environ, **(env or {})),
            start_new_session=True)
        try:
            output = proc.communicate(timeout=max(self.left(), 1))[0]
            step['rc'] = proc.returncode
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # torchrun's workers too
            output, step['rc'] = proc.communicate()[0], 'timeout'
        step['seconds'] = time.monotonic() - began
        with open(osp.join(self.out, log), 'a') as f:
            f.write(f'\n===== {name}: {step["cmd"]}\n{output}\n')
        self.log(f'{name}: rc={step["rc"]} in {step["seconds"]:.1f} s')
        self.save()
        return output if step['rc'] == 0 else None

    # -------------------------------------------------------------- steps
    def environment(self) -> None:
        import torch
        env = dict(
            python=platform.python_version(),
            torch=torch.__version__,
            cuda=torch.version.cuda,
            cuda_available=torch.cuda.is_available(),
            cpus=os.cpu_count(),
            loadavg=os.getloadavg())
        if torch.cuda.is_available():
            free, total = torch.cuda.mem_get_info()
            env.update(
                gpu=torch.cuda.get_device_name(),
                gpu_memory_gib=total / 2**30,
                free_memory_bytes=free,
                cudnn=torch.backends.cudnn.version(),
                tf32_matmul=torch.backends.cuda.matmul.allow_tf32,
                nccl=str(torch.cuda.nccl.version()))
        self.summary['env'] = env
        self.log(f'environment: {env}')
        self.save()

    def start_dataset(self) -> subprocess.Popen:
        cmd = [
            sys.executable, 'tools/dataset_converters/make_synthetic_rafdb.py',
            '--out', self.data_root, '--rafdb-size', '--scale',
            str(self.mode['scale'])
        ]
        self.summary['steps']['dataset'] = dict(cmd=' '.join(cmd))
        self.log(f'dataset (background): {" ".join(cmd)}')
        self._dataset_began = time.monotonic()
        return subprocess.Popen(
            cmd,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True)

    def wait_dataset(self, proc: subprocess.Popen) -> bool:
        output = proc.communicate()[0]
        step = self.summary['steps']['dataset']
        step.update(
            rc=proc.returncode,
            output=output.strip()[-500:],
            seconds=time.monotonic() - self._dataset_began)
        self.log(f'dataset: rc={proc.returncode} in {step["seconds"]:.1f} s'
                 f': {output.strip()[-300:]}')
        self.save()
        return proc.returncode == 0

    def pytest(self) -> None:
        self.run('pytest_cuda', [
            sys.executable, '-m', 'pytest', '-m', 'cuda', 'tests', '-q', '-rs',
            '-p', 'no:cacheprovider'
        ], 'pytest.log', 30)
        log = open(osp.join(self.out, 'pytest.log')).read()
        self.summary['steps']['pytest_cuda']['counts'] = pytest_counts(log)
        self.save()

    def benchmark(self,
                  name: str,
                  batch: int,
                  amp: bool,
                  big: bool = False) -> Optional[dict]:
        """tools/analysis_tools/benchmark.py's CLI, the one place it is
        called."""
        mode, key = self.mode, bench_key(name, amp, batch)
        arch = TINY_ARCH if self.args.dry_run else ARCHS[name]
        json_out = osp.join(self.work, re.sub(r'\W+', '_', key) + '.json')
        cmd = [
            sys.executable, 'tools/analysis_tools/benchmark.py', CONFIG,
            '--device', mode['device'], '--arch', arch, '--batch-size',
            str(batch), '--amp' if amp else '--no-amp', '--json-out', json_out,
            '--repeats',
            str(mode['big_repeats' if big else 'repeats'])
        ]
        if mode['threads']:
            cmd += ['--threads', str(mode['threads'])]
        if big:  # the text-side sweep does not depend on the batch
            cmd += ['--descriptions-per-class', '']
        estimate = 20 * (3 if 'L/14' in name else 1) * (2 if big else 1)
        done = self.run(f'benchmark {key}', cmd, 'benchmark.log',
                        5 if self.args.dry_run else estimate)
        if done is None:
            return None
        with open(json_out) as f:
            figures = benchmark_figures(json.load(f))
        self.summary['benchmark'][key] = dict(figures, arch=arch)
        self.save()
        return figures

    def largest(self, name: str, amp: bool, cap: int) -> int:
        """:func:`largest_batch` from the batch-32 benchmark of ``name`` in
        that precision and the free GPU memory."""
        small = self.summary['benchmark'].get(
            bench_key(name, amp, self.mode['batch'])) or {}
        peak = small.get('train_peak_mib')
        return largest_batch(
            peak and peak * 2**20, self.mode['batch'],
            self.summary.get('env', {}).get('free_memory_bytes'), cap)

    def benchmark_largest(self, name: str, amp: bool) -> None:
        """The benchmark at the largest batch, halved once if it does not
        fit after all."""
        batch = self.largest(name, amp, self.mode['max_batch'])
        if batch <= self.mode['batch']:
            return
        if self.benchmark(name, batch, amp, big=True) is None:
            log = open(osp.join(self.out, 'benchmark.log')).read()
            if 'OutOfMemoryError' in log.rsplit('=====', 1)[-1]:
                self.benchmark(name, batch // 2, amp, big=True)

    def train_largest(self) -> None:
        """:meth:`train` at the largest batch (estimated from the ViT-B/16
        fp32 benchmark), with ``--auto-scale-lr``."""
        batch = self.largest('ViT-B/16', False, self.mode['train_max_batch'])
        if batch > self.mode['batch']:
            self.train(batch, auto_scale_lr=True)

    def train(self, batch: int, auto_scale_lr: bool) -> None:
        """One epoch and its validation of the paper's config, through
        tools/dist_train.sh CONFIG 1, timed by EpochTimingHook."""
        key = f'b{batch}'
        work_dir = osp.join(self.work, f'train_{key}')
        options = [
            'train_cfg.max_epochs=1', 'model.clip.pretrained=None',
            f'train_dataloader.batch_size={batch}',
            'default_hooks.timing.type=EpochTimingHook'
        ] + [
            f'{loader}.dataset.data_root={self.data_root}'
            for loader in ('train_dataloader', 'val_dataloader',
                           'test_dataloader')
        ]
        if self.args.dry_run:
            options += [
                f'model.clip.model_name={TINY_ARCH}',
                'train_dataloader.num_workers=1',
                'val_dataloader.num_workers=1'
            ]
        args = ['--work-dir', work_dir, '--cfg-options', *options]
        if auto_scale_lr:
            args.append('--auto-scale-lr')
        with socket.socket() as sock:  # a free port for the rendezvous
            sock.bind(('127.0.0.1', 0))
            port = sock.getsockname()[1]
        env = dict(
            PYTHON=sys.executable,
            PORT=str(port),
            MPAFER_CACHE=osp.join(self.work, 'cache'))
        estimate = 20 if self.args.dry_run else 90
        launches = (
            ('tools/dist_train.sh CONFIG 1',
             ['bash', 'tools/dist_train.sh', CONFIG, '1', *args]),
            # if the distributed launch fails (NCCL?), still time the recipe
            ('none (tools/train.py)',
             [sys.executable, 'tools/train.py', CONFIG, *args]))
        for launcher, cmd in launches:
            name = f'train {key}' + ('' if launcher == launches[0][0] else
                                     ' without launcher')
            began = time.monotonic()
            done = self.run(name, cmd, 'train.log', estimate, env=env)
            wall = time.monotonic() - began
            if done is not None or self.summary['steps'][name].get('rc') in (
                    None, 'timeout'):  # done, skipped, timed out
                break
        if done is None:
            return
        newest = max((osp.join(root, 'timing.json')
                      for root, _, files in os.walk(work_dir)
                      if 'timing.json' in files),
                     key=osp.getmtime)
        with open(newest) as f:
            timing = json.load(f)
        self.summary['train'][key] = dict(
            batch=batch,
            auto_scale_lr=auto_scale_lr,
            launcher=launcher,
            lr_scale=lr_scale(done),
            wall_s=wall,
            backend=('gloo' if 'gloo backend' in done else
                     'nccl' if launcher == launches[0][0]
                     and self.mode['device'] == 'cuda' else None),
            timing=timing,
            projection=projection(timing, wall))
        self.save()


def main(argv=None) -> int:
    args = parse_args(argv)
    check = Check(args)
    batch, step = check.mode['batch'], check.guarded
    step(check.environment)
    dataset = check.start_dataset()
    step(check.pytest)
    data_ok = check.wait_dataset(dataset)
    step(check.benchmark, 'ViT-B/16', batch, amp=True)
    if data_ok:
        step(check.train, batch, auto_scale_lr=False)
    step(check.benchmark, 'ViT-B/16', batch, amp=False)
    if data_ok:
        step(check.train_largest)
    for amp in (True, False):
        step(check.benchmark, 'ViT-L/14', batch, amp=amp)
    for name in ARCHS:
        for amp in (True, False):
            step(check.benchmark_largest, name, amp)
    check.summary['seconds'] = time.monotonic() - check.start
    check.save()
    steps = check.summary['steps']
    failed = [n for n, s in steps.items() if s.get('rc') not in (0, None)]
    skipped = [n for n, s in steps.items() if 'skipped' in s]
    errors = check.summary.get('errors', [])
    check.log(f'done in {check.summary["seconds"]:.0f} s; failed: '
              f'{failed or "none"}; skipped: {skipped or "none"}; errors '
              f'of this script: {len(errors)}')
    return 1 if failed or errors else 0


if __name__ == '__main__':
    sys.exit(main())

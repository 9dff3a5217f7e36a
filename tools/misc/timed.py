"""Run a command and record its wall and CPU time in a JSON file.

Usage: python tools/misc/timed.py RECORD.json STEP -- COMMAND [ARG ...]

Prints ``[quickstart] STEP: wall W s, CPU U s user + S s sys`` and merges
``{STEP: {wall_s, cpu_user_s, cpu_sys_s, load_1min_at_start, exit_code}}``
into RECORD.json (created if missing), so a script's results file gives each
step's cost and the machine load it ran under. Exits with the command's
status.
"""
import json
import os
import os.path as osp
import resource
import subprocess
import sys
import time


def run_timed(record: str, step: str, command: list) -> int:
    load = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    code = subprocess.call(command)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    entry = dict(
        wall_s=round(wall, 1),
        cpu_user_s=round(after.ru_utime - before.ru_utime, 1),
        cpu_sys_s=round(after.ru_stime - before.ru_stime, 1),
        load_1min_at_start=round(load, 2),
        exit_code=code)
    print(
        f'[quickstart] {step}: wall {wall:.0f} s, CPU '
        f'{entry["cpu_user_s"]:.0f} s user + {entry["cpu_sys_s"]:.0f} s '
        'sys',
        flush=True)
    steps = {}
    if osp.exists(record):
        with open(record) as f:
            steps = json.load(f)
    steps[step] = entry
    os.makedirs(osp.dirname(osp.abspath(record)), exist_ok=True)
    with open(record, 'w') as f:
        json.dump(steps, f, indent=2)
    return code


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) < 4 or argv[2] != '--':
        raise SystemExit(__doc__.split('\n\n')[1])
    return run_timed(argv[0], argv[1], argv[3:])


if __name__ == '__main__':
    sys.exit(main())

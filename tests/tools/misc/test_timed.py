"""tools/misc/timed.py: each step's wall and CPU time land in one record."""
import json
import sys

from tools.misc.timed import main

BUSY = ('import time\n'
        't = time.process_time()\n'
        'while time.process_time() - t < 0.3: pass')


def test_steps_are_merged_with_their_times_and_status(tmp_path, capsys):
    record = str(tmp_path / 'w' / 'steps.json')
    assert main([record, 'busy', '--', sys.executable, '-c', BUSY]) == 0
    assert main(
        [record, 'fails', '--', sys.executable, '-c',
         'raise SystemExit(3)']) == 3
    with open(record) as f:
        steps = json.load(f)
    assert list(steps) == ['busy', 'fails']
    busy = steps['busy']
    assert busy['cpu_user_s'] + busy['cpu_sys_s'] >= 0.2
    assert busy['wall_s'] >= 0.2 and busy['exit_code'] == 0
    assert steps['fails']['exit_code'] == 3
    assert busy['load_1min_at_start'] >= 0
    assert '[quickstart] busy: wall ' in capsys.readouterr().out

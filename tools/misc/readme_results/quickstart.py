"""README block ``results:quickstart``: the measured tools/quickstart.sh run
(docs/results/quickstart.json, written by tools/misc/quickstart_results.py).
"""

COMMANDS = {
    'data':
    'python tools/dataset_converters/make_synthetic_rafdb.py '
    '--out data/synthetic_rafdb --train-per-class 100 --test-per-class 30',
    'clip-pretraining':
    'python tools/misc/pretrain_synthetic_clip.py --out '
    'work_dirs/quickstart/tiny_clip_synthetic.pt',
    'mpafer-train':
    'python tools/train.py configs/quickstart_synthetic_rafdb.py '
    '--work-dir work_dirs/quickstart',
    'mpafer-test':
    'python tools/test.py configs/quickstart_synthetic_rafdb.py '
    'work_dirs/quickstart/epoch_{epochs}.pth',
}


def duration(seconds):
    seconds = round(seconds)
    return f'{seconds // 60} min {seconds % 60} s' if seconds >= 60 \
        else f'{seconds} s'


def outcome(step, r):
    if step == 'data':
        return f'{r["data"]["train"]} train / {r["data"]["test"]} test images'
    if step == 'clip-pretraining':
        clip = r['clip']
        return (f'contrastive loss {clip["final_contrastive_loss"]:.2f} after '
                f'{clip["epochs"]} epochs (class-token and patch terms '
                f'summed; each is ln 64 = 4.16 at chance)')
    if step == 'mpafer-train':
        top1 = r['train']['val_top1']
        where = ('read from the prototype cache'
                 if r['train']['prototypes'] == 'cache' else 'computed')
        return (f'class prototypes {where}, '
                f'then val top-1 {top1[0]:.1f} % after the '
                f'first epoch, {top1[-1]:.1f} % after the last')
    test = r['test']
    return (f'top-1 **{test["top1"]:.1f} %**, mean class accuracy '
            f'{test["mean_class_accuracy"]:.1f} % (chance 14.3 %)')


def render(r):
    steps = r['steps']
    rows = [
        'Measured with `rm -rf data/synthetic_rafdb work_dirs/quickstart && '
        'bash tools/quickstart.sh` on '
        f'{r["date"]} (commit `{r["commit"]}`, {r["machine"]["cpus"]} CPU '
        'cores, no GPU); the load column is the 1-minute load average when '
        'each step started (the machine was shared, so wall times above '
        'the core count are slowed down by other work):',
        '',
        '| step | command (inside `tools/quickstart.sh`) | wall | CPU '
        '(user + sys) | load | result |',
        '|---|---|---|---|---|---|',
    ]
    for step, command in COMMANDS.items():
        s = steps[step]
        rows.append(
            f'| {step} | `{command.format(epochs=r["train"]["epochs"])}` | '
            f'{duration(s["wall_s"])} | '
            f'{s["cpu_user_s"] + s["cpu_sys_s"]:.0f} s | '
            f'{s["load_1min_at_start"]:.1f} | {outcome(step, r)} |')
    wall = sum(steps[step]['wall_s'] for step in COMMANDS)
    cpu = sum(steps[step]['cpu_user_s'] + steps[step]['cpu_sys_s']
              for step in COMMANDS)
    rows.append(f'| all four steps | `bash tools/quickstart.sh` (environment '
                f'already installed) | {duration(wall)} | {cpu:.0f} s | | |')
    return '\n'.join(rows)

"""README block ``results:quickstart_seed1``: the quick start's MPA-FER step
with another seed (docs/results/quickstart_seed1.json)."""


def render(r):
    steps, test = r['steps'], r['test']
    return (
        f'Another MPA-FER seed on the same data and CLIP '
        f'(`SEED={r["seed"]} WORK_DIR=work_dirs/quickstart_seed{r["seed"]} '
        f'bash tools/quickstart.sh`): test top-1 **{test["top1"]:.1f} %**, '
        f'mean class accuracy {test["mean_class_accuracy"]:.1f} % (train '
        f'{steps["mpafer-train"]["wall_s"]:.0f} s, test '
        f'{steps["mpafer-test"]["wall_s"]:.0f} s, at load '
        f'{steps["mpafer-train"]["load_1min_at_start"]:.1f}).')

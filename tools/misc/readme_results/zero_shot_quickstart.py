"""docs/zero_shot.md block ``results:zero_shot_quickstart``: the zero-shot
baseline of the quick start's tiny CLIP on its synthetic test split
(docs/results/zero_shot_quickstart.json, written by
tools/misc/quickstart_figures.py)."""


def render(r):
    runs = {run['local_weight']: run for run in r['runs']}
    plain, local = runs[0.0], runs[1.0]
    return (
        f"On the quick start's **synthetic** test split "
        f"({r['test_images']} images), with the quick start's tiny CLIP "
        f"(`{r['clip']['path']}`, from `bash tools/quickstart.sh` at commit "
        f"`{r['quickstart_commit']}`), `{plain['command']}` gave top-1 "
        f"**{plain['top1']:.1f} %** ({local['top1']:.1f} % with "
        f"`--cfg-options model.head.local_weight="
        f"{local['local_weight']}`; chance is 14.3 %; MPA-FER's trained "
        f'prompts: [Quick start, measured](../README.md#quick-start-measured)'
        f') — a synthetic-data number that says nothing about real faces. '
        f"Measured by `{r['command']}` on {r['date']} (commit "
        f"`{r['commit']}`).")

"""docs/interpretability.md block ``results:interpretability_quickstart``:
the example pictures, the model and the images they come from
(docs/results/interpretability_quickstart.json, written with the pictures
by tools/misc/quickstart_figures.py)."""
import os.path as osp


def picture(path):
    """The picture's path from docs/ (where the Markdown is)."""
    return osp.relpath(path, 'docs')


def render(r):
    model, maps = r['model'], r['similarity_maps']
    chosen = '; '.join(f"{m['class_name']}: `{m['image']}`, p = "
                       f"{m['probability']:.2f}" for m in maps)
    lines = [
        f"Examples, produced by these tools from the quick start's model "
        f"(`bash tools/quickstart.sh` at commit `{model['quickstart_commit']}`"
        f", seed {model['seed']}, {model['epochs']} epochs, test top-1 "
        f"{model['test_top1']:.1f} % on {model['test_images']} images) on "
        f'**synthetic** test faces; the tiny 64-px CLIP\'s patch features '
        f'are coarse, so these show what the tools draw, not what MPA-FER '
        f'attends to on real faces. Each map is of the first test image of '
        f'its class, in the test list\'s order, that the model classifies '
        f'correctly ({chosen}). All of it, and '
        f"[`docs/results/interpretability_quickstart.json`]"
        f"(results/interpretability_quickstart.json) (which records each "
        f"picture's SHA-256), was made by `{r['command']}` on {r['date']} "
        f"(commit `{r['commit']}`), which runs these and copies the PNGs "
        f"from `{r['staged_images']}/` to `docs/images/`:",
        '',
        '```bash',
        r['test_command'],
        r['confusion_matrix']['command'],
    ]
    lines += [m['command'] for m in maps]
    lines += ['```', '', '<p>']
    lines += [
        f'<img src="{picture(m["file"])}" width="260" '
        f'alt="similarity map, {m["class_name"]}">' for m in maps
    ]
    lines += [
        '</p>',
        f'<img src="{picture(r["confusion_matrix"]["file"])}" width="520" '
        f'alt="confusion matrix of the quick start">',
    ]
    return '\n'.join(lines)

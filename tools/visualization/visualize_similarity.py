"""Draw where the classifier looks: the patch-text similarity map of an
image for a class (the predicted one by default), as a heatmap over the
image, with the top-k patches of the global-local alignment outlined.

Usage:
    python tools/visualization/visualize_similarity.py CONFIG CHECKPOINT \\
        IMAGE [--class NAME | --pred] [--topk K] [--size PX] --out FILE.png \\
        [--face I] [--detector auto|MTCNNFaceDetector|...] [--no-detect]

CHECKPOINT is a training checkpoint or a prompts-only export; --clip PATH
gives the CLIP weights file instead of the config's.

IMAGE is a photo: its faces are found and cropped exactly as
tools/infer.py does (the config's ``face_crop``: aligned on the eyes for
RAF-DB configs), and the map is drawn over the crop of face I (default 0,
the leftmost), so the class and probability are those of infer.py's row
for that face. ``--no-detect`` maps the whole image (an aligned crop).

The title gives the class, its probability, S_g and S_l (docs/method.md §4)
and the predicted class; the colours span the map's own minimum (blue) to
maximum (red). The PNG is PX pixels wide (default 448) and PX +
64 high (the title band).
"""
import argparse
import os.path as osp
import sys

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402
from mmengine.config import Config, DictAction  # noqa: E402

import mpafer_plugin  # noqa: F401,E402  registers components, safe globals
from mpafer_plugin.apis import FERInferencer  # noqa: E402
from mpafer_plugin.export.clip_path import add_clip_argument  # noqa: E402
from mpafer_plugin.faces.media_inputs import read_image  # noqa: E402
from mpafer_plugin.utils import CheckpointError  # noqa: E402
from mpafer_plugin.utils import atomic_write, config_file  # noqa: E402
from mpafer_plugin.utils.output_guard import \
    exit_if_output_is_input  # noqa: E402
from mpafer_plugin.visualization import compute_similarity_map  # noqa: E402

TITLE_PX = 64
DPI = 100


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', type=config_file)
    parser.add_argument('checkpoint')
    parser.add_argument('image')
    which = parser.add_mutually_exclusive_group()
    which.add_argument(
        '--class',
        dest='classname',
        metavar='NAME',
        help='map this class (a name of model.head.classnames)')
    which.add_argument(
        '--pred',
        action='store_true',
        help='map the predicted class (the default)')
    parser.add_argument(
        '--topk',
        type=int,
        help='patches to outline '
        '(default: the head\'s local_topk)')
    parser.add_argument(
        '--size',
        type=int,
        default=448,
        help='image width in the PNG, pixels (default 448)')
    parser.add_argument(
        '--alpha',
        type=float,
        default=0.5,
        help='heatmap opacity (default 0.5)')
    parser.add_argument(
        '--face',
        type=int,
        default=0,
        help='which face of the photo (0 = leftmost)')
    parser.add_argument(
        '--detector',
        default='auto',
        help='face detector, as in tools/infer.py')
    parser.add_argument(
        '--no-detect',
        action='store_true',
        help='the image is an aligned face crop')
    parser.add_argument(
        '--margin',
        type=float,
        default=0.2,
        help='box crop margin, as in tools/infer.py')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--out', required=True, help='the PNG to write')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    add_clip_argument(parser)
    args = parser.parse_args(argv)
    if not args.out.lower().endswith('.png'):
        parser.error(f'--out must be a .png file, got {args.out}')
    if args.size < 32:
        parser.error('--size must be at least 32')
    for path in (args.config, args.checkpoint, args.image):
        if not osp.isfile(path):
            parser.error(f'{path} does not exist')
    return args


def class_index(classnames, name):
    """Index of ``name`` among ``classnames``, case-insensitively."""
    lowered = [c.lower() for c in classnames]
    if name.lower() not in lowered:
        raise SystemExit(f'error: --class {name!r} is not a class of this '
                         f'model; its classes: {", ".join(classnames)}.')
    return lowered.index(name.lower())


def draw(result, classnames, out, size, alpha):
    """Heatmap over the image, top patches outlined, title; ``size`` px wide,
    ``size + TITLE_PX`` high."""
    height, width = result.image.shape[:2]
    fig = plt.figure(figsize=(size / DPI, (size + TITLE_PX) / DPI), dpi=DPI)
    ax = fig.add_axes((0, 0, 1, size / (size + TITLE_PX)))
    ax.imshow(result.image, extent=(0, width, height, 0))
    ax.imshow(
        result.heatmap, cmap='jet', alpha=alpha, extent=(0, width, height, 0))
    grid_h, grid_w = result.similarity.shape
    cell_h, cell_w = height / grid_h, width / grid_w
    for index in result.top_patches:
        row, col = divmod(int(index), grid_w)
        ax.add_patch(
            Rectangle((col * cell_w, row * cell_h),
                      cell_w,
                      cell_h,
                      fill=False,
                      edgecolor='white',
                      linewidth=1.2))
    ax.set_xlim(0, width)
    ax.set_ylim(height, 0)
    ax.axis('off')
    predicted = classnames[result.predicted_index]
    fig.text(
        0.5,
        1 - 0.3 * TITLE_PX / (size + TITLE_PX),
        f'{result.class_name}: p = {result.probability:.2f}   '
        f'(predicted: {predicted})',
        ha='center',
        va='center',
        fontsize=size / 40)
    fig.text(
        0.5,
        1 - 0.72 * TITLE_PX / (size + TITLE_PX),
        f'S_g = {result.global_similarity:.3f}   '
        f'S_l = {result.local_similarity:.3f}   '
        f'top-{len(result.top_patches)} patches',
        ha='center',
        va='center',
        fontsize=size / 48)
    # a temporary name renamed at the end: a failed run leaves no half PNG
    atomic_write(out, lambda tmp: fig.savefig(tmp, dpi=DPI, format='png'))
    plt.close(fig)


def face_crop(inferencer, path, face, whole_image):
    """The BGR crop of face ``face`` of the image at ``path``, as
    tools/infer.py crops it (or the whole image)."""
    image, error = read_image(path)
    if image is None:
        raise SystemExit(f'error: {path}: {error}.')
    if whole_image:
        return image
    record, crops = inferencer.crop_faces(image)
    if not 0 <= face < len(crops):
        raise SystemExit(
            f'error: --face {face}: {path} has {len(crops)} face(s) found '
            f'by {type(inferencer.detector).__name__}' +
            ('' if crops else '; --no-detect maps the whole image') + '.')
    return crops[face]


def main(argv=None):
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    exit_if_output_is_input({'--out': args.out},
                            dict(
                                CONFIG=args.config,
                                CHECKPOINT=args.checkpoint,
                                IMAGE=args.image,
                                **{'--clip': args.clip}), cfg)
    # A full checkpoint holds CLIP (nothing is fetched); a prompts-only
    # export takes CLIP from the config's spec.
    try:
        inferencer = FERInferencer(
            cfg,
            args.checkpoint,
            device=args.device,
            margin=args.margin,
            detector='none' if args.no_detect else args.detector,
            clip_pretrained=args.clip)
    except (CheckpointError, FileNotFoundError) as err:  # file named
        raise SystemExit(f'error: {err}') from err
    model = inferencer.model
    classnames = model.head.classnames
    index = (None if args.classname is None else class_index(
        classnames, args.classname))
    crop = face_crop(inferencer, args.image, args.face, args.no_detect)
    result = compute_similarity_map(model, inferencer.pipeline, crop, index,
                                    args.topk)
    draw(result, classnames, args.out, args.size, args.alpha)
    print(f'{args.out}: {result.class_name} p={result.probability:.3f} '
          f'S_g={result.global_similarity:.4f} '
          f'S_l={result.local_similarity:.4f} '
          f'(predicted {classnames[result.predicted_index]})')


if __name__ == '__main__':
    sys.exit(main())

"""Recognise the facial expression of every face in an image, a folder of
images (recursive) or a video, and write per-face class probabilities.

Usage:
  python tools/infer.py INPUT --config CFG --checkpoint CKPT --out DIR
  python tools/infer.py INPUT --prompts EXPORT --out DIR   # prompts-only
      [--config CFG]  [--format json|csv] [--device cuda:0] [--batch-size 16]
      [--detector HaarCascadeFaceDetector] [--detector-options k=v ...]
      [--no-detect] [--margin 0.2] [--video-stride 5] [--no-vis]
      [--cfg-options k=v ...]

Writes DIR/results.json (or .csv; one row per face, written as it goes),
DIR/summary.json (counts, images without a face, unreadable files) and
DIR/vis/ (annotated images: box, class, probability). --no-detect treats
every image as one aligned face crop.
"""
import argparse
import json
import os.path as osp
import sys
import time

from mmengine.config import DictAction

import mpafer_plugin  # noqa: F401  registers components, safe globals
from mpafer_plugin.apis import (FaceResultsWriter, FERInferencer,
                                expand_inputs, save_visualization)
from mpafer_plugin.apis.media_inputs import count_frames, is_video
from mpafer_plugin.utils import atomic_write, progress_bar


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('input', help='image, folder of images, or video')
    parser.add_argument('--config', help='model config (optional with '
                        '--prompts: the export holds its config)')
    weights = parser.add_mutually_exclusive_group(required=True)
    weights.add_argument('--checkpoint', help='full checkpoint (needs '
                         '--config)')
    weights.add_argument('--prompts', help='prompts-only export '
                         '(tools/export_prompts.py)')
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument('--format', choices=FaceResultsWriter.FORMATS,
                        default='json')
    parser.add_argument('--device', default=None,
                        help='default: cuda if available, else cpu')
    parser.add_argument('--batch-size', type=int, default=16,
                        help='faces per forward pass')
    parser.add_argument('--detector', default='HaarCascadeFaceDetector',
                        help='registered face detector type, or "none"')
    parser.add_argument('--detector-options', nargs='+', action=DictAction,
                        default={}, help='detector arguments, k=v')
    parser.add_argument('--no-detect', action='store_true',
                        help='inputs are aligned face crops: no detection')
    parser.add_argument('--margin', type=float, default=0.2,
                        help='box growth on each side before cropping, as '
                        'a fraction of the box size')
    parser.add_argument('--video-stride', type=int, default=1,
                        help='classify every N-th video frame')
    parser.add_argument('--no-vis', action='store_true',
                        help='do not write annotated images')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args(argv)
    if args.checkpoint and not args.config:
        parser.error('--checkpoint needs --config (only a prompts-only '
                     'export, --prompts, holds its config).')
    if args.batch_size < 1 or args.video_stride < 1:
        parser.error('--batch-size and --video-stride must be >= 1.')
    return args


def build_detector(args):
    if args.no_detect or args.detector.lower() == 'none':
        return None
    return dict(type=args.detector, **args.detector_options)


def write_summary(path, summary):
    def write(tmp):
        with open(tmp, 'w', encoding='utf-8') as f:
            json.dump(summary, f, indent=2)

    atomic_write(path, write)


def main(argv=None):
    args = parse_args(argv)
    inferencer = FERInferencer(
        args.config, args.checkpoint or args.prompts, device=args.device,
        detector=build_detector(args), margin=args.margin,
        cfg_options=args.cfg_options)
    items = expand_inputs(args.input)
    root = args.input if osp.isdir(args.input) else None
    progress = None
    if root or any(is_video(item) for item in items):
        progress = progress_bar(
            count_frames(items, args.video_stride), 'frames')
    results = osp.join(args.out, f'results.{args.format}')
    vis_dir = osp.join(args.out, 'vis')
    summary = dict(input=args.input, results=results, frames=0, faces=0,
                   no_face=[], unreadable=[], interrupted=False)
    start = time.time()
    try:
        with FaceResultsWriter(results, inferencer.classes,
                               args.format) as writer:
            for record, image in inferencer.iter_results(
                    items, args.batch_size, args.video_stride):
                writer.write(record)
                summary['frames'] += 1
                summary['faces'] += len(record['faces'])
                where = record['source'] if record['frame'] is None else \
                    f'{record["source"]}#{record["frame"]}'
                if record['status'] == 'no_face':
                    summary['no_face'].append(where)
                elif record['status'] == 'unreadable':
                    summary['unreadable'].append(
                        f'{where}: {record["error"]}')
                if image is not None and not args.no_vis:
                    save_visualization(image, record, vis_dir, root)
                if progress is not None:
                    progress.update()
    except KeyboardInterrupt:
        summary['interrupted'] = True
    summary['seconds'] = round(time.time() - start, 2)
    write_summary(osp.join(args.out, 'summary.json'), summary)
    print(f'\n{summary["frames"]} images/frames, {summary["faces"]} faces '
          f'-> {results} in {summary["seconds"]} s; '
          f'{len(summary["no_face"])} without a face, '
          f'{len(summary["unreadable"])} unreadable'
          + ('; INTERRUPTED, results so far kept' if summary['interrupted']
             else '') + '.')
    for line in summary['unreadable']:
        print(f'  skipped {line}')
    return 130 if summary['interrupted'] else 0


if __name__ == '__main__':
    sys.exit(main())

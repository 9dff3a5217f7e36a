"""Recognise the facial expression of every face in an image, a folder of
images (recursive), a video, a camera or a stream, and write per-face
class probabilities.

Usage:
  python tools/infer.py INPUT --config CFG --checkpoint CKPT --out DIR
  python tools/infer.py INPUT --prompts EXPORT --out DIR   # prompts-only
      [--config CFG]  [--format json|csv] [--device cuda:0] [--batch-size 16]
      [--detector auto|MTCNNFaceDetector|HaarCascadeFaceDetector]
      [--detector-options k=v ...]
      [--no-detect] [--margin 0.2] [--video-stride 5] [--no-vis]
      [--smooth 0.6] [--show] [--amp] [--cfg-options k=v ...] [--clip CLIP.pt]
  python tools/infer.py 0 ... --show            # camera 0, live window
  python tools/infer.py rtsp://host/stream ...  # a stream URL

Writes DIR/results.json (or .csv; one row per face, written as it goes to
results.json.partial, which replaces results.json when the run ends or is
interrupted with Ctrl-C; a crash leaves an earlier results.json as it was),
DIR/summary.json (counts, images without a face, unreadable files) and
DIR/vis/ (annotated images: box, class, probability; a video or live
source gives one annotated DIR/vis/<name>.mp4). Video rows carry `time`
(seconds) and `track` (the face followed across frames); --smooth S
averages each track's probabilities over time. Ctrl-C, or `q` in the
--show window, ends the run cleanly with every classified row written.
--no-detect treats every image as one aligned face crop.
"""
import argparse
import json
import os.path as osp
import sys
import time

import cv2
from mmengine.config import DictAction

import mpafer_plugin  # noqa: F401  registers components, safe globals
from mpafer_plugin.apis import (AnnotatedOutputs, FaceResultsWriter,
                                FaceTracker, FERInferencer, draw_faces,
                                expand_inputs)
from mpafer_plugin.apis.export_clip_path import add_clip_argument
from mpafer_plugin.apis.fer_inferencer import MAX_MARGIN
from mpafer_plugin.apis.media_inputs import count_frames, is_stream, is_video
from mpafer_plugin.utils import atomic_write, progress_bar


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('input', help='image, folder of images, or video')
    parser.add_argument(
        '--config',
        help='model config (optional with '
        '--prompts: the export holds its config)')
    weights = parser.add_mutually_exclusive_group(required=True)
    weights.add_argument(
        '--checkpoint', help='full checkpoint (needs '
        '--config)')
    weights.add_argument(
        '--prompts',
        help='prompts-only export '
        '(tools/model_converters/export_prompts.py)')
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument(
        '--format', choices=FaceResultsWriter.FORMATS, default='json')
    parser.add_argument(
        '--device', default=None, help='default: cuda if available, else cpu')
    parser.add_argument(
        '--batch-size', type=int, default=16, help='faces per forward pass')
    parser.add_argument(
        '--detector',
        default='auto',
        help='registered face detector type (MTCNNFaceDetector'
        ', HaarCascadeFaceDetector), "auto" (MTCNN when '
        'installed, else Haar) or "none"')
    parser.add_argument(
        '--detector-options',
        nargs='+',
        action=DictAction,
        default={},
        help='detector arguments, k=v')
    parser.add_argument(
        '--no-detect',
        action='store_true',
        help='inputs are aligned face crops: no detection')
    parser.add_argument(
        '--margin',
        type=float,
        default=0.2,
        help='box growth on each side before cropping, as '
        'a fraction of the box size')
    parser.add_argument(
        '--video-stride',
        type=int,
        default=1,
        help='classify every N-th video frame')
    parser.add_argument(
        '--no-vis',
        action='store_true',
        help='do not write annotated images / videos')
    parser.add_argument(
        '--smooth',
        type=float,
        default=0.0,
        help='video: moving average of each tracked face\'s '
        'probabilities, p = S p_prev + (1 - S) p_frame, S in '
        '[0, 1); 0 (default) = none')
    parser.add_argument(
        '--show',
        action='store_true',
        help='show the annotated frames in a window; q ends')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='classify under bf16 autocast (faster on a CPU with bf16 '
        'arithmetic or a GPU; add --cfg-options model.clip.precision=bf16 '
        'to store the frozen CLIP in bf16 too)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    add_clip_argument(parser)
    parser.add_argument(
        '--trust-export-code',
        action='store_true',
        help='UNSAFE: read a --prompts export of the old '
        'format by EXECUTING the Python text it holds as '
        'its config; only for exports from a trusted source')
    args = parser.parse_args(argv)
    if args.checkpoint and not args.config:
        parser.error('--checkpoint needs --config (only a prompts-only '
                     'export, --prompts, holds its config).')
    if args.batch_size < 1 or args.video_stride < 1:
        parser.error('--batch-size and --video-stride must be >= 1.')
    if not 0 <= args.smooth < 1:
        parser.error(f'--smooth must be in [0, 1), got {args.smooth}.')
    if not 0 <= args.margin <= MAX_MARGIN:  # also refuses nan
        parser.error(f'--margin must be in [0, {MAX_MARGIN}] (a fraction of '
                     f'the box size added on each side), got {args.margin}.')
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


def count(summary, record):
    """Add ``record`` to the run's summary."""
    summary['frames'] += 1
    summary['faces'] += len(record['faces'])
    where = record['source'] if record['frame'] is None else \
        f'{record["source"]}#{record["frame"]}'
    if record['status'] == 'no_face':
        summary['no_face'].append(where)
    elif record['status'] == 'unreadable':
        summary['unreadable'].append(f'{where}: {record["error"]}')


def show(image, record):
    """Show the annotated frame; ``'q'`` when the user pressed q."""
    cv2.imshow('tools/infer.py (q ends)', draw_faces(image, record))
    return 'q' if cv2.waitKey(1) & 0xFF == ord('q') else None


def main(argv=None):
    args = parse_args(argv)
    try:  # the output folder (and earlier runs' vis/) is never an input
        items = expand_inputs(args.input, exclude=[args.out])
    except (FileNotFoundError, ValueError) as error:
        raise SystemExit(f'error: {error}')
    inferencer = FERInferencer(
        args.config,
        args.checkpoint or args.prompts,
        device=args.device,
        detector=build_detector(args),
        margin=args.margin,
        cfg_options=args.cfg_options,
        trust_export_code=args.trust_export_code,
        clip_pretrained=args.clip,
        amp=args.amp)
    root = args.input if osp.isdir(args.input) else None
    progress = None
    if not any(is_stream(item) for item in items if isinstance(item, str)) \
            and (root or any(is_video(item) for item in items)):
        progress = progress_bar(
            count_frames(items, args.video_stride), 'frames')
    results = osp.join(args.out, f'results.{args.format}')
    summary = dict(
        input=args.input,
        results=results,
        frames=0,
        faces=0,
        no_face=[],
        unreadable=[],
        interrupted=False,
        ended_with_q=False)
    tracker = FaceTracker(smoothing=args.smooth)
    start = time.time()
    writer = FaceResultsWriter(results, inferencer.classes, args.format)
    records = inferencer.iter_results(items, args.batch_size,
                                      args.video_stride)
    try:
        with writer, AnnotatedOutputs(osp.join(args.out, 'vis'),
                                      root) as annotated:
            for record, image in records:
                tracker.update(record)
                writer.write(record)
                count(summary, record)
                if image is not None and not args.no_vis:
                    annotated.write(image, record)
                if progress is not None:
                    progress.update()
                if image is not None and args.show and \
                        show(image, record) == 'q':
                    summary['ended_with_q'] = True
                    break
    except KeyboardInterrupt:
        summary['interrupted'] = True
    except BaseException:
        print(
            f'\nCrashed after {summary["frames"]} images/frames: '
            f'{results} and summary.json are left as they were; the rows '
            f'of this run are in {writer.partial_path}.',
            file=sys.stderr)
        raise
    finally:
        records.close()  # releases a camera or stream
        if args.show:
            cv2.destroyAllWindows()
    summary['seconds'] = round(time.time() - start, 2)
    write_summary(osp.join(args.out, 'summary.json'), summary)
    print(f'\n{summary["frames"]} images/frames, {summary["faces"]} faces '
          f'-> {results} in {summary["seconds"]} s; '
          f'{len(summary["no_face"])} without a face, '
          f'{len(summary["unreadable"])} unreadable' +
          ('; INTERRUPTED, results so far kept' if summary['interrupted'] else
           '') + ('; ended with q' if summary['ended_with_q'] else '') + '.')
    for line in summary['unreadable']:
        print(f'  skipped {line}')
    return 130 if summary['interrupted'] else 0


if __name__ == '__main__':
    sys.exit(main())

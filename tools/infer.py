"""Recognise the facial expression of every face in an image, a folder of
images (recursive), a video, a camera or a stream, and write per-face
class probabilities.

Usage:
  python tools/infer.py INPUT --config CFG --checkpoint CKPT --out DIR
  python tools/infer.py INPUT --prompts EXPORT --out DIR   # prompts-only
      [--config CFG]  [--format json|csv] [--device cuda:0] [--batch-size 16]
      [--detector auto|MTCNNFaceDetector|HaarCascadeFaceDetector]
      [--detector-options k=v ...] [--detector-device DEVICE]
      [--no-detect] [--margin 0.2] [--video-stride 5] [--no-vis]
      [--smooth 0.6] [--show] [--amp] [--cfg-options k=v ...] [--clip CLIP.pt]
      [--classes "happiness,boredom"] [--compare-zero-shot]
  python tools/infer.py 0 ... --show            # camera 0, live window
  python tools/infer.py rtsp://host/stream ...  # a stream URL

Writes DIR/results.json (or .csv; one row per face), DIR/summary.json
(counts, images without a face, unreadable files) and DIR/vis/ (annotated
images: box, class, probability, one per input, named after it, with its
extension where two inputs share a name; a video or live source gives one
annotated DIR/vis/<name>.mp4). They are written under a staging folder in
DIR and moved into place together when the run ends or is interrupted with
Ctrl-C, replacing an earlier run's set (what it wrote and this run does
not, e.g. the other --format, is removed and named); a crash or a kill
leaves the earlier set as it was (a crash puts this run's rows in
DIR/results.json.partial). --out, the display for --show and the outputs
against the inputs are checked before anything loads; the exit status is 1
when no input could be processed (a camera that does not open, a folder of
unreadable files). Video rows carry `time`
(seconds) and `track` (the face followed across frames); --smooth S
averages each track's probabilities over time. Ctrl-C, or `q` in the
--show window, ends the run cleanly with every classified row written.
--no-detect treats every image as one aligned face crop.
"""
import argparse
import json
import os
import os.path as osp
import sys
import time

import cv2
from mmengine.config import Config, DictAction

import mpafer_plugin  # noqa: F401  registers components, safe globals
from mpafer_plugin.apis import FERInferencer
from mpafer_plugin.apis.fer_inferencer import MAX_MARGIN
from mpafer_plugin.apis.open_vocabulary import parse_class_list
from mpafer_plugin.export.clip_path import add_clip_argument
from mpafer_plugin.faces import (AnnotatedOutputs, FaceResultsWriter,
                                 FaceTracker, draw_faces, expand_inputs)
from mpafer_plugin.faces.media_inputs import count_frames, is_stream, is_video
from mpafer_plugin.utils import (CheckpointError, StagedOutputs, atomic_write,
                                 config_file, progress_bar)
from mpafer_plugin.utils.output_guard import exit_if_output_is_input

# What a run writes into --out; an earlier run's copy of any of them is
# replaced, or removed if this run does not write it (another --format).
OUTPUT_NAMES = ('results.json', 'results.csv', 'summary.json', 'vis')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('input', help='image, folder of images, or video')
    parser.add_argument(
        '--config',
        type=config_file,
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
        '--detector-device',
        default=None,
        help='where the detector (MTCNN) runs; default: --device')
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
        '--classes',
        help='comma-separated class names to classify into instead of the '
        'checkpoint\'s, e.g. "happiness,boredom,confusion" (needs a '
        'checkpoint with a shared context; recorded in summary.json)')
    parser.add_argument(
        '--compare-zero-shot',
        action='store_true',
        help='also write frozen CLIP\'s zero-shot prediction on the same '
        'classes for each face (JSON "zero_shot")')
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
    if args.classes is not None:
        args.classes = parse_class_list(args.classes)
    if args.compare_zero_shot and args.format == 'csv':
        parser.error('--compare-zero-shot writes the zero-shot prediction '
                     'to the JSON results only; use --format json.')
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


def check_display() -> None:
    """``--show`` needs a window: refuse before anything loads where there
    is no display (Linux without ``$DISPLAY`` / ``$WAYLAND_DISPLAY``; Qt
    would abort the run with exit 134 at the first frame)."""
    if sys.platform.startswith('linux') and not (
            os.environ.get('DISPLAY') or os.environ.get('WAYLAND_DISPLAY')):
        raise SystemExit('error: --show needs a display, and neither '
                         '$DISPLAY nor $WAYLAND_DISPLAY is set (a remote '
                         'shell, a container): drop --show (the annotated '
                         'frames go to OUT/vis/) or run with a display.')


def check_outputs(args) -> None:
    """Everything about ``--out`` that can be known before loading: it is
    a folder (or can be one), and none of its outputs is an input."""
    if osp.lexists(args.out) and not osp.isdir(args.out):
        raise SystemExit(f'error: --out {args.out} is a file; give a folder '
                         f'(results.{args.format}, summary.json and vis/ '
                         f'go into it).')
    cfg = None
    if args.config:
        cfg = Config.fromfile(args.config)
        if args.cfg_options:
            cfg.merge_from_dict(args.cfg_options)
    exit_if_output_is_input(
        StagedOutputs.output_paths(args.out, OUTPUT_NAMES), {
            'INPUT': None if is_stream(args.input) else args.input,
            '--config': args.config,
            '--checkpoint': args.checkpoint,
            '--prompts': args.prompts,
            '--clip': args.clip
        },
        cfg,
        replaced_folders=["--out's vis"])
    StagedOutputs.say_leftovers(args.out)  # a killed run's rows


def main(argv=None):
    args = parse_args(argv)
    if args.show:
        check_display()
    check_outputs(args)
    try:  # the output folder (and earlier runs' vis/) is never an input
        items = expand_inputs(args.input, exclude=[args.out])
    except (FileNotFoundError, ValueError) as error:
        raise SystemExit(f'error: {error}')
    try:
        inferencer = FERInferencer(
            args.config,
            args.checkpoint or args.prompts,
            device=args.device,
            detector=build_detector(args),
            margin=args.margin,
            cfg_options=args.cfg_options,
            trust_export_code=args.trust_export_code,
            clip_pretrained=args.clip,
            classes=args.classes,
            compare_zero_shot=args.compare_zero_shot,
            detector_device=args.detector_device,
            amp=args.amp)
    except CheckpointError as err:  # the file is named
        raise SystemExit(f'error: {err}') from err
    root = args.input if osp.isdir(args.input) else None
    progress = None
    if not any(is_stream(item) for item in items if isinstance(item, str)) \
            and (root or any(is_video(item) for item in items)):
        progress = progress_bar(
            count_frames(items, args.video_stride), 'frames')
    name = f'results.{args.format}'
    results = osp.join(args.out, name)
    summary = dict(
        input=args.input,
        results=results,
        classes=inferencer.classes,
        runtime_classes=inferencer.runtime_classes,
        detector=dict(
            type=type(inferencer.detector).__name__, **args.detector_options),
        frames=0,
        faces=0,
        no_face=[],
        unreadable=[],
        interrupted=False,
        ended_with_q=False)
    tracker = FaceTracker(smoothing=args.smooth)
    start = time.time()
    # every output is written under a staging folder and moved into place
    # at the end: a killed run leaves the earlier complete set as it was
    staged = StagedOutputs(args.out, OUTPUT_NAMES)
    writer = FaceResultsWriter(
        staged.path(name), inferencer.classes, args.format)
    records = inferencer.iter_results(items, args.batch_size,
                                      args.video_stride)
    try:
        with writer, AnnotatedOutputs(staged.path('vis'), root,
                                      items) as annotated:
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
        partial = osp.basename(writer.partial_path)
        staged.discard(keep=[partial])
        print(
            f'\nCrashed after {summary["frames"]} images/frames: the outputs '
            f'in {args.out} (results, summary.json, vis/) are left as they '
            f'were; the rows of this run are in '
            f'{osp.join(args.out, partial)}.',
            file=sys.stderr)
        raise
    finally:
        records.close()  # releases a camera or stream
        if args.show:
            cv2.destroyAllWindows()
    summary['seconds'] = round(time.time() - start, 2)
    write_summary(staged.path('summary.json'), summary)
    stale = staged.commit()
    processed = summary['frames'] - len(summary['unreadable'])
    print(f'\n{summary["frames"]} images/frames, {summary["faces"]} faces '
          f'-> {results} in {summary["seconds"]} s; '
          f'{len(summary["no_face"])} without a face, '
          f'{len(summary["unreadable"])} unreadable' +
          ('; INTERRUPTED, results so far kept' if summary['interrupted'] else
           '') + ('; ended with q' if summary['ended_with_q'] else '') + '.')
    for line in summary['unreadable']:
        print(f'  skipped {line}')
    staged.say_removed(stale, indent='  ')
    if summary['interrupted']:
        return 130
    if processed == 0:
        print(
            f'error: no input could be processed ({summary["frames"]} '
            f'tried, all unreadable): nothing was classified.',
            file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())

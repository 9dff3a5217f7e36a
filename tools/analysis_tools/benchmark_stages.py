"""Per-stage speed of inference on photos: decode, face detection, face
crop (alignment) and classification, per image, as tools/infer.py runs
them (FERInferencer), for one or more detector settings measured as paired,
interleaved runs (A B A B ...: a load change on a shared machine hits both).

Usage:
  python tools/analysis_tools/benchmark_stages.py [CONFIG] \\
      [--photos P.jpg ...] [--repeats 5] [--batch-size 16] \\
      [--variant NAME k=v ...] [--json-out FILE]

CONFIG defaults to configs/mpafer_rafdb.py (ViT-B/16, eye-aligned 100 px
crops), built with random CLIP weights (``model.clip.pretrained=None``:
speed does not depend on the weights). Photos default to matplotlib's
portrait (grace_hopper.jpg, 600x512) and its mirrored pair (600x1024, two
faces). ``--variant NAME k=v ...`` adds a detector setting (options of
``MTCNNFaceDetector``), e.g. ``--variant downscale max_side=320``; the
``default`` variant (the detector as tools/infer.py builds it) always runs.
Each stage's figure is the median over repeats of its time per image, in
ms; classification is timed over all crops of a repeat in batches of
--batch-size and divided by the images. The results file records the
load average before and after, threads, torch version and provenance
(docs/performance.md renders it, tools/misc/update_readme.py).
"""
import argparse
import json
import os
import os.path as osp
import statistics
import sys
import tempfile
import time

import cv2
import numpy as np
import torch

import mpafer_plugin  # noqa: F401  registers components, safe globals
from mpafer_plugin.apis import FERInferencer
from mpafer_plugin.faces import build_face_detector, detect_faces
from mpafer_plugin.utils import atomic_write, config_file, provenance

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
STAGES = ('decode', 'detection', 'alignment', 'classification')


def parse_variant(items):
    name, options = items[0], {}
    for item in items[1:]:
        key, value = item.split('=', 1)
        options[key] = json.loads(value)
    return name, options


def default_photos(folder):
    from matplotlib import cbook
    portrait = cv2.imread(
        cbook.get_sample_data('grace_hopper.jpg', asfileobj=False))
    paths = []
    for name, image in (('portrait', portrait),
                        ('pair',
                         np.concatenate([portrait, portrait[:, ::-1]],
                                        axis=1))):
        paths.append(osp.join(folder, f'{name}.png'))
        cv2.imwrite(paths[-1], image)
    return paths


def time_repeat(inferencer, detector, photos, batch_size):
    """Seconds per stage, summed over ``photos``, and the faces found."""
    seconds = dict.fromkeys(STAGES, 0.0)
    crops, faces = [], 0
    for path in photos:
        start = time.perf_counter()
        image = cv2.imread(path, cv2.IMREAD_COLOR)
        detected_at = time.perf_counter()
        found = detect_faces(detector, image)
        aligned_at = time.perf_counter()
        marks = found.landmarks
        for index, box in enumerate(found.boxes):
            points = None if marks is None else marks[index]
            crops.append(inferencer.face_crop(image, box, points)[0])
        end = time.perf_counter()
        seconds['decode'] += detected_at - start
        seconds['detection'] += aligned_at - detected_at
        seconds['alignment'] += end - aligned_at
        faces += len(found.boxes)
    start = time.perf_counter()
    with torch.no_grad():
        for batch in inferencer.preprocess(crops, batch_size):
            inferencer.forward(batch)
    seconds['classification'] = time.perf_counter() - start
    return seconds, faces


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        'config',
        nargs='?',
        type=config_file,
        default=osp.join(REPO_ROOT, 'configs', 'mpafer_rafdb.py'))
    parser.add_argument('--photos', nargs='+')
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--batch-size', type=int, default=16)
    parser.add_argument('--detector', default='auto')
    parser.add_argument(
        '--variant',
        nargs='+',
        action='append',
        default=[],
        metavar='NAME k=v',
        help='a detector setting to compare with the default')
    parser.add_argument('--json-out')
    args = parser.parse_args(argv)
    torch.manual_seed(0)
    load_start = [round(x, 2) for x in os.getloadavg()]
    inferencer = FERInferencer(
        args.config,
        device='cpu',
        detector=args.detector,
        cfg_options={'model.clip.pretrained': None})
    detector_type = type(inferencer.detector).__name__
    variants = [('default', {})] + [parse_variant(v) for v in args.variant]
    detectors = {
        name:
        build_face_detector(dict(type=detector_type, **options))
        if options else inferencer.detector
        for name, options in variants
    }
    with tempfile.TemporaryDirectory() as folder:
        photos = args.photos or default_photos(folder)
        times = {name: [] for name, _ in variants}
        faces = {}
        time_repeat(inferencer, inferencer.detector, photos,
                    args.batch_size)  # warm-up
        for _ in range(args.repeats):
            for name, _ in variants:  # interleaved: paired under one load
                seconds, faces[name] = time_repeat(inferencer, detectors[name],
                                                   photos, args.batch_size)
                times[name].append(seconds)
        shapes = [list(cv2.imread(p).shape[:2]) for p in photos]
    rows = []
    for name, options in variants:
        ms = {
            stage:
            round(
                1000 * statistics.median(t[stage]
                                         for t in times[name]) / len(photos),
                2)
            for stage in STAGES
        }
        total = sum(ms.values())
        rows.append(
            dict(
                variant=name,
                detector=dict(type=detector_type, **options),
                faces=faces[name],
                ms_per_image=ms,
                total_ms_per_image=round(total, 2),
                images_per_second=round(1000 / total, 2)))
    results = dict(
        **provenance(),
        config=osp.relpath(args.config, REPO_ROOT)
        if args.config.startswith(REPO_ROOT) else args.config,
        arch=inferencer.config.model.clip.model_name,
        pretrained=None,
        photos=[osp.basename(p) for p in photos],
        photo_shapes=shapes,
        repeats=args.repeats,
        batch_size=args.batch_size,
        threads=torch.get_num_threads(),
        torch_version=torch.__version__,
        loadavg=dict(
            start=load_start, end=[round(x, 2) for x in os.getloadavg()]),
        variants=rows)
    for row in rows:
        print(f"{row['variant']:>12}: " +
              ', '.join(f'{stage} {row["ms_per_image"][stage]:.1f}'
                        for stage in STAGES) +
              f" ms/image; {row['images_per_second']} "
              f"images/s; {row['faces']} faces")
    print(f"load average {results['loadavg']['start'][0]} -> "
          f"{results['loadavg']['end'][0]}")
    if args.json_out:

        def write(tmp):
            with open(tmp, 'w') as f:
                json.dump(results, f, indent=1)
                f.write('\n')

        atomic_write(args.json_out, write)
    return 0


if __name__ == '__main__':
    sys.exit(main())

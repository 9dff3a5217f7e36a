"""Measure face detectors on real portraits made harder: detection recall
on rotated and scaled copies, false detections, and images per second of
detection + cropping (what detection adds to tools/infer.py per image).

Usage:
  python tools/analysis_tools/measure_face_detection.py [PORTRAIT ...] \\
      [--detectors HaarCascadeFaceDetector MTCNNFaceDetector] \\
      [--angles -30 -15 0 15 30] [--scales 0.5 1 2] [--out FILE.json]

Portraits default to matplotlib's grace_hopper.jpg and, when scikit-image
is installed, its astronaut.png and camera.png. The reference of each
portrait is its two eye centres, found by the landmark detector on the
upright image (and checked by eye in docs/face_detection.md); a copy
counts as found when a detected box holds both eye centres moved with the
copy; any other box is a false detection.
"""
import argparse
import json
import os.path as osp
import sys
import time

import cv2
import numpy as np
from matplotlib import cbook

import mpafer_plugin  # noqa: F401  registers components
from mpafer_plugin.faces import (EyesSimilarityFaceCrop, MTCNNFaceDetector,
                                 build_face_detector, detect_faces)
from mpafer_plugin.utils import atomic_write
from mpafer_plugin.utils.output_guard import exit_if_output_is_input


def default_portraits():
    paths = [cbook.get_sample_data('grace_hopper.jpg', asfileobj=False)]
    try:
        import skimage.data
        folder = osp.dirname(skimage.data.__file__)
        paths += [
            osp.join(folder, name) for name in ('astronaut.png', 'camera.png')
        ]
    except ImportError:
        pass
    return paths


def copies(image, angles, scales):
    """``(angle, scale, image, 2x3 matrix)`` for each rotation about the
    centre (same canvas) and each scale of the whole image."""
    height, width = image.shape[:2]
    for scale in scales:
        for angle in angles:
            matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle,
                                             1.0)
            matrix = matrix * scale
            size = (round(width * scale), round(height * scale))
            yield angle, scale, cv2.warpAffine(
                image, matrix, size, borderMode=cv2.BORDER_REPLICATE), matrix


def holds(box, points):
    x1, y1, x2, y2 = box
    return all(x1 <= x < x2 and y1 <= y < y2 for x, y in points)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('portraits', nargs='*')
    parser.add_argument(
        '--detectors',
        nargs='+',
        default=['HaarCascadeFaceDetector', 'MTCNNFaceDetector'])
    parser.add_argument(
        '--angles', nargs='+', type=float, default=[-30, -15, 0, 15, 30])
    parser.add_argument(
        '--scales', nargs='+', type=float, default=[0.5, 1.0, 2.0])
    parser.add_argument('--out', help='write the figures as JSON')
    args = parser.parse_args(argv)
    portraits = args.portraits or default_portraits()
    exit_if_output_is_input({'--out': args.out}, {
        f'PORTRAITS[{i}]': path
        for i, path in enumerate(portraits)
    })
    reference = MTCNNFaceDetector()
    crop = EyesSimilarityFaceCrop()
    cases = []
    for path in portraits:
        image = cv2.imread(path)
        if image is None:
            raise SystemExit(f'error: cannot read {path}')
        faces = reference.detect(image)
        if len(faces.boxes) != 1:
            raise SystemExit(f'error: {path}: {len(faces.boxes)} reference '
                             f'faces, expected one portrait.')
        eyes = faces.landmarks[0][:2]
        for angle, scale, copy, matrix in copies(image, args.angles,
                                                 args.scales):
            cases.append((osp.basename(path), angle, scale, copy,
                          np.c_[eyes, np.ones(2)] @ matrix.T))
    report = dict(
        portraits=[osp.basename(p) for p in portraits],
        angles=args.angles,
        scales=args.scales,
        copies=len(cases),
        detectors={})
    for name in args.detectors:
        detector = build_face_detector(name)
        found, false, missed, seconds = 0, 0, [], 0.0
        for source, angle, scale, copy, eyes in cases:
            start = time.perf_counter()
            faces = detect_faces(detector, copy)
            for index, box in enumerate(faces.boxes):  # what infer.py does
                crop(
                    copy, box, None
                    if faces.landmarks is None else faces.landmarks[index])
            seconds += time.perf_counter() - start
            hits = [holds(box, eyes) for box in faces.boxes]
            found += any(hits)
            false += hits.count(False)
            if not any(hits):
                missed.append(f'{source} {angle:+g} deg x{scale:g}')
        report['detectors'][name] = dict(
            recall=round(found / len(cases), 3),
            found=found,
            false_detections=false,
            images_per_s=round(len(cases) / seconds, 2),
            missed=missed)
        print(f'{name}: recall {found}/{len(cases)} = '
              f'{found / len(cases):.3f}, {false} false detections, '
              f'{len(cases) / seconds:.2f} images/s; missed: '
              f'{", ".join(missed) or "none"}')
    if args.out:
        text = json.dumps(report, indent=2)
        atomic_write(args.out, lambda tmp: open(tmp, 'w').write(text))
    return 0


if __name__ == '__main__':
    sys.exit(main())

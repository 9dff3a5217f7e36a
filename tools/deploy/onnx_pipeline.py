"""Facial expressions of the faces in photos with an exported ONNX model,
with ONNX Runtime, OpenCV and Pillow only: no mpafer_plugin, no torch, no
MMEngine. Copy this file beside model.onnx to deploy.

Usage:
  python tools/deploy/onnx_pipeline.py DIR/model.onnx PHOTO [PHOTO ...] \\
      [--out results.json]

The model is written by tools/model_converters/export_deploy.py, which
records the preprocessing in its metadata ('mpafer_preprocessing', read
here; the same as DIR/preprocessing.json) and its classes. Each face goes
through the steps of tools/infer.py:

1. detection: OpenCV's Haar cascade (haarcascade_frontalface_default.xml,
   shipped in opencv-python 4.x), with tools/infer.py's settings
   (histogram-equalised gray; images whose short side is below 256 px
   enlarged bicubically for detection; scaleFactor 1.1, minNeighbors 5,
   minSize 24), boxes sorted left to right. Haar, not MTCNN: it needs no
   weights beyond OpenCV, so the pipeline runs on ONNX Runtime and OpenCV
   alone. Haar gives no landmarks, so faces are box crops, as
   tools/infer.py --detector HaarCascadeFaceDetector crops them (an eye
   crop, ``EyesSimilarityFaceCrop``, needs the five landmarks of MTCNN);
2. the crop: the box grown by ``face_crop.margin`` of its width / height
   on each side, rounded as Python rounds, clipped to the image;
3. the resize to the model's input size with the recorded backend and
   interpolation (Pillow bicubic for the shipped configs; OpenCV's default
   bilinear would move the probabilities by up to 0.06);
4. the model: NCHW float32 BGR 0-255 in, class probabilities out (mean /
   std and the BGR to RGB flip are inside the graph).

Output: one row per face, as tools/infer.py's JSON rows (``source``,
``face``, ``box``, ``aligned`` (false), ``pred_class``, ``pred_score``,
``scores``), printed or written to --out.
"""
import argparse
import json
import sys

import cv2
import numpy as np
import onnxruntime
from PIL import Image

PIL_FILTERS = dict(
    nearest=Image.NEAREST,
    bilinear=Image.BILINEAR,
    bicubic=Image.BICUBIC,
    box=Image.BOX,
    lanczos=Image.LANCZOS,
    hamming=Image.HAMMING)
CV2_FILTERS = dict(
    nearest=cv2.INTER_NEAREST,
    bilinear=cv2.INTER_LINEAR,
    bicubic=cv2.INTER_CUBIC,
    area=cv2.INTER_AREA,
    lanczos=cv2.INTER_LANCZOS4)


class HaarFaces:
    """Face boxes ``(N, 4)`` ``(x1, y1, x2, y2)``, x2 / y2 exclusive,
    sorted left to right (then top to bottom)."""

    def __init__(self, upscale_to=256):
        path = cv2.data.haarcascades + 'haarcascade_frontalface_default.xml'
        self.classifier = cv2.CascadeClassifier(path)
        if self.classifier.empty():
            raise SystemExit(f'error: cannot load the Haar cascade {path} '
                             f'(opencv-python<5 ships it).')
        self.upscale_to = upscale_to

    def __call__(self, image):
        gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        height, width = gray.shape
        scale = 1.0
        if min(height, width) < self.upscale_to:
            scale = self.upscale_to / min(height, width)
            gray = cv2.resize(
                gray, (round(width * scale), round(height * scale)),
                interpolation=cv2.INTER_CUBIC)
        found = self.classifier.detectMultiScale(
            cv2.equalizeHist(gray),
            scaleFactor=1.1,
            minNeighbors=5,
            minSize=(24, 24))
        boxes = np.asarray(found, dtype=np.float64).reshape(-1, 4)
        boxes[:, 2:] += boxes[:, :2]
        boxes = np.round(boxes / scale)
        boxes[:, 0::2] = boxes[:, 0::2].clip(0, width)
        boxes[:, 1::2] = boxes[:, 1::2].clip(0, height)
        boxes = boxes.astype(np.int64)
        return boxes[np.lexsort((boxes[:, 1], boxes[:, 0]))]


def box_crop(image, box, margin):
    """``image`` inside ``box`` grown by ``margin`` on each side."""
    height, width = image.shape[:2]
    x1, y1, x2, y2 = (float(v) for v in box)
    dx, dy = margin * (x2 - x1), margin * (y2 - y1)
    x1, y1 = max(0, round(x1 - dx)), max(0, round(y1 - dy))
    x2, y2 = min(width, round(x2 + dx)), min(height, round(y2 + dy))
    return image[y1:y2, x1:x2]


def resize(crop, resize_cfg):
    width, height = resize_cfg['size'][1], resize_cfg['size'][0]
    name = resize_cfg['interpolation']
    if resize_cfg['backend'] == 'pillow':
        return np.asarray(
            Image.fromarray(crop).resize((width, height), PIL_FILTERS[name]))
    return cv2.resize(crop, (width, height), interpolation=CV2_FILTERS[name])


class ONNXFER:
    """The exported classifier and its recorded preprocessing."""

    def __init__(self, path):
        self.session = onnxruntime.InferenceSession(
            path, providers=['CPUExecutionProvider'])
        meta = self.session.get_modelmeta().custom_metadata_map
        if 'mpafer_preprocessing' not in meta:
            raise SystemExit(
                f'error: {path} records no preprocessing: export it again '
                f'with tools/model_converters/export_deploy.py.')
        self.pre = json.loads(meta['mpafer_preprocessing'])
        self.classes = json.loads(meta['classes'])
        self.detect = HaarFaces()

    def __call__(self, image, source=''):
        """Rows (see the module doc) of the BGR ``image``."""
        boxes = self.detect(image)
        if not len(boxes):
            return []
        margin = self.pre['face_crop']['margin']
        batch = np.stack([
            resize(box_crop(image, box, margin), self.pre['resize'])
            for box in boxes
        ]).transpose(0, 3, 1, 2).astype(np.float32)
        probs = self.session.run(None, {'images': batch})[0]
        return [
            dict(
                source=source,
                face=i,
                box=[int(v) for v in box],
                aligned=False,
                pred_class=self.classes[int(p.argmax())],
                pred_score=float(p.max()),
                scores=dict(zip(self.classes, map(float, p))))
            for i, (box, p) in enumerate(zip(boxes, probs))
        ]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('model', help='model.onnx of export_deploy.py')
    parser.add_argument('photos', nargs='+')
    parser.add_argument('--out', help='results JSON (default: print)')
    args = parser.parse_args(argv)
    fer = ONNXFER(args.model)
    rows = []
    for path in args.photos:
        image = cv2.imread(path, cv2.IMREAD_COLOR)
        if image is None:
            raise SystemExit(f'error: cannot read the image {path}')
        rows += fer(image, path)
    text = json.dumps(rows, indent=1)
    if args.out:
        with open(args.out, 'w') as f:
            f.write(text)
    else:
        print(text)
    return 0


if __name__ == '__main__':
    sys.exit(main())

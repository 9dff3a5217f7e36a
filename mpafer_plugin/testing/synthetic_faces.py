"""A generated stand-in for RAF-DB: drawn cartoon faces, NOT real faces.

No labelled face images with a licence that allows shipping them can be
had offline here, so the quick start and the tests draw faces whose brows,
eyes and mouth follow each class's typical action units (raised brows and
an open mouth for surprise, a smile for happiness…), with jitter in pose,
scale, colours, line width, expression intensity, noise and blur so the
task is not trivial. The tree is written in RAF-DB's official layout and
read by :class:`RAFDB` like the real one. Accuracy on it says nothing about
real faces.
"""
import os
import os.path as osp
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from typing import Dict, Iterator, List, Sequence, Tuple, Union

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from ..datasets.rafdb import RAFDB

# Per class, in RAF-DB's label order: brow raise, brow slant (inner end up
# > 0), eye openness, mouth curve (corners up > 0), mouth opening, mouth
# width, asymmetry (one-sided upper-lip raise), nose wrinkle.
_SHAPES = np.array([
    # raise slant  eye  curve  open width asym wrinkle
    [1.0, 0.0, 1.5, 0.0, 1.0, 0.6, 0.0, 0.0],  # Surprise
    [0.7, 0.9, 1.4, -0.2, 0.5, 1.3, 0.0, 0.0],  # Fear
    [-0.6, -0.3, 0.6, -0.3, 0.2, 0.9, 1.0, 1.0],  # Disgust
    [0.1, 0.0, 0.8, 1.0, 0.3, 1.3, 0.0, 0.0],  # Happiness
    [0.2, 1.0, 0.6, -0.9, 0.0, 0.9, 0.0, 0.0],  # Sadness
    [-0.9, -1.0, 0.7, -0.1, 0.0, 0.8, 0.0, 0.3],  # Anger
    [0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0],  # Neutral
])
_NEUTRAL = _SHAPES[6]


def _draw_face(rng: np.random.Generator, label: int,
               size: int) -> Tuple[Image.Image, np.ndarray]:
    """One ``size × size`` RGB face of class ``label`` and its 8 shape
    parameters (the columns of ``_SHAPES``, after intensity and jitter)."""
    canvas = size * 3  # draw large, then downsample (anti-aliasing)
    background = tuple(int(v) for v in rng.integers(40, 230, 3))
    image = Image.new('RGB', (canvas, canvas), background)
    draw = ImageDraw.Draw(image)
    intensity = rng.uniform(0.7, 1.2)
    shape = _NEUTRAL + intensity * (_SHAPES[label] - _NEUTRAL)
    shape = shape + rng.normal(0, 0.12, shape.shape)
    (raise_, slant, eye, curve, opening, width, asym, wrinkle) = shape
    scale = canvas * rng.uniform(0.8, 1.05)
    cx = canvas / 2 + rng.uniform(-0.06, 0.06) * canvas
    cy = canvas / 2 + rng.uniform(-0.06, 0.06) * canvas
    line = max(1, int(round(canvas * rng.uniform(0.012, 0.022))))
    ink = tuple(int(v) for v in rng.integers(0, 70, 3))

    def xy(x, y):
        return cx + x * scale, cy + y * scale

    skin = tuple(
        int(v) for v in np.clip(rng.normal([205, 160, 130], 35), 60, 255))
    draw.ellipse([*xy(-0.36, -0.45), *xy(0.36, 0.45)], fill=skin)
    for side in (-1, 1):
        # brows: inner end at |x| = 0.06, outer end at |x| = 0.26
        base = -0.22 - 0.11 * raise_
        draw.line([
            xy(side * 0.06, base - 0.08 * slant),
            xy(side * 0.26, base + 0.03 * slant)
        ],
                  fill=ink,
                  width=line * 3)
        # eyes: an ellipse whose height follows the openness, and a pupil
        ex, half_h = side * 0.15, max(0.008, 0.05 * eye)
        draw.ellipse(
            [*xy(ex - 0.08, -0.06 - half_h), *xy(ex + 0.08, -0.06 + half_h)],
            fill=(245, 245, 245),
            outline=ink,
            width=line)
        r = min(0.03, half_h)
        draw.ellipse([*xy(ex - r, -0.06 - r), *xy(ex + r, -0.06 + r)],
                     fill=ink)
    draw.line([xy(0, -0.05), xy(-0.03, 0.08),
               xy(0.02, 0.09)],
              fill=ink,
              width=line)
    if wrinkle > 0.4:  # nose wrinkle lines
        for dy in (-0.02, 0.02):
            draw.line([xy(-0.05, dy), xy(0.05, dy - 0.01)],
                      fill=ink,
                      width=line)
    # mouth: corners at +-w, centre lowered by the curve; upper lip raised
    # on one side by the asymmetry; opened by `opening`
    w, y0 = 0.16 * width, 0.25
    left = (-w, y0 - 0.11 * curve - 0.08 * asym)
    right = (w, y0 - 0.11 * curve)
    upper_mid = (0.0, y0 + 0.03 * curve - 0.06 * asym - 0.06 * opening)
    lower_mid = (0.0, y0 + 0.03 * curve + 0.08 * opening)
    upper = [xy(*left), xy(*upper_mid), xy(*right)]
    lower = [xy(*right), xy(*lower_mid), xy(*left)]
    if opening > 0.15:
        draw.polygon(upper + lower, fill=(70, 20, 30), outline=ink)
    draw.line(upper, fill=ink, width=line)
    draw.line(lower if opening > 0.15 else upper, fill=ink, width=line)

    image = image.rotate(
        rng.uniform(-12, 12), resample=Image.BILINEAR, fillcolor=background)
    image = image.resize((size, size), Image.LANCZOS)
    if rng.random() < 0.3:
        image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.0)))
    pixels = np.asarray(image, dtype=np.float32)
    pixels += rng.normal(0, rng.uniform(0, 12), pixels.shape)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)), shape


def describe_face(shape: np.ndarray,
                  rng: np.random.Generator,
                  keep: float = 0.75) -> str:
    """A caption naming the visible attributes of a drawn face (never its
    class), from its 8 shape parameters, in the words of the shipped
    expression descriptions (``resources/fer_descriptions.json``, "regions"
    level), as web captions share words with what people write about faces.

    Each attribute phrase is kept with probability ``keep`` (at least one
    is) and the kept ones are shuffled, so that the text encoder also learns
    partial descriptions such as the one-cue hard prompts. Used to pretrain
    a tiny CLIP on image-caption pairs, as CLIP is pretrained."""
    raise_, slant, eye, curve, opening, width, asym, wrinkle = shape
    if slant > 0.45:
        brows = ('eyebrows raised and pulled together' if raise_ > 0.45 else
                 'the inner ends of the eyebrows drawn up into a slant')
    elif slant < -0.45:
        brows = 'eyebrows lowered and drawn together'
    else:
        brows = ('eyebrows raised high and curved'
                 if raise_ > 0.45 else 'eyebrows lowered' if raise_ < -0.3 else
                 'eyebrows resting flat in their natural position')
    phrases = [
        brows, 'eyes opened wide' if eye > 1.2 else
        'narrowed eyes' if eye < 0.8 else 'eyes open normally'
    ]
    if curve > 0.45:
        phrases.append('mouth corners pulled up and back')
    elif curve < -0.45:
        phrases.append('mouth corners pulled down')
    else:
        phrases.append('mouth corners level')
    phrases.append('the jaw dropped and lips parted' if opening > 0.6 else
                   'mouth slightly open' if opening > 0.25 else 'lips closed')
    if width > 1.15:
        phrases.append('lips stretched horizontally')
    if asym > 0.4:
        phrases.append('the upper lip raised')
    if wrinkle > 0.4:
        phrases.append('the nose wrinkled')
    kept = [p for p in phrases if rng.random() < keep]
    kept = kept or [phrases[rng.integers(len(phrases))]]
    rng.shuffle(kept)
    return 'a photo of a face with ' + ', with '.join(kept) + '.'


def synthetic_captioned_faces(
        num: int,
        image_size: int = 100,
        seed: int = 0) -> Iterator[Tuple[Image.Image, str]]:
    """``num`` (face, caption) pairs, classes in turn, deterministic in
    ``seed``; drawn from another stream than :func:`make_synthetic_rafdb`
    (which uses ``[seed, index]``), so no pair repeats a dataset image."""
    rng = np.random.default_rng([seed, 1 << 20])
    num_classes = len(RAFDB.METAINFO['classes'])
    for index in range(num):
        face, shape = _draw_face(
            np.random.default_rng([seed, 1 << 20, index]), index % num_classes,
            image_size)
        yield face, describe_face(shape, rng)


# RAF-DB (basic)'s images per class, in label order (docs/datasets.md):
# 12,271 train and 3,068 test images.
RAFDB_SPLIT_COUNTS = dict(
    train=(1290, 281, 717, 4772, 1982, 705, 2524),
    test=(329, 74, 160, 1185, 478, 162, 680))


def rafdb_split_counts(scale: float = 1.0) -> Dict[str, List[int]]:
    """RAF-DB's per-class split sizes times ``scale`` (rounded, at least
    one image per class): ``{'train': [7 counts], 'test': [7 counts]}``."""
    if scale <= 0:
        raise ValueError(f'scale={scale} must be > 0.')
    return {
        split: [max(1, round(n * scale)) for n in counts]
        for split, counts in RAFDB_SPLIT_COUNTS.items()
    }


def _class_counts(per_class: Union[int, Sequence[int]], split: str,
                  num_classes: int) -> List[int]:
    """``per_class`` as one count per class."""
    counts = ([per_class] * num_classes
              if isinstance(per_class, int) else [int(n) for n in per_class])
    if len(counts) != num_classes or min(counts) < 0:
        raise ValueError(
            f'{split}_per_class={per_class!r}: expected one count >= 0 for '
            f'all classes or one per class ({num_classes} classes).')
    return counts


def _write_face(root: str, image_size: int, seed: int, with_original: bool,
                job: Tuple[str, int, int]) -> None:
    """Draw face number ``index`` (its own random stream ``[seed, index]``,
    so the files do not depend on the number of workers) and write it."""
    stem, label, index = job
    face, _ = _draw_face(
        np.random.default_rng([seed, index]), label, image_size)
    face.save(
        osp.join(root, 'Image', 'aligned', f'{stem}_aligned.jpg'), quality=92)
    if with_original:
        wide = Image.new('RGB', (image_size * 3 // 2, ) * 2,
                         face.getpixel((0, 0)))
        wide.paste(face, (image_size // 4, image_size // 4))
        wide.save(
            osp.join(root, 'Image', 'original', f'{stem}.jpg'), quality=92)


def make_synthetic_rafdb(root: str,
                         train_per_class: Union[int, Sequence[int]] = 40,
                         test_per_class: Union[int, Sequence[int]] = 10,
                         image_size: int = 100,
                         seed: int = 0,
                         with_original: bool = False,
                         workers: int = 1) -> Dict[str, list]:
    """Write a synthetic dataset in RAF-DB's layout under ``root``.

    Writes ``EmoLabel/list_patition_label.txt`` (train lines, then test
    lines, classes shuffled), ``Image/aligned/<name>_aligned.jpg`` and, with
    ``with_original``, ``Image/original/<name>`` (the face on a wider
    background). Deterministic in ``seed``, whatever ``workers``.

    Args:
        train_per_class, test_per_class: images of each class, one number
            for all or one per class (RAF-DB's own sizes:
            :func:`rafdb_split_counts`).
        workers: processes drawing the faces.

    Returns:
        ``{'train': [count per class], 'test': [count per class]}``.
    """
    rng = np.random.default_rng(seed)
    num_classes = len(RAFDB.METAINFO['classes'])
    os.makedirs(osp.join(root, 'EmoLabel'), exist_ok=True)
    os.makedirs(osp.join(root, 'Image', 'aligned'), exist_ok=True)
    if with_original:
        os.makedirs(osp.join(root, 'Image', 'original'), exist_ok=True)
    jobs, summary = [], {}  # jobs: (stem, label, index of the face)
    for split, per_class, pattern in (('train', train_per_class, 'train_%05d'),
                                      ('test', test_per_class, 'test_%04d')):
        counts = _class_counts(per_class, split, num_classes)
        labels = rng.permutation(np.repeat(np.arange(num_classes), counts))
        summary[split] = np.bincount(labels, minlength=num_classes).tolist()
        start = len(jobs)
        jobs.extend((pattern % index, int(label), start + index - 1)
                    for index, label in enumerate(labels, start=1))
    write = partial(_write_face, root, image_size, seed, with_original)
    if workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            for _ in pool.map(write, jobs, chunksize=64):
                pass
    else:
        for job in jobs:
            write(job)
    with open(
            osp.join(root, 'EmoLabel', 'list_patition_label.txt'),
            'w',
            newline='\n') as f:
        f.writelines(f'{stem}.jpg {label + 1}\n' for stem, label, _ in jobs)
    return summary

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
import argparse
import os
import os.path as osp
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from functools import partial
from typing import Dict, Iterator, List, Optional, Sequence, Tuple, Union

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


@dataclass(frozen=True)
class FaceStyle:
    """How faces are drawn, beyond their class: the knobs that move a
    dataset away from the one the stand-in CLIP was pretrained on (as real
    FER crops differ from CLIP's web images). The defaults are the quick
    start's generator, drawn bit for bit as before this class existed (the
    extra draws of a non-default style come from their own random stream).

    Args:
        intensity: range of the expression's strength (0: neutral face,
            1: the class's typical action units); below 1 is subtler.
        shape_noise: std of the per-attribute jitter of the 8 shape
            parameters (idiosyncratic, mixed expressions).
        rotation: in-plane head roll, uniform in ``±rotation`` degrees.
        yaw: head turn, uniform in ``±yaw`` (0–1): the features slide
            sideways and the far half of the face narrows.
        occlusion: probability of one occluder (a hand or object patch,
            dark glasses over the eyes, or a mask over the mouth).
        identities: 0 draws every face with the one default geometry (the
            pretraining faces); ``n > 0`` gives each face one of ``n``
            identities, each its own face shape, feature placement and
            feature sizes, drawn from ``identity_seed``.
        identity_seed: seed of the identities' geometry.
        rendering: ``'line'`` (dark ink outlines on flat colours, the
            default), ``'soft'`` (hair-thin strokes, side lighting) or
            ``'shaded'`` (low-contrast features in darkened skin tone, side
            lighting, no outlines).
    """
    intensity: Tuple[float, float] = (0.7, 1.2)
    shape_noise: float = 0.12
    rotation: float = 12.0
    yaw: float = 0.0
    occlusion: float = 0.0
    identities: int = 0
    identity_seed: int = 1
    rendering: str = 'line'

    def __post_init__(self):
        if self.rendering not in ('line', 'soft', 'shaded'):
            raise ValueError(f"FaceStyle.rendering={self.rendering!r}: "
                             "expected 'line', 'soft' or 'shaded'.")
        if not 0 <= self.occlusion <= 1 or not 0 <= self.yaw <= 1:
            raise ValueError(f'FaceStyle: occlusion={self.occlusion} and '
                             f'yaw={self.yaw} must lie in [0, 1].')

    @property
    def is_default(self) -> bool:
        return self == FaceStyle()

    def to_dict(self) -> dict:
        return asdict(self)


# Geometry of the default face: face half-width and half-height, eye
# spacing, eye height, brow height, mouth height, feature size.
_GEOMETRY = dict(
    face_w=0.36,
    face_h=0.45,
    eye_x=0.15,
    eye_y=-0.06,
    brow_y=-0.22,
    mouth_y=0.25,
    feature=1.0)
# Relative spread of each geometry value across identities.
_GEOMETRY_SPREAD = dict(
    face_w=0.12,
    face_h=0.08,
    eye_x=0.15,
    eye_y=0.6,
    brow_y=0.15,
    mouth_y=0.12,
    feature=0.15)


def _identity_geometry(style: FaceStyle, identity: int) -> Dict[str, float]:
    """Identity ``identity``'s geometry: the defaults, each scaled by its
    own factor ``1 + spread * N(0, 1)`` (clipped to ``±2 spread``)."""
    rng = np.random.default_rng([style.identity_seed, 1 << 21, identity])
    return {
        key:
        value *
        (1 + _GEOMETRY_SPREAD[key] * float(np.clip(rng.normal(), -2, 2)))
        for key, value in _GEOMETRY.items()
    }


_OCCLUDERS = ('hand', 'glasses', 'mask')


def _occlude(draw: ImageDraw.ImageDraw, rng: np.random.Generator, xy,
             geo: Dict[str, float]) -> str:
    """One occluder: a hand or object patch anywhere on the face, dark
    glasses over the eyes, or a mask over the mouth and nose; returns
    which (``_OCCLUDERS``)."""
    kind = rng.integers(3)
    colour = tuple(int(v) for v in rng.integers(0, 256, 3))
    if kind == 0:
        x, y = rng.uniform(-0.3, 0.3), rng.uniform(-0.3, 0.35)
        w, h = rng.uniform(0.12, 0.22), rng.uniform(0.12, 0.22)
        draw.rectangle([*xy(x - w, y - h), *xy(x + w, y + h)], fill=colour)
    elif kind == 1:
        y = geo['eye_y']
        draw.rectangle([*xy(-0.3, y - 0.07), *xy(0.3, y + 0.07)],
                       fill=tuple(c // 5 for c in colour))
    else:
        y = geo['mouth_y']
        draw.rectangle([*xy(-0.3, y - 0.2), *xy(0.3, y + 0.17)], fill=colour)
    return _OCCLUDERS[kind]


def _draw_face(
    rng: np.random.Generator,
    label: int,
    size: int,
    style: Optional[FaceStyle] = None,
    style_rng: Optional[np.random.Generator] = None
) -> Tuple[Image.Image, np.ndarray, Dict[str, object]]:
    """One ``size × size`` RGB face of class ``label``, its 8 shape
    parameters (the columns of ``_SHAPES``, after intensity and jitter) and
    what else the picture shows (:func:`describe_scene`): ``yaw`` (-1–1),
    ``roll`` (degrees), ``occluder`` (``None``, ``'hand'``, ``'glasses'``
    or ``'mask'``), ``face_ratio`` (width / height of the face outline over
    the default's), ``background`` and ``skin`` (RGB).

    ``style`` (default :class:`FaceStyle`) sets how it is drawn; a
    non-default style takes its extra draws (identity, yaw, occluder,
    lighting) from ``style_rng``, so the draws of ``rng`` stay those of the
    default generator."""
    style = style or FaceStyle()
    if style_rng is None:
        style_rng = np.random.default_rng(0)
    canvas = size * 3  # draw large, then downsample (anti-aliasing)
    background = tuple(int(v) for v in rng.integers(40, 230, 3))
    image = Image.new('RGB', (canvas, canvas), background)
    draw = ImageDraw.Draw(image)
    intensity = rng.uniform(*style.intensity)
    shape = _NEUTRAL + intensity * (_SHAPES[label] - _NEUTRAL)
    shape = shape + rng.normal(0, style.shape_noise, shape.shape)
    (raise_, slant, eye, curve, opening, width, asym, wrinkle) = shape
    scale = canvas * rng.uniform(0.8, 1.05)
    cx = canvas / 2 + rng.uniform(-0.06, 0.06) * canvas
    cy = canvas / 2 + rng.uniform(-0.06, 0.06) * canvas
    line = max(1, int(round(canvas * rng.uniform(0.012, 0.022))))
    ink = tuple(int(v) for v in rng.integers(0, 70, 3))
    geo = (
        _identity_geometry(style, int(style_rng.integers(style.identities)))
        if style.identities else _GEOMETRY)
    yaw = style_rng.uniform(-style.yaw, style.yaw) if style.yaw else 0.0
    f = geo['feature']

    def xy(x, y):
        return cx + x * scale, cy + y * scale

    def fxy(x, y):  # a facial feature: turned with the head (yaw)
        return xy(x * (1 - 0.35 * abs(yaw)) + 0.12 * yaw, y)

    skin = tuple(
        int(v) for v in np.clip(rng.normal([205, 160, 130], 35), 60, 255))
    if style.rendering == 'shaded':  # features in darkened skin, no ink
        ink = tuple(int(c * 0.45) for c in skin)
    if style.rendering != 'line':
        line = max(1, line // 2)
    face_w = geo['face_w'] * (1 - 0.15 * abs(yaw))
    draw.ellipse([
        *xy(-face_w + 0.05 * yaw, -geo['face_h']),
        *xy(face_w + 0.05 * yaw, geo['face_h'])
    ],
                 fill=skin)
    for side in (-1, 1):
        # brows: inner end at |x| = 0.06, outer end at |x| = 0.26
        base = geo['brow_y'] - 0.11 * raise_
        draw.line([
            fxy(side * 0.06, base - 0.08 * slant),
            fxy(side * 0.26, base + 0.03 * slant)
        ],
                  fill=ink,
                  width=line * 3)
        # eyes: an ellipse whose height follows the openness, and a pupil
        ex, ey = side * geo['eye_x'], geo['eye_y']
        half_h = max(0.008, 0.05 * eye * f)
        white = ((245, 245, 245) if style.rendering != 'shaded' else tuple(
            min(255, int(c * 1.15)) for c in skin))
        draw.ellipse([
            *fxy(ex - 0.08 * f, ey - half_h), *fxy(ex + 0.08 * f, ey + half_h)
        ],
                     fill=white,
                     outline=ink,
                     width=line)
        r = min(0.03 * f, half_h)
        draw.ellipse([*fxy(ex - r, ey - r), *fxy(ex + r, ey + r)], fill=ink)
    draw.line([fxy(0, -0.05), fxy(-0.03, 0.08),
               fxy(0.02, 0.09)],
              fill=ink,
              width=line)
    if wrinkle > 0.4:  # nose wrinkle lines
        for dy in (-0.02, 0.02):
            draw.line([fxy(-0.05, dy), fxy(0.05, dy - 0.01)],
                      fill=ink,
                      width=line)
    # mouth: corners at +-w, centre lowered by the curve; upper lip raised
    # on one side by the asymmetry; opened by `opening`
    w, y0 = 0.16 * width * f, geo['mouth_y']
    left = (-w, y0 - 0.11 * curve - 0.08 * asym)
    right = (w, y0 - 0.11 * curve)
    upper_mid = (0.0, y0 + 0.03 * curve - 0.06 * asym - 0.06 * opening)
    lower_mid = (0.0, y0 + 0.03 * curve + 0.08 * opening)
    upper = [fxy(*left), fxy(*upper_mid), fxy(*right)]
    lower = [fxy(*right), fxy(*lower_mid), fxy(*left)]
    if opening > 0.15:
        draw.polygon(upper + lower, fill=(70, 20, 30), outline=ink)
    draw.line(upper, fill=ink, width=line)
    draw.line(lower if opening > 0.15 else upper, fill=ink, width=line)
    occluder = None
    if style.occlusion and style_rng.random() < style.occlusion:
        occluder = _occlude(draw, style_rng, xy, geo)

    roll = rng.uniform(-style.rotation, style.rotation)
    image = image.rotate(roll, resample=Image.BILINEAR, fillcolor=background)
    image = image.resize((size, size), Image.LANCZOS)
    if rng.random() < 0.3:
        image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.0)))
    pixels = np.asarray(image, dtype=np.float32)
    if style.rendering != 'line':  # light from one side
        light = style_rng.uniform(0.25, 0.5) * style_rng.choice([-1, 1])
        ramp = 1 + light * np.linspace(-1, 1, size, dtype=np.float32)
        pixels *= ramp[None, :, None]
    pixels += rng.normal(0, rng.uniform(0, 12), pixels.shape)
    scene = dict(
        yaw=yaw,
        roll=roll,
        occluder=occluder,
        face_ratio=(geo['face_w'] / geo['face_h']) /
        (_GEOMETRY['face_w'] / _GEOMETRY['face_h']),
        background=background,
        skin=skin)
    return (Image.fromarray(np.clip(pixels, 0,
                                    255).astype(np.uint8)), shape, scene)


def _cue_phrases(shape: np.ndarray) -> List[str]:
    """The expression's visible cues, from its 8 shape parameters, in the
    words of the shipped descriptions."""
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
    return phrases


# What a web caption of a face names besides the expression, in phrases
# that never name a facial action (nor left/right: the pretraining flips
# images). The background's: 'a [dark |light ]<colour> background'.
SCENE_OCCLUDERS = {
    'hand': 'a hand covering part of the face',
    'glasses': 'dark glasses',
    'mask': 'a face mask'
}
SCENE_POSES = ('the head facing the camera', 'the head turned to one side',
               'the head tilted')
SCENE_FACE_SHAPES = ('a long narrow face shape', 'an oval face shape',
                     'a round face shape')
SCENE_SKIN = ('dark skin', 'medium skin', 'light skin')
SCENE_COLOURS = ('red', 'green', 'blue', 'grey')
#: every caption's start; its phrases follow, joined by ', with '
CAPTION_PREFIX = 'a photo of a face with '
#: what :func:`describe_scene` can name
SCENE_ATTRIBUTES = ('pose', 'occluder', 'face_shape', 'skin', 'background')


def describe_scene(scene: Dict[str, object],
                   attributes: Sequence[str] = SCENE_ATTRIBUTES) -> List[str]:
    """Phrases for what a drawn face's picture shows besides its expression
    (``scene`` as :func:`_draw_face` returns it), as a web caption names
    the person, what they wear and the setting: of ``attributes``, the
    head's pose (``'pose'``), the occluder if any, the face's shape, the
    skin tone and the background."""
    unknown = set(attributes) - set(SCENE_ATTRIBUTES)
    if unknown:
        raise ValueError(f'describe_scene: unknown attributes '
                         f'{sorted(unknown)}; expected {SCENE_ATTRIBUTES}.')
    phrases = []
    if 'pose' in attributes:
        phrases.append(SCENE_POSES[int(abs(scene['yaw']) > 0.1)])
        if abs(scene['roll']) > 6:
            phrases.append(SCENE_POSES[2])
    if 'occluder' in attributes and scene['occluder']:
        phrases.append(SCENE_OCCLUDERS[scene['occluder']])
    if 'face_shape' in attributes:
        ratio = scene['face_ratio']
        phrases.append(SCENE_FACE_SHAPES[1 + (ratio > 1.06) - (ratio < 0.94)])
    if 'skin' in attributes:
        tone = float(np.mean(scene['skin']))
        phrases.append(SCENE_SKIN[(tone > 150) + (tone > 180)])
    if 'background' in attributes:
        background = np.asarray(scene['background'], float)
        colour = (
            SCENE_COLOURS[int(background.argmax())]
            if np.ptp(background) > 60 else SCENE_COLOURS[3])
        shade = ('dark ' if background.mean() < 110 else
                 'light ' if background.mean() > 160 else '')
        phrases.append(f'a {shade}{colour} background')
    return phrases


def describe_face(shape: np.ndarray,
                  rng: np.random.Generator,
                  keep: float = 0.75,
                  scene: Optional[Dict[str, object]] = None,
                  cue_rate: float = 1.0,
                  scene_attributes: Sequence[str] = SCENE_ATTRIBUTES,
                  class_name: Optional[str] = None,
                  name_rate: float = 0.0) -> str:
    """A caption naming the visible attributes of a drawn face (its class
    only with ``name_rate``), from its 8 shape parameters, in the words of
    the shipped expression descriptions (``resources/fer_descriptions.json``,
    "regions" level), as web captions share words with what people write
    about faces.

    Each attribute phrase is kept with probability ``keep`` (at least one
    is) and the kept ones are shuffled, so that the text encoder also learns
    partial descriptions such as the one-cue hard prompts. Used to pretrain
    a tiny CLIP on image-caption pairs, as CLIP is pretrained.

    With ``scene`` (:func:`_draw_face`'s), the caption also names every
    phrase of :func:`describe_scene` for ``scene_attributes``, and the
    expression's cues only in a fraction ``cue_rate`` of the captions
    (drawn from ``rng``), as a web caption of a face names pose,
    accessories and setting and seldom what the face does. ``cue_rate <
    1`` needs a ``scene``.

    ``name_rate``: the fraction of captions that also name the expression's
    word, ``class_name`` ("a look of Happiness"), as a web caption now and
    then says "a smiling woman" and CLIP's text tower so learns the words
    its zero-shot classifier and CoOp's class texts are made of. At 0 (the
    default) nothing is drawn for it: the captions are those without it."""
    if not 0 <= cue_rate <= 1 or (cue_rate < 1 and scene is None):
        raise ValueError(f'describe_face: cue_rate={cue_rate} must lie in '
                         '[0, 1], and below 1 only with a scene.')
    if not 0 <= name_rate <= 1 or (name_rate > 0 and not class_name):
        raise ValueError(f'describe_face: name_rate={name_rate} must lie in '
                         '[0, 1], and above 0 only with a class_name.')
    kept = []
    if cue_rate >= 1 or rng.random() < cue_rate:
        phrases = _cue_phrases(shape)
        kept = [p for p in phrases if rng.random() < keep]
        kept = kept or [phrases[rng.integers(len(phrases))]]
    if scene is not None:
        kept += describe_scene(scene, scene_attributes)
    if name_rate > 0 and rng.random() < name_rate:
        kept.append(f'a look of {class_name}')
    rng.shuffle(kept)
    return CAPTION_PREFIX + ', with '.join(kept) + '.'


def synthetic_captioned_faces(
    num: int,
    image_size: int = 100,
    seed: int = 0,
    style: Optional[FaceStyle] = None,
    scene_attributes: Sequence[str] = (),
    cue_rate: float = 1.0,
    name_rate: Union[float, Sequence[float]] = 0.0
) -> Iterator[Tuple[Image.Image, str]]:
    """``num`` (face, caption) pairs, classes in turn, deterministic in
    ``seed``; drawn from another stream than :func:`make_synthetic_rafdb`
    (which uses ``[seed, index]``), so no pair repeats a dataset image.
    ``style`` (default: :class:`FaceStyle`'s defaults, the quick start's
    pretraining faces, unchanged) draws them otherwise; its extra draws
    come from their own stream. The caption names the drawn attributes
    whatever covers them (an occluder, a turned head), as web captions do
    not say what the picture hides. ``scene_attributes``: the attributes of
    :func:`describe_scene` that every caption also names; ``cue_rate`` and
    ``name_rate`` (the class's name, RAF-DB's word for it): see
    :func:`describe_face` (the defaults give the quick start's captions,
    the expression's cues only); ``name_rate`` may also give one rate per
    class, in RAFDB's class order, as web captions name some expressions
    far more often than others."""
    rng = np.random.default_rng([seed, 1 << 20])
    num_classes = len(RAFDB.METAINFO['classes'])
    rates = ([name_rate] *
             num_classes if np.isscalar(name_rate) else list(name_rate))
    if len(rates) != num_classes:
        raise ValueError(f'synthetic_captioned_faces: name_rate={name_rate}: '
                         f'expected one rate for all classes or one per '
                         f'class ({num_classes} classes).')
    for index in range(num):
        face, shape, drawn = _draw_face(
            np.random.default_rng([seed, 1 << 20, index]), index % num_classes,
            image_size, style,
            np.random.default_rng([seed, 1 << 20, index, 1 << 22]))
        yield face, describe_face(
            shape,
            rng,
            scene=drawn if scene_attributes else None,
            cue_rate=cue_rate,
            scene_attributes=scene_attributes,
            class_name=RAFDB.METAINFO['classes'][index % num_classes],
            name_rate=rates[index % num_classes])


def add_face_style_arguments(parser: argparse.ArgumentParser,
                             description: str) -> None:
    """``--intensity --shape-noise --rotation --yaw --occlusion
    --identities --identity-seed --rendering``: a :class:`FaceStyle` on the
    command line (defaults: the class's), read back by
    :func:`face_style_from_args`."""
    default = FaceStyle()
    style = parser.add_argument_group('style', description)
    style.add_argument(
        '--intensity',
        type=float,
        nargs=2,
        default=default.intensity,
        metavar=('LO', 'HI'),
        help='range of expression strength (1 = typical)')
    style.add_argument(
        '--shape-noise', type=float, default=default.shape_noise)
    style.add_argument(
        '--rotation',
        type=float,
        default=default.rotation,
        help='in-plane roll, +- degrees')
    style.add_argument(
        '--yaw', type=float, default=default.yaw, help='head turn, 0-1')
    style.add_argument(
        '--occlusion',
        type=float,
        default=default.occlusion,
        help='probability of an occluder')
    style.add_argument(
        '--identities',
        type=int,
        default=default.identities,
        help='number of identities (0: the one default geometry)')
    style.add_argument(
        '--identity-seed', type=int, default=default.identity_seed)
    style.add_argument(
        '--rendering',
        choices=('line', 'soft', 'shaded'),
        default=default.rendering)


def face_style_from_args(args: argparse.Namespace) -> FaceStyle:
    """The :class:`FaceStyle` of :func:`add_face_style_arguments`' flags."""
    return FaceStyle(
        intensity=tuple(args.intensity),
        shape_noise=args.shape_noise,
        rotation=args.rotation,
        yaw=args.yaw,
        occlusion=args.occlusion,
        identities=args.identities,
        identity_seed=args.identity_seed,
        rendering=args.rendering)


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
                style: FaceStyle, job: Tuple[str, int, int]) -> None:
    """Draw face number ``index`` (its own random streams ``[seed, index]``
    and, for the style's draws, ``[seed, index, 2**22]``, so the files do
    not depend on the number of workers) and write it."""
    stem, label, index = job
    face, *_ = _draw_face(
        np.random.default_rng([seed, index]), label, image_size, style,
        np.random.default_rng([seed, index, 1 << 22]))
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
                         workers: int = 1,
                         style: Optional[FaceStyle] = None) -> Dict[str, list]:
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
        style: how the faces are drawn (:class:`FaceStyle`; default: the
            quick start's, which is also the stand-in CLIP's pretraining
            style).

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
    write = partial(_write_face, root, image_size, seed, with_original, style
                    or FaceStyle())
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

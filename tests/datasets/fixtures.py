"""Tiny dataset trees in the owners' file formats (docs: DATASETS.md).

Each ``write_*`` function writes one tree under ``root`` and returns its
path as a string; the module constants say what it holds, so tests can
compare against hand-computed values.
"""
import contextlib
import io
import logging
import os
import os.path as osp

import numpy as np
from mmengine.logging import MMLogger
from PIL import Image

# ---------------------------------------------------------------- AffectNet
AFFECTNET_COLUMNS = ('subDirectory_filePath,face_x,face_y,face_width,'
                     'face_height,facial_landmarks,expression,valence,'
                     'arousal')
# Expression ids per row; 7 Contempt, 8 None, 9 Uncertain, 10 Non-Face.
AFFECTNET_TRAIN = (0, 1, 1, 2, 3, 4, 5, 6, 7, 7, 8, 9, 10)
AFFECTNET_VAL = (6, 5, 4, 3, 2, 1, 0, 7, 9)
AFFECTNET_IMAGE = (16, 12)  # width, height


def affectnet_box(i):
    """Face box ``(x, y, w, h)`` of row ``i``."""
    return (1 + i % 3, 2, 8, 6)


def affectnet_name(split, i):
    return f'{100 + i % 3}/{split}_{i:03d}.jpg'


def _face_image(path, box, size=AFFECTNET_IMAGE):
    """A dark image with a bright face box."""
    x, y, w, h = box
    pixels = np.full((size[1], size[0], 3), 20, np.uint8)
    pixels[y:y + h, x:x + w] = 230
    os.makedirs(osp.dirname(path), exist_ok=True)
    Image.fromarray(pixels).save(path)


def affectnet_row(split, i, expression):
    landmarks = ';'.join(f'{k * 0.5:.3f}' for k in range(136))
    x, y, w, h = affectnet_box(i)
    valence = -2 if expression >= 8 else 0.25
    return (f'{affectnet_name(split, i)},{x},{y},{w},{h},{landmarks},'
            f'{expression},{valence},-0.125')


def write_affectnet_csv(root,
                        train=AFFECTNET_TRAIN,
                        val=AFFECTNET_VAL,
                        skip_images=()):
    """The original release: ``training.csv`` with a header,
    ``validation.csv`` without one; images named in ``skip_images`` (row
    names) are not written."""
    root = str(root)
    lists = osp.join(root, 'Manually_Annotated_file_lists')
    os.makedirs(lists, exist_ok=True)
    for split, file, expressions, header in (('train', 'training.csv', train,
                                              True), ('val', 'validation.csv',
                                                      val, False)):
        lines = [AFFECTNET_COLUMNS] if header else []
        for i, expression in enumerate(expressions):
            lines.append(affectnet_row(split, i, expression))
            name = affectnet_name(split, i)
            if name not in skip_images:
                _face_image(
                    osp.join(root, 'Manually_Annotated_Images', name),
                    affectnet_box(i))
        with open(osp.join(lists, file), 'w', newline='') as f:
            f.write('\r\n'.join(lines) + '\r\n')
    return root


def write_affectnet_npy(root, train=AFFECTNET_TRAIN, val=AFFECTNET_VAL):
    """The newer release: ``<id>.jpg`` face crops and ``<id>_exp.npy``
    labels stored as numpy strings (ids 0..n-1, so ids >= 10 test the
    numeric order)."""
    root = str(root)
    for folder, expressions in (('train_set', train), ('val_set', val)):
        images = osp.join(root, folder, 'images')
        annotations = osp.join(root, folder, 'annotations')
        os.makedirs(annotations, exist_ok=True)
        for i, expression in enumerate(expressions):
            _face_image(osp.join(images, f'{i}.jpg'), (0, 0, 8, 8), (8, 8))
            np.save(
                osp.join(annotations, f'{i}_exp.npy'),
                np.array(str(expression)))
            np.save(osp.join(annotations, f'{i}_val.npy'), np.array('0.1'))
            np.save(osp.join(annotations, f'{i}_aro.npy'), np.array('0.2'))
            np.save(
                osp.join(annotations, f'{i}_lnd.npy'),
                np.zeros(136, np.float32))
    return root


# ------------------------------------------------------------------ FERPlus
FERPLUS_VOTE_HEADER = ('Usage,Image name,neutral,happiness,surprise,sadness,'
                       'anger,disgust,fear,contempt,unknown,NF')
# (Usage, Image name, votes: neutral happiness surprise sadness anger
#  disgust fear contempt unknown NF). Row i of fer2013.csv is row i here.
FERPLUS_ROWS = (
    ('Training', 'fer0000000.png', (0, 0, 10, 0, 0, 0, 0, 0, 0, 0)),
    ('Training', '', (10, 0, 0, 0, 0, 0, 0, 0, 0, 0)),
    ('Training', 'fer0000002.png', (0, 1, 0, 9, 0, 0, 0, 0, 0, 0)),
    ('PublicTest', 'fer0000003.png', (0, 0, 0, 0, 0, 0, 8, 0, 2, 0)),
    ('PrivateTest', 'fer0000004.png', (10, 0, 0, 0, 0, 0, 0, 0, 0, 0)),
    ('PrivateTest', 'fer0000005.png', (0, 6, 0, 0, 0, 0, 0, 0, 4, 0)),
    ('PrivateTest', 'fer0000006.png', (4, 4, 0, 0, 0, 0, 0, 0, 2, 0)),
    ('PrivateTest', 'fer0000007.png', (2, 1, 0, 0, 0, 0, 0, 0, 7, 0)),
    ('PrivateTest', 'fer0000008.png', (0, 0, 0, 0, 0, 0, 0, 0, 0, 10)),
    ('PrivateTest', 'fer0000009.png', (4, 2, 1, 1, 1, 1, 0, 0, 0, 0)),
    ('PrivateTest', 'fer0000010.png', (0, 0, 5, 0, 0, 0, 0, 0, 0, 5)),
    ('PrivateTest', '', (0, 10, 0, 0, 0, 0, 0, 0, 0, 0)),
    ('PrivateTest', 'fer0000012.png', (0, 0, 0, 0, 8, 2, 0, 0, 0, 0)),
    ('PrivateTest', 'fer0000013.png', (0, 0, 0, 0, 0, 0, 7, 0, 0, 3)),
    ('PrivateTest', 'fer0000014.png', (0, 0, 0, 0, 2, 8, 0, 0, 0, 0)),
    ('PrivateTest', 'fer0000015.png', (0, 0, 0, 0, 0, 0, 0, 0, 0, 0)),
)


def ferplus_pixels(i):
    """The 48x48 gray image of fer2013.csv row ``i``."""
    return ((np.arange(48 * 48) * (i + 1) + 3 * i) % 256).astype(
        np.uint8).reshape(48, 48)


def write_ferplus_csv(root, rows=FERPLUS_ROWS, variant='fer2013'):
    """``fer2013.csv`` (or the ``icml_face_data.csv`` variant, with other
    column order and leading spaces) and ``fer2013new.csv``."""
    root = str(root)
    os.makedirs(root, exist_ok=True)
    images = [
        'emotion,pixels,Usage'
        if variant == 'fer2013' else 'emotion, Usage, pixels'
    ]
    votes = [FERPLUS_VOTE_HEADER]
    for i, (usage, name, counts) in enumerate(rows):
        pixels = ' '.join(str(v) for v in ferplus_pixels(i).ravel())
        images.append(f'{i % 7},{pixels},{usage}' if variant ==
                      'fer2013' else f'{i % 7},{usage},{pixels}')
        votes.append(f'{usage},{name},' + ','.join(map(str, counts)))
    file = 'fer2013.csv' if variant == 'fer2013' else 'icml_face_data.csv'
    for name, lines in ((file, images), ('fer2013new.csv', votes)):
        with open(osp.join(root, name), 'w', newline='') as f:
            f.write('\n'.join(lines) + '\n')
    return root


# Per folder: (name, votes).
FERPLUS_FOLDER_ROWS = {
    'FER2013Train': (
        ('fer0000000.png', (0, 0, 0, 0, 0, 0, 0, 10, 0, 0)),
        ('fer0000001.png', (3, 3, 0, 0, 0, 0, 0, 0, 4, 0)),
        ('', (10, 0, 0, 0, 0, 0, 0, 0, 0, 0)),
        ('fer0000003.png', (1, 9, 0, 0, 0, 0, 0, 0, 0, 0)),
        ('fer0000007.png', (0, 0, 0, 0, 0, 0, 2, 8, 0, 0)),
    ),
    'FER2013Valid': (('fer0000004.png', (0, 0, 0, 6, 4, 0, 0, 0, 0, 0)), ),
    'FER2013Test': (
        ('fer0000005.png', (0, 0, 0, 0, 0, 10, 0, 0, 0, 0)),
        ('fer0000006.png', (0, 0, 0, 0, 0, 0, 0, 0, 1, 9)),
    ),
}


def write_ferplus_folders(root, rows=FERPLUS_FOLDER_ROWS, skip_images=()):
    """The official generator's output: per split a folder of 48x48 gray
    PNGs and a header-less ``label.csv``."""
    root = str(root)
    for folder, entries in rows.items():
        os.makedirs(osp.join(root, folder), exist_ok=True)
        lines = []
        for i, (name, counts) in enumerate(entries):
            lines.append(f'{name},"(0, 0, 48, 48)",' +
                         ','.join(map(str, counts)))
            if name and name not in skip_images:
                Image.fromarray(ferplus_pixels(i)).save(
                    osp.join(root, folder, name))
        with open(osp.join(root, folder, 'label.csv'), 'w', newline='') as f:
            f.write('\n'.join(lines) + '\n')
    return root


# ------------------------------------------------------------------- RAF-DB
# Per split: class folder -> number of images. Labels are 1..7 = Surprise,
# Fear, Disgust, Happiness, Sadness, Anger, Neutral.
RAFDB_NUMERIC = {'train': {'1': 2, '4': 3, '7': 1}, 'test': {'2': 1, '6': 2}}
RAFDB_NAMED = {
    'train': {
        'Surprise': 1,
        'happy': 2,
        'NEUTRAL': 1,
        'angry': 1,
        'Fearful': 1
    },
    'test': {
        'disgusted': 1,
        'sadness': 2
    },
}


def write_rafdb_folders(root, classes=RAFDB_NUMERIC):
    """A mirror copy: ``<split>/<class>/<n>.jpg`` (plus a ``.png``), a
    stray file and a hidden folder that must be ignored."""
    root = str(root)
    for split, counts in classes.items():
        for folder, count in counts.items():
            os.makedirs(osp.join(root, split, folder), exist_ok=True)
            for i in range(count):
                suffix = '.png' if i == 1 else '.jpg'
                Image.new('RGB', (8, 8), (i, 2, 3)).save(
                    osp.join(root, split, folder, f'{i:04d}{suffix}'))
            with open(osp.join(root, split, folder, 'Thumbs.db'), 'w'):
                pass
        os.makedirs(osp.join(root, split, '.cache'), exist_ok=True)
        with open(osp.join(root, split, 'README.txt'), 'w') as f:
            f.write('mirror copy\n')
    return root


def replace_line(path, lineno, text):
    """Replace line ``lineno`` (1-based) of a text file; ``text=None``
    deletes it."""
    with open(path, newline='') as f:
        lines = f.read().splitlines()
    if text is None:
        del lines[lineno - 1]
    else:
        lines[lineno - 1] = text
    with open(path, 'w', newline='') as f:
        f.write('\n'.join(lines) + '\n')


@contextlib.contextmanager
def captured_log():
    """Collect what the current MMLogger logs at INFO level meanwhile."""
    logger = MMLogger.get_current_instance()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)

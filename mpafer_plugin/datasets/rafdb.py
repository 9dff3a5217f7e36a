"""RAF-DB (basic emotions) in its official layout or a mirror's folders."""
import os
import os.path as osp
from typing import List

from mmengine.logging import MMLogger
from mmpretrain.datasets import BaseDataset
from mmpretrain.registry import DATASETS

from .utils import check_images_exist

SPLIT_PREFIXES = {'train': 'train_', 'test': 'test_'}
LAYOUTS = ('auto', 'official', 'folder')
IMG_EXTENSIONS = ('.jpg', '.jpeg', '.png')
# Class folder names of mirror copies (lower case) -> gt_label, in the
# official order; never the alphabetical order ImageFolder would use.
FOLDER_LABELS = {
    **{str(number): number - 1 for number in range(1, 8)},
    'surprise': 0, 'surprised': 0,
    'fear': 1, 'fearful': 1,
    'disgust': 2, 'disgusted': 2,
    'happiness': 3, 'happy': 3,
    'sadness': 4, 'sad': 4,
    'anger': 5, 'angry': 5,
    'neutral': 6,
}


@DATASETS.register_module()
class RAFDB(BaseDataset):
    """RAF-DB basic, as the owners distribute it (``layout='official'``)::

        basic/                                  <- data_root
          EmoLabel/list_patition_label.txt      (sic) "train_00001.jpg 5"
          Image/aligned/train_00001_aligned.jpg ... test_3068_aligned.jpg
          Image/original/train_00001.jpg        ... test_3068.jpg

    Labels 1..7 in the file are Surprise, Fear, Disgust, Happiness, Sadness,
    Anger, Neutral and become ``gt_label`` 0..6. The split is the image-name
    prefix. The official release has 12,271 train and 3,068 test images.

    ``layout='folder'`` reads a mirror copy's class folders::

        <data_root>/{train,test}/<class>/*.jpg|*.jpeg|*.png

    where ``<class>`` is the label number ``1``..``7`` or an emotion name
    (any case; also surprised, fearful, disgusted, happy, sad, angry),
    mapped to the official order above. ``layout='auto'`` takes the official
    layout if its label file exists, else the folder layout if
    ``<data_root>/train`` or ``<data_root>/test`` exists.

    Args:
        data_root (str): the ``basic`` folder (or the mirror's root).
        split (str): ``'train'`` or ``'test'``.
        ann_file (str): label file, relative to ``data_root``.
        img_dir (str): image folder relative to ``data_root``;
            ``'Image/original'`` for the original images.
        img_suffix (str): inserted before the extension of each listed name
            (``'_aligned'``; ``''`` for the original images).
        layout (str): ``'auto'``, ``'official'`` or ``'folder'``; the three
            arguments above only apply to the official layout.
        **kwargs: other :class:`mmpretrain.datasets.BaseDataset` arguments
            (``pipeline``, ``test_mode``, ``indices``…).
    """

    METAINFO = dict(classes=('Surprise', 'Fear', 'Disgust', 'Happiness',
                             'Sadness', 'Anger', 'Neutral'))

    def __init__(self,
                 data_root: str,
                 split: str = 'train',
                 ann_file: str = 'EmoLabel/list_patition_label.txt',
                 img_dir: str = 'Image/aligned',
                 img_suffix: str = '_aligned',
                 layout: str = 'auto',
                 **kwargs):
        if split not in SPLIT_PREFIXES:
            raise ValueError(f'split must be one of {sorted(SPLIT_PREFIXES)}'
                             f', got {split!r}.')
        if layout not in LAYOUTS:
            raise ValueError(f'layout must be one of {LAYOUTS}, got '
                             f'{layout!r}.')
        self.split = split
        self.layout = layout
        self.img_suffix = img_suffix
        super().__init__(
            ann_file=ann_file,
            data_root=data_root,
            data_prefix=dict(img_path=img_dir),
            **kwargs)

    def load_data_list(self) -> List[dict]:
        """Read the split in the layout found (or asked for)."""
        layout = self.layout
        if layout == 'auto':
            layout = self._detect_layout()
        if layout == 'official':
            data_list = self._read_label_file()
        else:
            data_list = self._read_class_folders()
        MMLogger.get_current_instance().info(
            f'RAF-DB {self.split} ({layout} layout): {len(data_list)} '
            f'images.')
        return data_list

    def _detect_layout(self) -> str:
        if osp.isfile(self.ann_file):
            return 'official'
        folders = [osp.join(self.data_root, split)
                   for split in SPLIT_PREFIXES]
        if any(osp.isdir(folder) for folder in folders):
            return 'folder'
        raise FileNotFoundError(
            f'No RAF-DB found: looked for the label file {self.ann_file} '
            f'(official layout) and the folders {" or ".join(folders)} '
            f'(folder layout).')

    def _read_class_folders(self) -> List[dict]:
        """List ``<data_root>/<split>/<class>/`` images, class by class."""
        split_dir = osp.join(self.data_root, self.split)
        if not osp.isdir(split_dir):
            raise FileNotFoundError(f'RAF-DB folder {split_dir} does not '
                                    f'exist.')
        folders = {}  # gt_label -> folder name
        for name in sorted(os.listdir(split_dir)):
            if name.startswith('.') or not osp.isdir(
                    osp.join(split_dir, name)):
                continue
            label = FOLDER_LABELS.get(name.lower())
            if label is None:
                raise ValueError(
                    f'{osp.join(split_dir, name)}: class folder {name!r} is '
                    f'neither a label 1..7 nor one of the emotion names '
                    f'{sorted(k for k in FOLDER_LABELS if not k.isdigit())}.')
            if label in folders:
                raise ValueError(
                    f'{split_dir}: class folders {folders[label]!r} and '
                    f'{name!r} both stand for '
                    f'{self.METAINFO["classes"][label]}.')
            folders[label] = name
        data_list = [
            dict(img_path=osp.join(split_dir, name, file), gt_label=label)
            for label, name in sorted(folders.items())
            for file in sorted(os.listdir(osp.join(split_dir, name)))
            if file.lower().endswith(IMG_EXTENSIONS)
        ]
        if not data_list:
            raise ValueError(f'{split_dir}: no images in class folders.')
        return data_list

    def _read_label_file(self) -> List[dict]:
        """Parse the label file: one ``<name> <label>`` per line."""
        if not osp.isfile(self.ann_file):
            raise FileNotFoundError(
                f'RAF-DB label file {self.ann_file} does not exist.')
        num_classes = len(self.METAINFO['classes'])
        prefix = SPLIT_PREFIXES[self.split]
        img_dir = self.data_prefix['img_path']
        data_list = []
        with open(self.ann_file, encoding='utf-8') as f:
            for lineno, line in enumerate(f, start=1):
                fields = line.split()
                if not fields:
                    continue
                where = f'{self.ann_file}:{lineno}'
                if len(fields) != 2:
                    raise ValueError(f'{where}: expected "<image name> '
                                     f'<label>", got {line.strip()!r}.')
                name, label = fields
                if not (label.isdigit() and 1 <= int(label) <= num_classes):
                    raise ValueError(f'{where}: label {label!r} is not an '
                                     f'integer in 1..{num_classes}.')
                if not name.startswith(tuple(SPLIT_PREFIXES.values())):
                    raise ValueError(f'{where}: image name {name!r} starts '
                                     f'with neither "train_" nor "test_".')
                if name.startswith(prefix):
                    stem, ext = osp.splitext(name)
                    data_list.append(dict(
                        img_path=osp.join(img_dir,
                                          stem + self.img_suffix + ext),
                        gt_label=int(label) - 1))
        if not data_list:
            raise ValueError(f'{self.ann_file}: no {self.split!r} images '
                             f'(names starting with {prefix!r}).')
        check_images_exist(data_list, self.split, self.ann_file)
        return data_list

"""RAF-DB (basic emotions) in its official release layout."""
import os.path as osp
from typing import List

from mmpretrain.datasets import BaseDataset
from mmpretrain.registry import DATASETS

SPLIT_PREFIXES = {'train': 'train_', 'test': 'test_'}


@DATASETS.register_module()
class RAFDB(BaseDataset):
    """RAF-DB basic, read from the files as the owners distribute them::

        basic/                                  <- data_root
          EmoLabel/list_patition_label.txt      (sic) "train_00001.jpg 5"
          Image/aligned/train_00001_aligned.jpg ... test_3068_aligned.jpg
          Image/original/train_00001.jpg        ... test_3068.jpg

    Labels 1..7 in the file are Surprise, Fear, Disgust, Happiness, Sadness,
    Anger, Neutral and become ``gt_label`` 0..6. The split is the image-name
    prefix. The official release has 12,271 train and 3,068 test images.

    Args:
        data_root (str): the ``basic`` folder.
        split (str): ``'train'`` or ``'test'``.
        ann_file (str): label file, relative to ``data_root``.
        img_dir (str): image folder relative to ``data_root``;
            ``'Image/original'`` for the original images.
        img_suffix (str): inserted before the extension of each listed name
            (``'_aligned'``; ``''`` for the original images).
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
                 **kwargs):
        if split not in SPLIT_PREFIXES:
            raise ValueError(f'split must be one of {sorted(SPLIT_PREFIXES)}'
                             f', got {split!r}.')
        self.split = split
        self.img_suffix = img_suffix
        super().__init__(
            ann_file=ann_file,
            data_root=data_root,
            data_prefix=dict(img_path=img_dir),
            **kwargs)

    def load_data_list(self) -> List[dict]:
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
        missing = [d['img_path'] for d in data_list
                   if not osp.isfile(d['img_path'])]
        if missing:
            raise FileNotFoundError(
                f'{len(missing)} of {len(data_list)} {self.split} images '
                f'listed in {self.ann_file} are missing, e.g. {missing[:3]}.')
        return data_list

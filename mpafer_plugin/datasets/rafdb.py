"""RAF-DB (basic emotions) in its official layout or a mirror's folders."""
import os.path as osp
from typing import List, Tuple

from mmpretrain.registry import DATASETS

from .fer_dataset import FERDataset
from .image_files import is_image_name
from .utils import list_files, list_names, read_lines

SPLIT_PREFIXES = {'train': 'train_', 'test': 'test_'}
# Class folder names of mirror copies (lower case) -> gt_label, in the
# official order; never the alphabetical order ImageFolder would use.
FOLDER_LABELS = {
    **{
        str(number): number - 1
        for number in range(1, 8)
    },
    'surprise': 0,
    'surprised': 0,
    'fear': 1,
    'fearful': 1,
    'disgust': 2,
    'disgusted': 2,
    'happiness': 3,
    'happy': 3,
    'sadness': 4,
    'sad': 4,
    'anger': 5,
    'angry': 5,
    'neutral': 6,
}


@DATASETS.register_module()
class RAFDB(FERDataset):
    """RAF-DB basic, as the owners distribute it (``layout='official'``)::

        basic/                                  <- data_root
          EmoLabel/list_patition_label.txt      (sic) "train_00001.jpg 5"
          Image/aligned/train_00001_aligned.jpg ... test_3068_aligned.jpg
          Image/original/train_00001.jpg        ... test_3068.jpg

    Labels 1..7 in the file are Surprise, Fear, Disgust, Happiness, Sadness,
    Anger, Neutral and become ``gt_label`` 0..6. The split is the image-name
    prefix. The official release has 12,271 train and 3,068 test images.

    ``layout='folder'`` reads a mirror copy's class folders::

        <data_root>/{train,test}/<class>/<image>

    where ``<class>`` is the label number ``1``..``7`` or an emotion name
    (any case; also surprised, fearful, disgusted, happy, sad, angry),
    mapped to the official order above; images are the files, in the class
    folder or any subfolder of it (not in hidden ones), with an
    extension of :data:`~mpafer_plugin.datasets.image_files.IMG_EXTENSIONS`
    (macOS ``._*`` files and other dot files are not images).
    ``layout='auto'`` takes the official layout if its label file exists,
    else the folder layout if ``<data_root>/<split>`` exists.

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
        **kwargs: other :class:`FERDataset` arguments (``backend_args``,
            ``pipeline``, ``test_mode``, ``indices``…).

    Layouts, duplicate lines and image files are checked by
    :class:`FERDataset`.
    """

    NAME = 'RAF-DB'
    SPLITS = tuple(SPLIT_PREFIXES)
    LAYOUTS = ('official', 'folder')
    METAINFO = dict(
        classes=('Surprise', 'Fear', 'Disgust', 'Happiness', 'Sadness',
                 'Anger', 'Neutral'))

    def __init__(self,
                 data_root: str,
                 split: str = 'train',
                 ann_file: str = 'EmoLabel/list_patition_label.txt',
                 img_dir: str = 'Image/aligned',
                 img_suffix: str = '_aligned',
                 layout: str = 'auto',
                 **kwargs):
        self.img_suffix = img_suffix
        super().__init__(
            data_root=data_root,
            split=split,
            layout=layout,
            ann_file=ann_file,
            data_prefix=dict(img_path=img_dir),
            **kwargs)

    def layout_candidates(self) -> List[Tuple[str, str, str]]:
        return [('official', self.ann_file, 'file'),
                ('folder', self._split_dir(), 'folder')]

    def read_layout(self, layout: str) -> Tuple[List[dict], str]:
        if layout == 'official':
            return self._read_label_file(), self.ann_file
        return self._read_class_folders(), self._split_dir()

    def _split_dir(self) -> str:
        return self.file_backend.join_path(self.data_root, self.split)

    def _read_class_folders(self) -> List[dict]:
        """List ``<data_root>/<split>/<class>/`` images, class by class."""
        backend, split_dir = self.file_backend, self._split_dir()
        if not backend.isdir(split_dir):
            raise FileNotFoundError(f'RAF-DB folder {split_dir} does not '
                                    f'exist.')
        folders = {}  # gt_label -> folder
        for name in list_names(backend, split_dir):
            folder = backend.join_path(split_dir, name)
            if name.startswith('.') or not backend.isdir(folder):
                continue
            label = FOLDER_LABELS.get(name.lower())
            if label is None:
                raise ValueError(
                    f'{folder}: class folder {name!r} is '
                    f'neither a label 1..7 nor one of the emotion names '
                    f'{sorted(k for k in FOLDER_LABELS if not k.isdigit())}.')
            if label in folders:
                raise ValueError(
                    f'{split_dir}: class folders '
                    f'{folders[label].rsplit("/", 1)[-1]!r} and {name!r} '
                    f'both stand for {self.METAINFO["classes"][label]}.')
            folders[label] = folder
        rows = []
        for label, folder in sorted(folders.items()):
            for name in list_files(backend, folder):
                if is_image_name(name):
                    path = backend.join_path(folder, name)
                    rows.append(
                        dict(
                            img_path=path,
                            gt_label=label,
                            _id=path,
                            _where=None))
        return rows

    def _read_label_file(self) -> List[dict]:
        """Parse the label file: one ``<name> <label>`` per line, both
        splits."""
        num_classes = len(self.METAINFO['classes'])
        img_dir = self.data_prefix['img_path']
        splits = {prefix: split for split, prefix in SPLIT_PREFIXES.items()}
        rows = []
        for lineno, fields in read_lines(self.file_backend, self.ann_file):
            where = f'{self.ann_file}:{lineno}'
            if len(fields) != 2:
                raise ValueError(f'{where}: expected "<image name> '
                                 f'<label>", got {" ".join(fields)!r}.')
            name, label = fields
            if not (label.isdigit() and 1 <= int(label) <= num_classes):
                raise ValueError(f'{where}: label {label!r} is not an '
                                 f'integer in 1..{num_classes}.')
            split = next((split for prefix, split in splits.items()
                          if name.startswith(prefix)), None)
            if split is None:
                raise ValueError(f'{where}: image name {name!r} starts '
                                 f'with neither "train_" nor "test_".')
            stem, ext = osp.splitext(name)
            rows.append(
                dict(
                    img_path=self.file_backend.join_path(
                        img_dir, stem + self.img_suffix + ext),
                    gt_label=int(label) - 1,
                    _id=name,
                    _where=where,
                    _split=split))
        return rows

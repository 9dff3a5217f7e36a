import os

import numpy as np
import pytest
from mmpretrain.registry import DATASETS
from PIL import Image

from mpafer_plugin.datasets import RAFDB

LABELS = ('train_00001.jpg 5\r\n'
          '  train_00002.jpg\t1  \n'
          '\n'
          'test_0001.jpg 7\n'
          'train_00003.jpg 7\n'
          'test_0002.jpg 4\n')


def write_tree(root, label_text=LABELS, skip=()):
    os.makedirs(root / 'EmoLabel', exist_ok=True)
    (root / 'EmoLabel' / 'list_patition_label.txt').write_bytes(
        label_text.encode())
    for variant, suffix in (('aligned', '_aligned'), ('original', '')):
        folder = root / 'Image' / variant
        folder.mkdir(parents=True, exist_ok=True)
        for line in label_text.split('\n'):
            if line.split() and line.split()[0] not in skip:
                stem = line.split()[0][:-4]
                Image.new('RGB', (10, 12),
                          (1, 2, 3)).save(folder / f'{stem}{suffix}.jpg')
    return str(root)


def test_splits_labels_and_paths(tmp_path):
    root = write_tree(tmp_path)
    train = RAFDB(root, split='train')
    assert [d['gt_label'] for d in train.load_data_list()] == [4, 0, 6]
    assert train.get_data_info(0)['img_path'] == os.path.join(
        root, 'Image/aligned', 'train_00001_aligned.jpg')
    test = RAFDB(root, split='test')
    assert list(test.get_gt_labels()) == [6, 3]
    assert test.CLASSES[0] == 'Surprise' and test.CLASSES[6] == 'Neutral'


def test_original_images(tmp_path):
    root = write_tree(tmp_path)
    ds = RAFDB(root, split='test', img_dir='Image/original', img_suffix='')
    assert ds.get_data_info(1)['img_path'].endswith(
        os.path.join('Image', 'original', 'test_0002.jpg'))


@pytest.mark.parametrize('line, message', [
    ('train_00004.jpg', r'list_patition_label.txt:7: expected'),
    ('train_00004.jpg 3 1', r'list_patition_label.txt:7: expected'),
    ('train_00004.jpg 0', r':7: label \'0\' is not an integer in 1..7'),
    ('train_00004.jpg 8', r':7: label \'8\''),
    ('train_00004.jpg x', r':7: label \'x\''),
    ('val_00004.jpg 2', r':7: image name \'val_00004.jpg\''),
])
def test_malformed_lines_name_file_and_line(tmp_path, line, message):
    root = write_tree(tmp_path, LABELS + line + '\n')
    with pytest.raises(ValueError, match=message):
        RAFDB(root, split='train')


def test_missing_images_are_listed(tmp_path):
    root = write_tree(tmp_path, skip=('train_00002.jpg', ))
    with pytest.raises(
            FileNotFoundError,
            match=r'1 of 3 train images .*train_00002_aligned'):
        RAFDB(root, split='train')
    assert len(RAFDB(root, split='test')) == 2  # the other split is fine


def test_missing_label_file_and_empty_split(tmp_path):
    with pytest.raises(FileNotFoundError, match='list_patition_label.txt'):
        RAFDB(str(tmp_path), split='train')
    root = write_tree(tmp_path, 'train_00001.jpg 1\n')
    with pytest.raises(
            ValueError, match=r"list_patition_label.txt: no test images"):
        RAFDB(root, split='test')
    with pytest.raises(ValueError, match='split must be one of'):
        RAFDB(root, split='val')


def test_build_from_config_and_load_item(tmp_path):
    root = write_tree(tmp_path)
    ds = DATASETS.build(
        dict(
            type='RAFDB',
            data_root=root,
            split='train',
            pipeline=[dict(type='LoadImageFromFile'),
                      dict(type='PackInputs')]))
    item = ds[2]
    assert tuple(item['inputs'].shape) == (3, 12, 10)
    assert item['data_samples'].gt_label.item() == 6


def test_synthetic_tree_is_read_with_expected_counts(synthetic_rafdb):
    train = RAFDB(synthetic_rafdb, split='train')
    test = RAFDB(synthetic_rafdb, split='test')
    assert np.bincount(train.get_gt_labels()).tolist() == [12] * 7
    assert np.bincount(test.get_gt_labels()).tolist() == [4] * 7

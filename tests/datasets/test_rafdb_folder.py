import os
import os.path as osp

import pytest

from mpafer_plugin.datasets import RAFDB
from .fixtures import RAFDB_NAMED, write_rafdb_folders
from .test_rafdb import write_tree


def paths_and_labels(ds):
    return [(osp.relpath(ds.get_data_info(i)['img_path'],
                         ds.data_root), ds.get_data_info(i)['gt_label'])
            for i in range(len(ds))]


@pytest.mark.parametrize('layout', ['auto', 'folder'])
def test_numeric_class_folders(tmp_path, layout):
    root = write_rafdb_folders(tmp_path)
    train = RAFDB(root, split='train', layout=layout)
    assert paths_and_labels(train) == [
        (osp.join('train', '1', '0000.jpg'), 0),
        (osp.join('train', '1', '0001.png'), 0),
        (osp.join('train', '4', '0000.jpg'), 3),
        (osp.join('train', '4', '0001.png'), 3),
        (osp.join('train', '4', '0002.jpg'), 3),
        (osp.join('train', '7', '0000.jpg'), 6),
    ]
    test = RAFDB(root, split='test', layout=layout)
    assert list(test.get_gt_labels()) == [1, 5, 5]


def test_named_class_folders_use_the_official_order(tmp_path):
    root = write_rafdb_folders(tmp_path, RAFDB_NAMED)
    train = RAFDB(root, split='train')
    # Surprise 0, Fearful 1, happy 3, angry 5, NEUTRAL 6 (not alphabetical).
    assert list(train.get_gt_labels()) == [0, 1, 3, 3, 5, 6]
    assert train.get_data_info(1)['img_path'] == osp.join(
        root, 'train', 'Fearful', '0000.jpg')
    assert list(RAFDB(root, split='test').get_gt_labels()) == [2, 4, 4]
    assert train.CLASSES[3] == 'Happiness'


def test_every_synonym_maps(tmp_path):
    names = [
        'surprised', 'fear', 'Disgust', 'happiness', 'sad', 'anger', 'Neutral'
    ]
    root = write_rafdb_folders(tmp_path, {'train': dict.fromkeys(names, 1)})
    assert list(RAFDB(root).get_gt_labels()) == list(range(7))


def test_bad_class_folders(tmp_path):
    root = write_rafdb_folders(tmp_path,
                               {'train': {
                                   'happy': 1,
                                   'contempt': 1
                               }})
    with pytest.raises(
            ValueError,
            match=r"train.contempt: class folder "
            r"'contempt' is neither a label 1..7"):
        RAFDB(root)
    os.rename(
        osp.join(root, 'train', 'contempt'), osp.join(root, 'train', '0'))
    with pytest.raises(ValueError, match=r"class folder '0'"):
        RAFDB(root)
    os.rename(osp.join(root, 'train', '0'), osp.join(root, 'train', '4'))
    with pytest.raises(
            ValueError,
            match=r"class folders '4' and 'happy' "
            r"both stand for Happiness"):
        RAFDB(root)


def test_empty_split_is_an_error(tmp_path):
    root = write_rafdb_folders(tmp_path, {
        'train': {
            '1': 1
        },
        'test': {
            '1': 0,
            'happy': 0
        }
    })
    assert len(RAFDB(root, split='train')) == 1
    with pytest.raises(ValueError, match=r'test: no test images\.'):
        RAFDB(root, split='test')


def test_layout_detection(tmp_path):
    with pytest.raises(
            FileNotFoundError,
            match=r'No RAF-DB train split '
            r'found: looked for the file .*list_patition_label.txt '
            r'\(official layout\) and the folder .*train '
            r'\(folder layout\)'):
        RAFDB(str(tmp_path))
    root = write_rafdb_folders(tmp_path, {'train': {'1': 1}})
    with pytest.raises(
            FileNotFoundError, match=r'the folder .*test '
            r'\(folder layout\)'):
        RAFDB(root, split='test')
    with pytest.raises(
            FileNotFoundError, match=r'RAF-DB folder .*test does '
            r'not exist'):
        RAFDB(root, split='test', layout='folder')
    os.makedirs(osp.join(root, 'test', '2'))
    with pytest.raises(ValueError, match=r'test: no test images'):
        RAFDB(root, split='test')
    write_tree(tmp_path)  # the official layout wins when both exist
    assert list(RAFDB(root, split='train').get_gt_labels()) == [4, 0, 6]
    assert list(RAFDB(root, layout='folder').get_gt_labels()) == [0]
    with pytest.raises(ValueError, match='layout must be one of'):
        RAFDB(root, layout='imagefolder')


def test_official_layout_can_be_forced(tmp_path):
    root = write_rafdb_folders(tmp_path)
    with pytest.raises(FileNotFoundError, match='list_patition_label.txt'):
        RAFDB(root, layout='official')


def test_folder_layout_pipeline(tmp_path):
    root = write_rafdb_folders(tmp_path)
    ds = RAFDB(
        root,
        split='test',
        pipeline=[dict(type='LoadImageFromFile'),
                  dict(type='PackInputs')])
    item = ds[2]
    assert tuple(item['inputs'].shape) == (3, 8, 8)
    assert item['data_samples'].gt_label.item() == 5

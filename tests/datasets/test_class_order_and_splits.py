"""Class lists that reorder or repeat classes, nested class folders,
duplicate entries under other spellings and images shared by two splits:
every reader (issue 21 items 6 and 8)."""
import os
import os.path as osp
import shutil

import pytest
from PIL import Image

from mpafer_plugin.datasets import RAFDB, AffectNet, FERPlus
from .fixtures import (replace_line, write_affectnet_csv, write_affectnet_npy,
                       write_ferplus_folders, write_rafdb_folders)
from .test_rafdb import write_tree

RAFDB_CLASSES = RAFDB.METAINFO['classes']


def names_of(ds):
    return [ds.CLASSES[label] for label in ds.get_gt_labels()]


# ------------------------------------------------------------- class order
@pytest.mark.parametrize('layout', ['official', 'folder'])
def test_classes_in_another_order_remap_the_labels(tmp_path, layout):
    root = write_tree(tmp_path) if layout == 'official' else \
        write_rafdb_folders(tmp_path)
    own = RAFDB(root, split='train')
    order = RAFDB_CLASSES[::-1]
    swapped = RAFDB(root, split='train', metainfo=dict(classes=order))
    assert swapped.CLASSES == order
    # each image keeps its class, whatever the order of the list
    assert names_of(swapped) == names_of(own)
    assert list(swapped.get_gt_labels()) != list(own.get_gt_labels())


@pytest.mark.parametrize('classes, message', [
    (RAFDB_CLASSES[:6] + ('Anger', ),
     r"metainfo.classes=.*the class\(es\) \['anger'\] are listed more "
     'than once'),
    (RAFDB_CLASSES[:6] + ('Contempt', ), 'List exactly these'),
    (RAFDB_CLASSES[:6], 'List exactly these'),
])
def test_classes_that_repeat_or_differ_are_refused(tmp_path, classes, message):
    root = write_tree(tmp_path)
    with pytest.raises(ValueError, match=message):
        RAFDB(root, split='train', metainfo=dict(classes=classes))


def test_ferplus_and_affectnet_remap_too(tmp_path):
    root = write_ferplus_folders(tmp_path / 'ferplus')
    own = FERPlus(root, split='train')
    order = FERPlus.METAINFO['classes'][::-1]
    assert names_of(
        FERPlus(root, split='train',
                metainfo=dict(classes=order))) == names_of(own)
    root = write_affectnet_npy(tmp_path / 'npy')
    with pytest.raises(ValueError, match='listed more than once'):
        AffectNet(root, classes=['Neutral'] * 7)


# ------------------------------------------------------------ nested images
def test_images_in_subfolders_of_a_class_folder_are_read(tmp_path):
    root = write_rafdb_folders(tmp_path)
    nested = osp.join(root, 'train', '4', 'session_2', 'deeper')
    os.makedirs(nested)
    for i in range(3):
        Image.new('RGB', (8, 8)).save(osp.join(nested, f'{i}.jpg'))
    os.makedirs(osp.join(root, 'train', '4', '.thumbnails'))
    Image.new('RGB', (8, 8)).save(
        osp.join(root, 'train', '4', '.thumbnails', 'x.jpg'))
    train = RAFDB(root, split='train')
    assert len(train) == 6 + 3  # before: 6, the nested 3 dropped
    assert names_of(train).count('Happiness') == 6


# --------------------------------------------------- one image, two names
@pytest.mark.parametrize('spelling', ['./{}', '{}//', '{}'])
def test_affectnet_names_are_normalised_before_the_duplicate_check(
        tmp_path, spelling):
    root = write_affectnet_csv(tmp_path)
    train_csv = osp.join(root, 'Manually_Annotated_file_lists', 'training.csv')
    with open(train_csv) as f:
        lines = f.read().splitlines()
    name = lines[1].split(',')[0]
    twin = name.replace('/', '//') if spelling == '{}//' else \
        spelling.format(name)
    other = lines[2].split(',')
    other[0] = twin
    replace_line(train_csv, 3, ','.join(other))
    with pytest.raises(
            ValueError,
            match=rf"image '{twin}' is listed twice, at .*training.csv:2 "
            r'\(label 0 Neutral\) and at .*training.csv:3 \(label 1 '
            r'Happiness\)'):
        AffectNet(root, split='train')


def test_affectnet_refuses_images_in_both_csv_files(tmp_path):
    root = write_affectnet_csv(tmp_path)
    lists = osp.join(root, 'Manually_Annotated_file_lists')
    with open(osp.join(lists, 'training.csv')) as f:
        shared = f.read().splitlines()[2]
    with open(osp.join(lists, 'validation.csv'), 'a') as f:
        f.write(shared + '\n')
    for split in ('train', 'val'):
        with pytest.raises(
                ValueError,
                match=r'is listed twice, at .*(training|validation).csv:'
                r'(3|10) .* and at .*, in the (train and the val|val and the '
                r'train) split'):
            AffectNet(root, split=split)


def test_the_same_file_in_two_split_folders_is_refused(tmp_path):
    """Folder layouts: two entries that resolve to one file (a link farm)
    are one image, also across splits (RAF-DB folders, AffectNet npy)."""
    root = write_rafdb_folders(tmp_path / 'raf')
    os.symlink(
        osp.join(root, 'train', '1', '0000.jpg'),
        osp.join(root, 'test', '2', 'copy.jpg'))
    with pytest.raises(
            ValueError, match='listed twice.*in the test and '
            'the train split'):
        RAFDB(root, split='test')
    root = write_affectnet_npy(tmp_path / 'npy')
    val_image = osp.join(root, 'val_set', 'images', '0.jpg')
    os.remove(val_image)
    os.symlink(osp.join(root, 'train_set', 'images', '3.jpg'), val_image)
    with pytest.raises(ValueError, match='listed twice'):
        AffectNet(root, split='train')
    # the npy release numbers each split from 0: same ids are no duplicate
    shutil.rmtree(osp.join(root, 'val_set'))
    write_affectnet_npy(tmp_path / 'npy2')
    assert len(AffectNet(str(tmp_path / 'npy2'), split='val')) > 0


def test_ferplus_folders_refuse_an_image_in_two_splits(tmp_path):
    root = write_ferplus_folders(tmp_path)
    with open(osp.join(root, 'FER2013Test', 'label.csv'), 'a') as f:
        f.write('fer0000004.png,"(0, 0, 48, 48)",0,0,0,0,0,9,1,0,0,0\n')
    with pytest.raises(
            ValueError,
            match=r"'fer0000004.png' is listed twice.*FER2013Valid.*"
            'FER2013Test'):
        FERPlus(root, split='val')

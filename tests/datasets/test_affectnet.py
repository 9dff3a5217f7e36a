import os
import os.path as osp

import numpy as np
import pytest
from mmpretrain.registry import DATASETS

from mpafer_plugin.datasets import AffectNet, CropFaceBox
from .fixtures import (AFFECTNET_COLUMNS, AFFECTNET_TRAIN, AFFECTNET_VAL,
                       affectnet_box, affectnet_name, affectnet_row,
                       captured_log, replace_line, write_affectnet_csv,
                       write_affectnet_npy)

CLASSES_8 = ('Neutral', 'Happiness', 'Sadness', 'Surprise', 'Fear', 'Disgust',
             'Anger', 'Contempt')
TRAIN_CSV = 'Manually_Annotated_file_lists/training.csv'
VAL_CSV = 'Manually_Annotated_file_lists/validation.csv'


@pytest.fixture
def csv_root(tmp_path):
    return write_affectnet_csv(tmp_path)


def kept(expressions, num_classes):
    return [e for e in expressions if e < num_classes]


@pytest.mark.parametrize('num_classes', [7, 8])
def test_csv_protocols_labels_and_classes(csv_root, num_classes):
    for split, expressions in (('train', AFFECTNET_TRAIN), ('val',
                                                            AFFECTNET_VAL)):
        ds = AffectNet(csv_root, split=split, num_classes=num_classes)
        assert list(ds.get_gt_labels()) == kept(expressions, num_classes)
        assert ds.metainfo['classes'] == CLASSES_8[:num_classes]
        assert ds.CLASSES == CLASSES_8[:num_classes]
    assert len(AffectNet(csv_root, 'train',
                         num_classes)) == (8 if num_classes == 7 else 10)
    assert ds.get_data_info(0)['img_path'] == osp.join(
        csv_root, 'Manually_Annotated_Images', affectnet_name('val', 0))
    assert 'face_bbox' not in ds.get_data_info(0)


def test_class_override_and_config_build(csv_root):
    # the label file's order is the reader's: other names are refused
    # (they could only be matched by position), the same names reorder
    with pytest.raises(ValueError, match='List exactly these'):
        AffectNet(csv_root, num_classes=7, classes=list('abcdefg'))
    order = ('Anger', 'Neutral', 'Happiness', 'Sadness', 'Surprise', 'Fear',
             'Disgust')
    ds = AffectNet(csv_root, num_classes=7, classes=list(order))
    assert ds.CLASSES == order
    own = AffectNet(csv_root, num_classes=7)
    assert [order[label] for label in ds.get_gt_labels()] == \
        [own.CLASSES[label] for label in own.get_gt_labels()]
    ds = DATASETS.build(
        dict(type='AffectNet', data_root=csv_root, split='val', num_classes=8))
    assert len(ds) == 8 and ds.CLASSES[-1] == 'Contempt'


def test_dropped_rows_are_logged(csv_root):
    with captured_log() as log:
        AffectNet(csv_root, split='train', num_classes=7)
    text = log.getvalue()
    assert 'kept 8 of 13 rows, dropped 5 by the protocol' in text
    assert '7 Contempt: 2, 8 None: 1, 9 Uncertain: 1, 10 Non-Face: 1' in text


def test_header_is_detected_either_way(csv_root):
    train_csv = osp.join(csv_root, TRAIN_CSV)
    replace_line(train_csv, 1, None)  # now header-less
    assert list(AffectNet(csv_root, 'train',
                          8).get_gt_labels()) == kept(AFFECTNET_TRAIN, 8)
    val_csv = osp.join(csv_root, VAL_CSV)
    with open(val_csv) as f:
        lines = f.read()
    with open(val_csv, 'w') as f:
        f.write(AFFECTNET_COLUMNS + '\n' + lines)
    assert list(AffectNet(csv_root, 'val',
                          8).get_gt_labels()) == kept(AFFECTNET_VAL, 8)


def test_custom_ann_file_and_img_dir(csv_root, tmp_path):
    ds = AffectNet(
        csv_root,
        split='train',
        ann_file=VAL_CSV,
        img_dir=osp.join(csv_root, 'Manually_Annotated_Images'))
    assert list(ds.get_gt_labels()) == kept(AFFECTNET_VAL, 7)


@pytest.mark.parametrize('edit, message', [
    (lambda row: row.replace(',3,0.25,', ',x,0.25,'),
     r"training.csv:6: expression 'x' is not an integer in 0..10"),
    (lambda row: row.replace(',3,0.25,', ',11,0.25,'),
     r"training.csv:6: expression '11'"),
    (lambda row: row.replace(',3,0.25,', ',3.0,0.25,'),
     r"training.csv:6: expression '3.0'"),
    (lambda row: row + ',extra', r'training.csv:6: expected 9 columns'),
    (lambda row: row.split(',', 1)[0], r'training.csv:6: expected 9 columns'),
])
def test_malformed_rows_name_file_and_line(csv_root, edit, message):
    row = affectnet_row('train', 4, AFFECTNET_TRAIN[4])  # line 6
    replace_line(osp.join(csv_root, TRAIN_CSV), 6, edit(row))
    with pytest.raises(ValueError, match=message):
        AffectNet(csv_root, split='train')


def test_bad_face_box_names_line(csv_root):
    row = affectnet_row('train', 0, 0).replace(',1,2,8,6,', ',1,2,0,6,')
    replace_line(osp.join(csv_root, TRAIN_CSV), 2, row)
    AffectNet(csv_root, split='train')  # boxes are only read for crops
    with pytest.raises(
            ValueError, match=r'training.csv:2: face box .* no '
            r'area'):
        AffectNet(csv_root, split='train', crop_face=True)


def test_missing_images(tmp_path):
    contempt = affectnet_name('val', 7)
    root = write_affectnet_csv(
        tmp_path, skip_images=(contempt, affectnet_name('val', 1)))
    with pytest.raises(
            FileNotFoundError, match=r'1 of 7 val images .*'
            r'val_001.jpg'):
        AffectNet(root, split='val', num_classes=7)
    with pytest.raises(FileNotFoundError, match=r'2 of 8 val images'):
        AffectNet(root, split='val', num_classes=8)


def test_empty_split_is_an_error(tmp_path):
    root = write_affectnet_csv(tmp_path, val=(7, 8, 9, 10))  # none in 0..6
    with pytest.raises(
            ValueError,
            match=r'validation.csv: no val images '
            r'with an expression id in 0..6'):
        AffectNet(root, split='val', num_classes=7)
    assert len(AffectNet(root, split='val', num_classes=8)) == 1


def test_face_boxes_and_crop_pipeline(csv_root):
    ds = AffectNet(
        csv_root,
        split='train',
        crop_face=True,
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='CropFaceBox'),
            dict(type='PackInputs')
        ])
    for i in range(3):
        x, y, w, h = affectnet_box(i)
        assert ds.get_data_info(i)['face_bbox'] == (x, y, x + w, y + h)
        inputs = ds[i]['inputs']
        assert tuple(inputs.shape) == (3, h, w)
        assert inputs.float().mean() > 200  # only the bright face is left


def test_crop_face_box_clips_and_passes_through():
    img = np.arange(12 * 16 * 3, dtype=np.uint8).reshape(12, 16, 3)
    out = CropFaceBox()(dict(img=img.copy(), face_bbox=(-3, 10, 5, 40)))
    assert out['img'].shape == (2, 5, 3) and out['img_shape'] == (2, 5)
    np.testing.assert_array_equal(out['img'], img[10:12, 0:5])
    assert CropFaceBox()(dict(img=img))['img'] is img
    with pytest.raises(ValueError, match=r'outside the 16x12 image a.jpg'):
        CropFaceBox()(
            dict(img=img, face_bbox=(20, 0, 30, 5), img_path='a.jpg'))


def test_npy_layout(tmp_path):
    train = AFFECTNET_TRAIN[::-1]  # ids 0..2 are dropped, 10..12 kept
    root = write_affectnet_npy(tmp_path, train=train)
    for split, expressions, num_classes in (('train', train, 7),
                                            ('val', AFFECTNET_VAL, 8)):
        ds = AffectNet(root, split, num_classes)  # layout='auto'
        assert list(ds.get_gt_labels()) == kept(expressions, num_classes)
    ds = AffectNet(root, 'train', 8, layout='npy')
    assert ds.CLASSES == CLASSES_8
    assert [
        osp.basename(ds.get_data_info(i)['img_path']) for i in range(len(ds))
    ] == [f'{i}.jpg' for i in range(3, 13)]
    assert ds.get_data_info(0)['img_path'] == osp.join(root, 'train_set',
                                                       'images', '3.jpg')
    with pytest.raises(ValueError, match='crop_face needs the csv layout'):
        AffectNet(root, crop_face=True)


def test_npy_layout_errors(tmp_path):
    root = write_affectnet_npy(tmp_path)
    bad = osp.join(root, 'val_set', 'annotations', '3_exp.npy')
    np.save(bad, np.array('happy'))
    with pytest.raises(ValueError, match=r'3_exp.npy: expression'):
        AffectNet(root, split='val')
    np.save(bad, np.int64(3))  # integer arrays are fine too
    os.remove(osp.join(root, 'val_set', 'images', '3.jpg'))
    with pytest.raises(FileNotFoundError, match=r'1 of 7 val images .*3.jpg'):
        AffectNet(root, split='val')


def test_layout_detection_and_bad_arguments(tmp_path):
    with pytest.raises(
            FileNotFoundError,
            match=r'training.csv \(csv layout\) .*train_set'):
        AffectNet(str(tmp_path))
    with pytest.raises(FileNotFoundError, match='training.csv'):
        AffectNet(str(tmp_path), layout='csv')
    with pytest.raises(FileNotFoundError, match='annotations'):
        AffectNet(str(tmp_path), layout='npy')
    for kwargs, message in ((dict(split='test'), 'split must be'),
                            (dict(num_classes=6), 'num_classes must be'),
                            (dict(layout='folder'), 'layout must be')):
        with pytest.raises(ValueError, match=message):
            AffectNet(str(tmp_path), **kwargs)

import os
import os.path as osp

import numpy as np
import pytest
from mmpretrain.registry import DATASETS
from PIL import Image

from mpafer_plugin.datasets import FERPlus, LoadFERImage, vote_label
from .fixtures import (FERPLUS_ROWS, captured_log, ferplus_pixels,
                       replace_line, write_ferplus_csv, write_ferplus_folders)

CLASSES = ('Neutral', 'Happiness', 'Surprise', 'Sadness', 'Anger', 'Disgust',
           'Fear', 'Contempt')
# FERPLUS_ROWS' PrivateTest rows, by hand: (fer2013.csv row, label) in
# dataset order. Row 11 has no name.
TEST_SPLIT = {
    'majority': [(4, 0), (5, 1), (9, 0), (12, 4), (13, 6), (14, 5)],
    'argmax': [(4, 0), (5, 1), (6, 0), (9, 0), (10, 2), (12, 4), (13, 6),
               (14, 5)],
    'argmax8': [(4, 0), (5, 1), (6, 0), (7, 0), (9, 0), (10, 2), (12, 4),
                (13, 6), (14, 5)],
}


@pytest.mark.parametrize(
    'votes, majority, argmax, argmax8',
    [
        ((10, 0, 0, 0, 0, 0, 0, 0, 0, 0), 0, 0, 0),
        ((0, 6, 0, 0, 0, 0, 0, 0, 4, 0), 1, 1, 1),  # 6 > 10 / 2
        ((0, 5, 0, 0, 0, 0, 0, 0, 5, 0), None, 1, 1),  # 5 is not > 5: tie
        ((4, 4, 0, 0, 0, 0, 0, 0, 2, 0), None, 0, 0),  # first max wins
        ((2, 1, 0, 0, 0, 0, 0, 0, 7, 0), None, None, 0),  # unknown wins
        ((0, 0, 0, 0, 0, 0, 0, 0, 1, 9), None, None, None),  # NF, no emotion
        ((4, 2, 1, 1, 1, 1, 0, 0, 0, 0), 0, 0, 0),  # 4 > 6 / 2 once 1s are 0
        ((1, 1, 1, 1, 1, 1, 1, 3, 0, 0), 7, 7, 7),  # only contempt survives
        ((1, 1, 1, 1, 1, 1, 1, 1, 1, 1), None, 0, 0),  # all single votes
        ((0, 0, 0, 0, 0, 0, 0, 0, 0, 0), None, None, None),
        ((0, 0, 3, 0, 0, 0, 0, 0, 2, 2), None, 2, 2),  # 3 is not > 7 / 2
        ((0, 0, 3, 0, 0, 0, 0, 0, 2, 1), 2, 2, 2),  # 3 > 5 / 2
    ])
def test_vote_label_rules(votes, majority, argmax, argmax8):
    assert vote_label(votes, 'majority') == majority
    assert vote_label(votes) == majority
    assert vote_label(votes, 'argmax') == argmax
    assert vote_label(votes, 'argmax8') == argmax8
    with pytest.raises(ValueError, match='label_mode must be one of'):
        vote_label(votes, 'soft')


@pytest.fixture
def csv_root(tmp_path):
    return write_ferplus_csv(tmp_path)


@pytest.mark.parametrize('variant', ['fer2013', 'icml'])
@pytest.mark.parametrize('label_mode', sorted(TEST_SPLIT))
def test_csv_layout_test_split(tmp_path, variant, label_mode):
    root = write_ferplus_csv(tmp_path, variant=variant)
    ds = FERPlus(root, split='test', label_mode=label_mode)
    expected = TEST_SPLIT[label_mode]
    assert list(ds.get_gt_labels()) == [label for _, label in expected]
    for i, (row, _) in enumerate(expected):
        info = ds.get_data_info(i)
        assert info['img'].shape == (48, 48, 3)
        assert info['img'].dtype == np.uint8
        assert info['img_shape'] == info['ori_shape'] == (48, 48)
        assert 'img_path' not in info
        for channel in range(3):
            np.testing.assert_array_equal(info['img'][..., channel],
                                          ferplus_pixels(row))


def test_csv_layout_other_splits_and_metainfo(csv_root):
    train = FERPlus(csv_root)
    assert list(train.get_gt_labels()) == [2, 3]  # row 1 has no name
    np.testing.assert_array_equal(
        train.get_data_info(1)['img'][..., 0], ferplus_pixels(2))
    assert list(FERPlus(csv_root, split='val').get_gt_labels()) == [6]
    assert train.CLASSES == CLASSES == train.metainfo['classes']


def test_csv_layout_keeps_uint8_pixels_per_row(csv_root):
    ds = FERPlus(csv_root, split='test', serialize_data=False)
    assert all(d['img'].dtype == np.uint8 and d['img'].shape == (48, 48)
               for d in ds.data_list)


def test_split_sizes_are_logged(csv_root):
    with captured_log() as log:
        FERPlus(csv_root, split='test', label_mode='argmax')
    assert ("fer2013new.csv): 8 images under label_mode='argmax' (3 "
            "dropped by the label rule, 1 rows without a name).") in \
        log.getvalue()


def test_csv_pipeline_with_load_fer_image(csv_root):
    ds = DATASETS.build(
        dict(
            type='FERPlus',
            data_root=csv_root,
            split='test',
            pipeline=[
                dict(type='LoadFERImage'),
                dict(type='Resize', scale=(64, 64)),
                dict(type='PackInputs')
            ]))
    item = ds[1]
    assert tuple(item['inputs'].shape) == (3, 64, 64)
    assert item['data_samples'].gt_label.item() == 1
    assert item['data_samples'].ori_shape == (48, 48)


def test_load_fer_image_passes_arrays_and_makes_gray_3_channel(tmp_path):
    gray = ferplus_pixels(3)
    out = LoadFERImage()(dict(img=gray))
    assert out['img'].shape == (48, 48, 3) and out['img_shape'] == (48, 48)
    out = LoadFERImage(to_float32=True)(dict(img=gray))
    assert out['img'].dtype == np.float32
    path = str(tmp_path / 'a.png')
    Image.fromarray(gray).save(path)
    for color_type in ('color', 'grayscale'):
        out = LoadFERImage(color_type=color_type)(dict(img_path=path))
        assert out['img'].shape == (48, 48, 3)
        np.testing.assert_array_equal(out['img'][..., 2], gray)


def test_folder_layout(tmp_path):
    root = write_ferplus_folders(tmp_path)
    train = FERPlus(root, layout='folder')
    # fer0000001 is a tie.
    assert list(train.get_gt_labels()) == [7, 1, 7]
    assert train.get_data_info(0)['img_path'] == osp.join(
        root, 'FER2013Train', 'fer0000000.png')
    assert list(FERPlus(root,
                        label_mode='argmax8').get_gt_labels()) == [7, 0, 1, 7]
    assert list(FERPlus(root, 'val').get_gt_labels()) == [3]
    test = FERPlus(
        root,
        'test',
        pipeline=[dict(type='LoadFERImage'),
                  dict(type='PackInputs')])
    assert list(test.get_gt_labels()) == [5]
    assert tuple(test[0]['inputs'].shape) == (3, 48, 48)


def test_folder_layout_errors(tmp_path):
    root = write_ferplus_folders(tmp_path, skip_images=('fer0000003.png', ))
    with pytest.raises(
            FileNotFoundError,
            match=r'1 of 3 train images .*label.csv:4: '
            r'.*fer0000003.png \(missing\)'):
        FERPlus(root)
    label_csv = osp.join(root, 'FER2013Valid', 'label.csv')
    replace_line(label_csv, 1, 'fer0000004.png,"(0, 0, 48, 48)",0,0,0,6,4')
    with pytest.raises(ValueError, match=r'label.csv:1: expected 12 columns'):
        FERPlus(root, split='val')
    replace_line(label_csv, 1,
                 'fer0000004.png,"(0, 0, 48, 48)",0,0,0,6,4,0,0,0,0,x')
    with pytest.raises(ValueError, match=r'label.csv:1: expected 10 vote'):
        FERPlus(root, split='val')


@pytest.mark.parametrize('file, lineno, text, message', [
    ('fer2013.csv', 4, '0,1 2 3,Training',
     r'fer2013.csv:4: pixels are not 2304'),
    ('fer2013.csv', 4, '0,' + ' '.join(['7'] * 2303) + ' x,Training',
     r'fer2013.csv:4: pixels are not 2304'),
    ('fer2013.csv', 4, '0,' + ' '.join(['256'] * 2304) + ',Training',
     r'fer2013.csv:4: pixels are not 2304 space-separated integers in '
     r'0..255'),
    ('fer2013.csv', 3, '0,1 2,Training,extra',
     r'fer2013.csv:3: expected 3 columns'),
    ('fer2013.csv', 3, '0,1 2', r'fer2013.csv:3: expected 3 columns'),
    ('fer2013.csv', 3, '0,1 2,Validation',
     r"fer2013.csv:3: Usage 'Validation'"),
    ('fer2013new.csv', 3, 'Training,fer0000001.png,10,0,0,0,0,0,0,0,0',
     r'fer2013new.csv:3: expected 12 columns'),
    ('fer2013new.csv', 3, 'Training,fer0000001.png,10,0,0,0,0,0,0,0,0,a',
     r'fer2013new.csv:3: expected 10 vote counts'),
    ('fer2013new.csv', 3, 'Training,fer0000001.png,10,0,0,0,0,0,0,0,0,-1',
     r'fer2013new.csv:3: expected 10 vote counts'),
    ('fer2013new.csv', 1, 'Usage,Image,neutral',
     r'fer2013new.csv:1: expected the header'),
    ('fer2013.csv', 1, 'emotion,pixel,Usage',
     r'fer2013.csv: expected the columns emotion, pixels, Usage'),
    ('fer2013new.csv', 17, None,
     r'fer2013.csv has at least 16 image rows but .*fer2013new.csv has 15'),
    ('fer2013.csv', 17, None,
     r'fer2013.csv has 15 image rows but .*fer2013new.csv has 16'),
])
def test_malformed_csv_rows_name_file_and_line(csv_root, file, lineno, text,
                                               message):
    # Line 3 is row 1, a Training row without a name: its columns, Usage
    # and votes are checked although it is skipped. Line 4 is a row whose
    # pixels are decoded.
    replace_line(osp.join(csv_root, file), lineno, text)
    with pytest.raises(ValueError, match=message):
        FERPlus(csv_root, split='train')


def test_layout_detection_and_bad_arguments(tmp_path):
    root = str(tmp_path)
    with pytest.raises(
            FileNotFoundError,
            match=r'fer2013.csv \(csv layout\)'
            r' and the file .*icml_face_data.csv \(csv layout\) '
            r'and the folder .*FER2013Test \(folder layout\)'):
        FERPlus(root, split='test')
    with pytest.raises(FileNotFoundError, match='FER2013 image file'):
        FERPlus(root, layout='csv')
    with pytest.raises(FileNotFoundError, match=r'FER2013Valid.label.csv'):
        FERPlus(root, split='val', layout='folder')
    write_ferplus_csv(tmp_path)
    os.remove(osp.join(root, 'fer2013new.csv'))
    with pytest.raises(FileNotFoundError, match='fer2013new.csv'):
        FERPlus(root)
    for kwargs, message in ((dict(split='valid'), 'split must be'),
                            (dict(layout='npy'), 'layout must be'),
                            (dict(label_mode='soft'), 'label_mode must be')):
        with pytest.raises(ValueError, match=message):
            FERPlus(root, **kwargs)


def test_empty_split_is_an_error(tmp_path):
    rows = [r for r in FERPLUS_ROWS if r[0] != 'PublicTest']
    root = write_ferplus_csv(tmp_path, rows=rows)
    with pytest.raises(
            ValueError, match=r"no val images under "
            r"label_mode='majority'"):
        FERPlus(root, split='val')

"""Unreadable image files give an error naming the file, in any split."""
import numpy as np
import pytest
from mmpretrain.registry import DATASETS, TRANSFORMS
from PIL import Image

from ..test_rafdb import write_tree


def corrupt(folder):
    """Write one good JPEG and each kind of bad file into ``folder``."""
    rng = np.random.RandomState(0)
    Image.fromarray(rng.randint(0, 255, (48, 48, 3),
                                dtype=np.uint8)).save(folder / 'good.jpg')
    Image.fromarray(rng.randint(0, 255, (48, 48, 3),
                                dtype=np.uint8)).save(folder / 'good.png')
    good_jpg = (folder / 'good.jpg').read_bytes()
    (folder / 'truncated.jpg').write_bytes(good_jpg[:len(good_jpg) * 9 // 10])
    good_png = (folder / 'good.png').read_bytes()
    (folder / 'truncated.png').write_bytes(good_png[:len(good_png) // 2])
    (folder / 'garbage.jpg').write_bytes(b'<html>not found</html>')
    (folder / 'empty.jpg').write_bytes(b'')


@pytest.mark.parametrize('backend', ['cv2', 'pillow'])
@pytest.mark.parametrize(
    'name', ['truncated.jpg', 'truncated.png', 'garbage.jpg', 'empty.jpg'])
def test_undecodable_file_is_named(tmp_path, backend, name):
    corrupt(tmp_path)
    load = TRANSFORMS.build(
        dict(type='LoadFERImage', imdecode_backend=backend))
    assert load(dict(img_path=str(tmp_path / 'good.jpg')))['img'].shape == (48,
                                                                            48,
                                                                            3)
    path = tmp_path / name
    with pytest.raises(
            OSError, match=rf'Cannot decode image {path}: empty, truncated'):
        load(dict(img_path=str(path)))


def test_missing_file_is_named(tmp_path):
    load = TRANSFORMS.build(dict(type='LoadFERImage'))
    with pytest.raises(FileNotFoundError, match=str(tmp_path / 'gone.jpg')):
        load(dict(img_path=str(tmp_path / 'gone.jpg')))


@pytest.mark.parametrize('split', ['train', 'test'])
def test_dataset_item_with_a_truncated_image_names_it(tmp_path, split):
    root = write_tree(tmp_path)
    name = dict(train='train_00002', test='test_0002')[split]
    path = tmp_path / 'Image' / 'aligned' / f'{name}_aligned.jpg'
    path.write_bytes(path.read_bytes()[:200])
    dataset = DATASETS.build(
        dict(
            type='RAFDB',
            data_root=root,
            split=split,
            test_mode=split == 'test',
            pipeline=[dict(type='LoadFERImage'),
                      dict(type='PackInputs')]))
    assert dataset[0]['inputs'].shape[0] == 3
    with pytest.raises(OSError, match=f'Cannot decode image {path}'):
        dataset[1]  # what the data loader calls, in training or testing

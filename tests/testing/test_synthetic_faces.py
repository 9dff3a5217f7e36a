import numpy as np
import pytest
from PIL import Image, ImageFilter

from mpafer_plugin.datasets import RAFDB
from mpafer_plugin.testing import make_synthetic_rafdb, rafdb_split_counts


def read(root, split, size=24, edges=False):
    ds = RAFDB(str(root), split=split)
    rows = []
    for i in range(len(ds)):
        image = Image.open(ds.get_data_info(i)['img_path']).convert('L')
        if edges:
            image = image.filter(ImageFilter.FIND_EDGES)
        row = np.asarray(image.resize((size, size)), np.float32).ravel()
        rows.append((row - row.mean()) / (row.std() + 1e-6))
    return np.stack(rows), np.asarray(ds.get_gt_labels())


def test_deterministic_in_seed(tmp_path):
    make_synthetic_rafdb(str(tmp_path / 'a'), 2, 1, image_size=32, seed=3)
    make_synthetic_rafdb(str(tmp_path / 'b'), 2, 1, image_size=32, seed=3)
    make_synthetic_rafdb(str(tmp_path / 'c'), 2, 1, image_size=32, seed=4)
    label_file = 'EmoLabel/list_patition_label.txt'
    assert (tmp_path / 'a' /
            label_file).read_bytes() == (tmp_path / 'b' /
                                         label_file).read_bytes()
    a, _ = read(tmp_path / 'a', 'train')
    b, _ = read(tmp_path / 'b', 'train')
    c, _ = read(tmp_path / 'c', 'train')
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_per_class_counts_and_workers_give_the_same_tree(tmp_path):
    counts = [3, 1, 0, 2, 1, 1, 2]
    one = make_synthetic_rafdb(
        str(tmp_path / 'one'), counts, 1, image_size=16, seed=2)
    two = make_synthetic_rafdb(
        str(tmp_path / 'two'), counts, 1, image_size=16, seed=2, workers=2)
    assert one == two == {'train': counts, 'test': [1] * 7}
    files = sorted(
        p.relative_to(tmp_path / 'one') for p in (tmp_path / 'one').rglob('*')
        if p.is_file())
    assert len(files) == 1 + sum(counts) + 7
    for name in files:
        assert (tmp_path / 'one' /
                name).read_bytes() == (tmp_path / 'two' /
                                       name).read_bytes(), name
    assert np.bincount(
        RAFDB(str(tmp_path / 'two'), split='train').get_gt_labels(),
        minlength=7).tolist() == counts


def test_rafdb_split_counts():
    full = rafdb_split_counts()
    assert (sum(full['train']), sum(full['test'])) == (12271, 3068)
    assert full['test'][3] == 1185  # Happiness
    small = rafdb_split_counts(0.01)
    assert small['train'] == [13, 3, 7, 48, 20, 7, 25]
    assert small['test'] == [3, 1, 2, 12, 5, 2, 7]  # Fear: at least 1


@pytest.mark.parametrize('counts', [[1, 2], [1, 1, 1, 1, 1, 1, -1]])
def test_bad_class_counts_are_named(tmp_path, counts):
    with pytest.raises(ValueError, match=r'train_per_class=.*7 classes'):
        make_synthetic_rafdb(str(tmp_path), counts, 1)


def test_original_layout(tmp_path):
    summary = make_synthetic_rafdb(
        str(tmp_path), 1, 1, image_size=32, with_original=True)
    assert summary == {'train': [1] * 7, 'test': [1] * 7}
    ds = RAFDB(
        str(tmp_path), split='test', img_dir='Image/original', img_suffix='')
    assert len(ds) == 7


def test_classes_are_learnable_but_not_trivial(tmp_path):
    """1-nearest-neighbour on 16 px edge maps: the expression is visible
    (clearly above the 1/7 chance level), but jitter keeps a pixel-level
    classifier far from solving it (57 % when written)."""
    make_synthetic_rafdb(str(tmp_path), 30, 10, image_size=48, seed=1)
    train_x, train_y = read(tmp_path, 'train', size=16, edges=True)
    test_x, test_y = read(tmp_path, 'test', size=16, edges=True)
    dist = ((test_x[:, None] - train_x[None])**2).sum(-1)
    accuracy = (train_y[dist.argmin(1)] == test_y).mean()
    assert 0.25 < accuracy < 0.8


def test_face_style_shifts_the_drawing_not_the_expression():
    """A non-default FaceStyle draws other pixels from the same expression
    draws (its own draws come from a separate stream); the default style
    is the quick start's generator."""
    from mpafer_plugin.testing import FaceStyle
    from mpafer_plugin.testing.synthetic_faces import _draw_face

    def draw(style=None, index=3):
        return _draw_face(
            np.random.default_rng([0, index]), 2, 32, style,
            np.random.default_rng([0, index, 1 << 22]))

    default_face, default_shape, default_scene = draw()
    same_face, *_ = draw(FaceStyle())
    assert (default_scene['yaw'], default_scene['occluder'],
            default_scene['face_ratio']) == (0.0, None, 1.0)
    assert np.array_equal(np.asarray(default_face), np.asarray(same_face))
    for style in (FaceStyle(yaw=0.5), FaceStyle(occlusion=1.0),
                  FaceStyle(identities=10), FaceStyle(rendering='soft'),
                  FaceStyle(rendering='shaded')):
        face, shape, scene = draw(style)
        assert np.array_equal(shape, default_shape), style
        assert not np.array_equal(np.asarray(face),
                                  np.asarray(default_face)), style
        # what the picture shows besides the expression, for the captions
        assert (scene['occluder'] is not None) == (style.occlusion == 1)
        assert (scene['face_ratio'] != 1.0) == (style.identities > 0)
        assert scene['roll'] == default_scene['roll']
    # subtler expressions move the shape toward neutral
    _, subtle, _ = draw(FaceStyle(intensity=(0.0, 0.0), shape_noise=0.0))
    assert np.allclose(subtle, [0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="rendering='ink'"):
        FaceStyle(rendering='ink')
    with pytest.raises(ValueError, match='occlusion=2'):
        FaceStyle(occlusion=2)


def test_styled_dataset_is_deterministic(tmp_path):
    from mpafer_plugin.testing import FaceStyle
    style = FaceStyle(
        intensity=(0.5, 1.0), yaw=0.3, occlusion=0.5, identities=5)
    for name in ('a', 'b'):
        make_synthetic_rafdb(
            str(tmp_path / name), 2, 1, image_size=32, seed=3, style=style)
    files = sorted((tmp_path / 'a' / 'Image' / 'aligned').iterdir())
    assert files and all(f.read_bytes() == (tmp_path / 'b' / 'Image' /
                                            'aligned' / f.name).read_bytes()
                         for f in files)

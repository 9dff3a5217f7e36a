"""tools/misc/check_dataset.py: counts per class and split; names each missing
or unreadable file, empty class, face box outside its image, unknown dataset
type and input size the CLIP does not take; fails with status 1."""
import os
import os.path as osp
import shutil

from tools.misc.check_dataset import main
from ...conftest import REPO_ROOT
from ...datasets import fixtures

CONFIG = os.path.join(REPO_ROOT, 'configs', 'mpafer_rafdb.py')


def run(root, capsys, *options, config=CONFIG, no_decode=False):
    status = main([config] + ['--no-decode'] * no_decode + [
        '--cfg-options', f'train_dataloader.dataset.data_root={root}',
        f'val_dataloader.dataset.data_root={root}',
        f'test_dataloader.dataset.data_root={root}', *options
    ])
    return status, capsys.readouterr().out


def test_counts_per_class_and_split(synthetic_rafdb, capsys):
    status, out = run(synthetic_rafdb, capsys)
    assert status == 0 and out.rstrip().endswith('OK')
    assert 'train: RAFDB (84 images)' in out
    assert 'val: RAFDB (28 images)' in out
    assert 'test: same dataset as val' in out
    assert '    Surprise           12' in out
    assert '    Neutral             4' in out


def test_names_unreadable_and_missing_files(tmp_path, capsys):
    root = fixtures.write_rafdb_folders(tmp_path / 'rafdb')
    images = sorted(
        os.path.join(d, f) for d, _, files in os.walk(root) for f in files)
    with open(images[0], 'wb') as f:
        f.write(b'\xff\xd8\xff not a jpeg')
    status, out = run(root, capsys)
    assert status == 1 and 'FAILED' in out
    assert f'{images[0]}: unreadable: ' in out

    label_root = tmp_path / 'official'
    from mpafer_plugin.testing import make_synthetic_rafdb
    make_synthetic_rafdb(str(label_root), 1, 1, image_size=16)
    missing = label_root / 'Image' / 'aligned' / 'test_0001_aligned.jpg'
    os.remove(missing)
    status, out = run(label_root, capsys)
    assert status == 1 and 'val: FAILED to build RAFDB' in out
    assert 'test_0001_aligned.jpg' in out


def test_unreadable_files_also_without_decoding(tmp_path, capsys):
    root = fixtures.write_rafdb_folders(tmp_path / 'rafdb')
    empty = osp.join(root, 'train', '4', '0000.jpg')
    open(empty, 'wb').close()
    html = osp.join(root, 'test', '6', '0001.png')
    with open(html, 'w') as f:
        f.write('<html>404 Not Found</html>')
    status, out = run(root, capsys, no_decode=True)
    assert status == 1 and out.rstrip().endswith('FAILED')
    assert f'{empty}: unreadable: UnidentifiedImageError' in out
    assert f'{html}: unreadable: UnidentifiedImageError' in out


def test_class_without_training_images(tmp_path, capsys):
    root = fixtures.write_rafdb_folders(tmp_path / 'rafdb')
    shutil.rmtree(osp.join(root, 'train', '7'))
    status, out = run(root, capsys)
    assert status == 1
    assert "train: FAILED: no training image of class(es) ['Fear', " \
        "'Disgust', 'Sadness', 'Anger', 'Neutral']" in out
    assert "val: warning: no image of class(es) ['Surprise'," in out


def test_face_boxes_outside_their_image(tmp_path, capsys):
    root = fixtures.write_affectnet_csv(tmp_path / 'affectnet')
    csv = osp.join(root, 'Manually_Annotated_file_lists', 'training.csv')
    row = fixtures.affectnet_row('train', 2, 1).split(',')
    row[1] = '40'  # x beyond the 16 px wide image
    fixtures.replace_line(csv, 4, ','.join(row))
    status, out = run(
        root,
        capsys,
        'train_dataloader.dataset.crop_face=True',
        config=osp.join(REPO_ROOT, 'configs', 'mpafer_affectnet7.py'))
    assert status == 1
    name = fixtures.affectnet_name('train', 2)
    assert (f'{name}: face box (40, 2, 48, 8) lies outside the 16x12 image'
            in out)
    assert 'train: 1 bad image(s)' in out


def test_typo_in_the_dataset_type(synthetic_rafdb, capsys):
    status, out = run(synthetic_rafdb, capsys,
                      'train_dataloader.dataset.type=RAFBD')
    assert status == 1
    assert ("train: FAILED to build RAFBD: unknown dataset type 'RAFBD': not "
            "registered in mmpretrain.registry.DATASETS. Did you mean "
            "'RAFDB'") in out
    assert 'Traceback' not in out


def test_input_size_that_does_not_fit_the_clip(synthetic_rafdb, capsys):
    quickstart = osp.join(REPO_ROOT, 'configs',
                          'quickstart_synthetic_rafdb.py')
    status, out = run(synthetic_rafdb, capsys, config=quickstart)
    assert status == 0, out
    status, out = run(
        synthetic_rafdb,
        capsys,
        'model.clip.model_name=mpafer-tiny-vit',
        config=quickstart)
    assert status == 1
    assert ("train: FAILED: the pipeline gives 64x64 inputs but the CLIP "
            "'mpafer-tiny-vit' takes 224x224: set the resize or crop scale "
            "of the pipeline to 224.") in out


def test_class_lists_and_nested_images(tmp_path, capsys):
    """A repeated class in metainfo.classes fails the build (before: OK);
    another order is remapped, so the counts stay with their class; images
    in subfolders of a class folder are counted (before: 14 of 21 dropped,
    OK)."""
    root = fixtures.write_rafdb_folders(tmp_path)
    classes = ('Surprise', 'Fear', 'Disgust', 'Happiness', 'Sadness', 'Anger')
    repeated = str(list(classes) + ['Anger']).replace(' ', '')
    status, out = run(root, capsys,
                      f'train_dataloader.dataset.metainfo.classes={repeated}')
    assert status == 1
    assert ('train: FAILED to build RAFDB: ValueError: RAFDB '
            'metainfo.classes=') in out
    assert "the class(es) ['anger'] are listed more than once" in out
    nested = osp.join(root, 'train', '4', 'more')
    os.makedirs(nested)
    for i in range(3):
        shutil.copy(
            osp.join(root, 'train', '4', '0000.jpg'),
            osp.join(nested, f'{i}.jpg'))
    status, out = run(root, capsys)
    assert 'train: RAFDB (9 images)' in out
    assert '    Happiness           6' in out

"""tools/check_dataset.py: counts per class and split; names each missing
or unreadable file; fails with status 1."""
import os

from tools.check_dataset import main

from ..conftest import REPO_ROOT
from ..datasets import fixtures

CONFIG = os.path.join(REPO_ROOT, 'configs', 'mpafer_rafdb.py')


def run(root, capsys):
    status = main([CONFIG, '--cfg-options',
                   f'train_dataloader.dataset.data_root={root}',
                   f'val_dataloader.dataset.data_root={root}',
                   f'test_dataloader.dataset.data_root={root}'])
    return status, capsys.readouterr().out


def test_counts_per_class_and_split(synthetic_rafdb, capsys):
    status, out = run(synthetic_rafdb, capsys)
    assert status == 0 and out.rstrip().endswith('OK')
    assert 'train: RAFDB (84 images)' in out
    assert 'val: RAFDB (28 images)' in out
    assert 'test: same dataset as val' in out
    assert '    Surprise           12' in out and '    Neutral             4' in out


def test_names_unreadable_and_missing_files(tmp_path, capsys):
    root = fixtures.write_rafdb_folders(tmp_path / 'rafdb')
    images = sorted(
        os.path.join(d, f) for d, _, files in os.walk(root) for f in files)
    with open(images[0], 'wb') as f:
        f.write(b'\xff\xd8\xff not a jpeg')
    status, out = run(root, capsys)
    assert status == 1 and 'FAILED' in out
    assert f'unreadable: {images[0]}' in out

    label_root = tmp_path / 'official'
    from mpafer_plugin.datasets import make_synthetic_rafdb
    make_synthetic_rafdb(str(label_root), 1, 1, image_size=16)
    missing = label_root / 'Image' / 'aligned' / 'test_0001_aligned.jpg'
    os.remove(missing)
    status, out = run(label_root, capsys)
    assert status == 1 and 'val: FAILED to build RAFDB' in out
    assert 'test_0001_aligned.jpg' in out

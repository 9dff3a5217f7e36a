"""What every reader gets from :class:`FERDataset`: duplicate lines, text
encodings, image names and files that are not images, each refused (or
read) the same way in RAF-DB, AffectNet and FERPlus."""
import os
import os.path as osp

import pytest
from mmengine.fileio import BaseStorageBackend, LocalBackend, register_backend
from PIL import Image

from mpafer_plugin.datasets import RAFDB, AffectNet, FERPlus
from mpafer_plugin.datasets.image_files import IMG_EXTENSIONS, is_image_name
from .fixtures import (affectnet_row, replace_line, write_affectnet_csv,
                       write_ferplus_csv, write_ferplus_folders,
                       write_rafdb_folders)
from .test_rafdb import LABELS, write_tree


# ---------------------------------------------------------------- duplicates
def test_rafdb_refuses_a_duplicate_naming_both_lines(tmp_path):
    root = write_tree(tmp_path, LABELS + 'train_00001.jpg 2\n')
    with pytest.raises(
            ValueError,
            match=r"image 'train_00001.jpg' is listed "
            r'twice, at .*list_patition_label.txt:1 \(label 4 '
            r'Sadness\) and at .*list_patition_label.txt:7 '
            r'\(label 1 Fear\)'):
        RAFDB(root, split='test')  # refused for either split


def test_affectnet_refuses_a_duplicate_naming_both_lines(tmp_path):
    root = write_affectnet_csv(tmp_path)
    csv = osp.join(root, 'Manually_Annotated_file_lists', 'training.csv')
    with open(csv, 'a') as f:  # row 3 again, same label
        f.write(affectnet_row('train', 3, 2) + '\n')
    with pytest.raises(
            ValueError,
            match=r"'100/train_003.jpg' is listed "
            r'twice, at .*training.csv:5 \(label 2 Sadness\) and '
            r'at .*training.csv:15 \(label 2 Sadness\)'):
        AffectNet(root)


def test_ferplus_refuses_duplicates_also_across_splits(tmp_path):
    root = write_ferplus_csv(tmp_path)
    votes = osp.join(root, 'fer2013new.csv')
    # line 5 is fer0000003.png (PublicTest); a PrivateTest row takes its name
    replace_line(votes, 6, 'PrivateTest,fer0000003.png,10,0,0,0,0,0,0,0,0,0')
    for split in ('train', 'val', 'test'):
        with pytest.raises(
                ValueError,
                match=r"'fer0000003.png' is listed "
                r'twice, at .*fer2013new.csv:5 .* and at '
                r'.*fer2013new.csv:6 \(label 0 Neutral\)'):
            FERPlus(root, split=split)
    root = write_ferplus_folders(tmp_path / 'folders')
    label_csv = osp.join(root, 'FER2013Test', 'label.csv')
    with open(label_csv, 'a') as f:
        f.write('fer0000005.png,"(0, 0, 48, 48)",0,0,0,0,0,9,1,0,0,0\n')
    with pytest.raises(
            ValueError,
            match=r'label.csv:1 \(label 5 Disgust\) '
            r'and at .*label.csv:3 \(label 5 Disgust\)'):
        FERPlus(root, split='test')


# ----------------------------------------------------------- text encodings
def test_rafdb_label_file_with_a_bom_is_read(tmp_path):
    root = write_tree(tmp_path)
    path = tmp_path / 'EmoLabel' / 'list_patition_label.txt'
    path.write_bytes(b'\xef\xbb\xbf' + path.read_bytes())
    assert list(RAFDB(root).get_gt_labels()) == [4, 0, 6]


@pytest.mark.parametrize('encoding', ['latin-1', 'utf-16'])
def test_label_files_in_another_encoding_name_file_and_line(
        tmp_path, encoding):
    root = write_tree(tmp_path / 'rafdb')
    label = osp.join(root, 'EmoLabel', 'list_patition_label.txt')
    text = LABELS + '# café\n' if encoding == 'latin-1' else LABELS
    with open(label, 'wb') as f:
        f.write(text.encode(encoding))
    line = 7 if encoding == 'latin-1' else 1
    with pytest.raises(
            ValueError,
            match=rf'list_patition_label.txt:{line}: '
            r'not UTF-8 text .*save the file as UTF-8'):
        RAFDB(root)
    root = write_affectnet_csv(tmp_path / 'affectnet')
    csv = osp.join(root, 'Manually_Annotated_file_lists', 'validation.csv')
    replace_line(csv, 2, 'é')
    with open(csv, 'rb') as f:
        data = f.read().replace('é'.encode(), 'é'.encode('latin-1'))
    with open(csv, 'wb') as f:
        f.write(data)
    with pytest.raises(ValueError, match=r'validation.csv:2: not UTF-8'):
        AffectNet(root, split='val')
    root = write_ferplus_csv(tmp_path / 'ferplus')
    with open(osp.join(root, 'fer2013new.csv'), 'ab') as f:
        f.write('Training,caf\xe9.png'.encode('latin-1'))
    with pytest.raises(ValueError, match=r'fer2013new.csv:18: not UTF-8'):
        FERPlus(root)


# -------------------------------------------------------- image file names
def test_one_list_of_image_extensions_without_apple_double_files():
    assert '.bmp' in IMG_EXTENSIONS and '.webp' in IMG_EXTENSIONS
    assert is_image_name('a/0001.BMP') and is_image_name('x.JPEG')
    assert not is_image_name('._0001.jpg')  # macOS AppleDouble
    assert not is_image_name('.hidden.png') and not is_image_name('a.txt')


def test_folder_layout_reads_bmp_and_skips_apple_double(tmp_path):
    root = write_rafdb_folders(tmp_path, {'train': {'1': 1}})
    folder = osp.join(root, 'train', '1')
    Image.new('RGB', (8, 8)).save(osp.join(folder, 'copy.bmp'))
    with open(osp.join(folder, '._0000.jpg'), 'wb') as f:
        f.write(b'\x00\x05\x16\x07 AppleDouble resource fork')
    paths = [RAFDB(root).get_data_info(i)['img_path'] for i in range(2)]
    assert [osp.basename(p) for p in paths] == ['0000.jpg', 'copy.bmp']
    assert len(RAFDB(root)) == 2


def test_dangling_links_and_folders_named_like_images_are_refused(tmp_path):
    root = write_rafdb_folders(tmp_path / 'mirror', {'train': {'1': 1}})
    folder = osp.join(root, 'train', '1')
    os.symlink(osp.join(folder, 'gone.jpg'), osp.join(folder, 'link.jpg'))
    os.makedirs(osp.join(folder, 'album.png'))
    with pytest.raises(
            FileNotFoundError,
            match=r'2 of 3 train images .* are '
            r'not readable image files \(1 a folder, not a file, '
            r'1 a dangling link\).*album.png \(a folder, not a '
            r'file\); .*link.jpg \(a dangling link to .*gone.jpg'):
        RAFDB(root)
    root = write_tree(tmp_path / 'official')
    image = osp.join(root, 'Image', 'aligned', 'train_00002_aligned.jpg')
    os.remove(image)
    os.symlink('/nonexistent/x.jpg', image)
    with pytest.raises(
            FileNotFoundError,
            match=r'list_patition_label.txt:2: '
            r'.*train_00002_aligned.jpg \(a dangling link to '
            r'/nonexistent/x.jpg\)'):
        RAFDB(root)


class PrefixBackend(BaseStorageBackend):
    """``mem://<local path>``: a storage that is not the local disk."""

    def __init__(self, **kwargs):
        self.disk = LocalBackend()

    def _local(self, uri):
        return uri[len('mem://'):]

    def get(self, uri):
        return self.disk.get(self._local(uri))

    def get_text(self, uri, encoding='utf-8'):
        return self.disk.get_text(self._local(uri), encoding)

    def isfile(self, uri):
        return self.disk.isfile(self._local(uri))

    def isdir(self, uri):
        return self.disk.isdir(self._local(uri))

    def join_path(self, uri, *parts):
        return '/'.join([uri.rstrip('/'), *parts])

    def list_dir_or_file(self, uri, list_dir=True, list_file=True, **kw):
        return self.disk.list_dir_or_file(
            self._local(uri), list_dir, list_file, **kw)


def test_files_go_through_the_mmengine_backend(tmp_path):
    register_backend('mem', PrefixBackend, force=True, prefixes='mem')
    root = write_tree(tmp_path / 'official')
    ds = RAFDB('mem://' + root, split='test')
    assert isinstance(ds.file_backend, PrefixBackend)
    assert list(ds.get_gt_labels()) == [6, 3]
    assert ds.get_data_info(0)['img_path'] == (
        f'mem://{root}/Image/aligned/test_0001_aligned.jpg')
    os.remove(osp.join(root, 'Image', 'aligned', 'test_0002_aligned.jpg'))
    with pytest.raises(
            FileNotFoundError,
            match=r'list_patition_label.txt:6'
            r': mem://.*test_0002_aligned.jpg \(missing\)'):
        RAFDB('mem://' + root, split='test')
    root = write_rafdb_folders(tmp_path / 'mirror')
    assert len(RAFDB('mem://' + root)) == 6

"""file_sha256: the digest of the file's bytes, across block boundaries."""
import hashlib

from mpafer_plugin.utils import file_sha256


def test_digest_of_a_file_longer_than_one_block(tmp_path):
    data = bytes(range(256)) * 5000  # 1.22 MiB: two blocks
    path = tmp_path / 'blob.bin'
    path.write_bytes(data)
    assert file_sha256(str(path)) == hashlib.sha256(data).hexdigest()
    path.write_bytes(data[:-1])
    assert file_sha256(str(path)) != hashlib.sha256(data).hexdigest()

"""The SHA-256 of a file's bytes, read in 1 MiB blocks: what the results
files record of the inputs and pictures they name (the ablation ladder's
record keys, the quick-start figures)."""
import hashlib


def file_sha256(path: str) -> str:
    """Hex SHA-256 of the file at ``path``."""
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()

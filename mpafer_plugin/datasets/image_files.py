"""The one list of image file types every reader of this package accepts."""
import os.path as osp

# What OpenCV (MMCV's default decoder) and pillow both read.
IMG_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp',
                  '.pgm', '.ppm', '.pbm')


def is_image_name(name: str) -> bool:
    """Whether a file name found in a folder listing is an image to read.

    Its extension (any case) is one of :data:`IMG_EXTENSIONS`, and it is not
    hidden: macOS writes an AppleDouble file ``._<name>`` (resource fork,
    not an image) beside every file it copies to a foreign disk, and other
    dot files are metadata too.
    """
    base = osp.basename(name)
    return not base.startswith('.') and base.lower().endswith(IMG_EXTENSIONS)

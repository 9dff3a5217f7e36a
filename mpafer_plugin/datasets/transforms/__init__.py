from .crop_face_box import CropFaceBox
from .load_fer_image import LoadFERImage

__all__ = ['CropFaceBox', 'LoadFERImage']

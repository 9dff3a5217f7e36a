# AffectNet-8: as AffectNet-7 (affectnet7.py) with Contempt (id 7) kept.
_base_ = ['./affectnet7.py']

class_names = [
    'neutral', 'happiness', 'sadness', 'surprise', 'fear', 'disgust', 'anger',
    'contempt'
]
train_dataloader = dict(dataset=dict(num_classes=8))
val_dataloader = dict(dataset=dict(num_classes=8))
test_dataloader = val_dataloader
# Faces in photos (tools/infer.py, FERInferencer) are cropped like this
# dataset's images: the detector's box grown by the inferencer's margin.
face_crop = dict(type='BoxFaceCrop')

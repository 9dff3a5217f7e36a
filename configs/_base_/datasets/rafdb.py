# RAF-DB (basic): official layout or train/<class>/ folders;
# see docs/datasets.md.
_base_ = ['./fer_common.py']

dataset_type = 'RAFDB'
data_root = 'data/rafdb/basic'
# Prompt class names, in RAF-DB's label order (1 Surprise ... 7 Neutral).
class_names = [
    'surprise', 'fear', 'disgust', 'happiness', 'sadness', 'anger', 'neutral'
]
train_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        pipeline={{_base_.train_pipeline}}))
val_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='test',
        pipeline={{_base_.test_pipeline}}))
test_dataloader = val_dataloader
# Faces in photos (tools/infer.py, FERInferencer) are cropped like RAF-DB's
# aligned images: a similarity transform on the two eye centres into a
# 100 x 100 crop (docs/face_detection.md). Needs a landmark detector; faces
# without landmarks get a box crop.
face_crop = dict(type='EyesSimilarityFaceCrop', size=100)

# AffectNet-7: Manually_Annotated_Images + training/validation.csv (ids 0-6
# kept, 8-10 dropped), evaluated on the official validation set. Training
# is heavily imbalanced: a class-balanced sampler draws 1/count-weighted.
_base_ = ['./fer_common.py']

dataset_type = 'AffectNet'
data_root = 'data/affectnet'
# Prompt class names, in AffectNet's expression-id order.
class_names = [
    'neutral', 'happiness', 'sadness', 'surprise', 'fear', 'disgust', 'anger'
]
train_dataloader = dict(
    sampler=dict(_delete_=True, type='ClassBalancedSampler'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        num_classes=7,
        pipeline={{_base_.train_pipeline}}))
val_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='val',
        num_classes=7,
        pipeline={{_base_.test_pipeline}}))
test_dataloader = val_dataloader
# Faces in photos (tools/infer.py, FERInferencer) are cropped like this
# dataset's images: the detector's box grown by the inferencer's margin.
face_crop = dict(type='BoxFaceCrop')

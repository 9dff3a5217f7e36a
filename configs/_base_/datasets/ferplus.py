# FERPlus: fer2013.csv + fer2013new.csv (or the generator's folders), majority
# vote, 8 classes; trained on Training, evaluated on PrivateTest (FER2013Test).
_base_ = ['./fer_common.py']

dataset_type = 'FERPlus'
data_root = 'data/ferplus'
# Prompt class names, in FERPlus's label order.
class_names = [
    'neutral', 'happiness', 'surprise', 'sadness', 'anger', 'disgust', 'fear',
    'contempt'
]
train_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        label_mode='majority',
        pipeline={{_base_.train_pipeline}}))
val_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='test',
        label_mode='majority',
        pipeline={{_base_.test_pipeline}}))
test_dataloader = val_dataloader
# Faces in photos (tools/infer.py, FERInferencer) are cropped like this
# dataset's images: the detector's box grown by the inferencer's margin.
face_crop = dict(type='BoxFaceCrop')

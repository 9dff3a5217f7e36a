# Base-to-new generalisation on RAF-DB (docs/protocols.md), as the prompt-
# learning papers evaluate it. The split is CoOp/CoCoOp's rule, applied to
# RAF-DB's official label order: the first ceil(7 / 2) = 4 labels are base,
# the other 3 new. It is mechanical (no choice of "easy" new classes) and
# keeps both sides mixed in valence: base Surprise, Fear, Disgust,
# Happiness; new Sadness, Anger, Neutral.
#
# train (base classes only; validation on the base classes of test):
#   python tools/train.py configs/protocols/base_to_new/rafdb_base_to_new.py
# test (all 7 classes: base, new, harmonic mean, all):
#   python tools/test.py configs/protocols/base_to_new/rafdb_base_to_new.py \
#       work_dirs/rafdb_base_to_new/epoch_120.pth
# The shared context (class_specific_context=False, the default) is what
# lets the trained prompts name a new class; RuntimeClassesHook gives the
# head the 7 names after the 4-class checkpoint is loaded and checked.
_base_ = ['../../mpafer_rafdb.py']

base_classes = ['surprise', 'fear', 'disgust', 'happiness']
new_classes = ['sadness', 'anger', 'neutral']
model = dict(head=dict(classnames=base_classes))
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='ClassSubset',
        classes=base_classes,
        dataset={{_base_.train_dataloader.dataset}}))
val_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='ClassSubset',
        classes=base_classes,
        dataset={{_base_.val_dataloader.dataset}}))
# test_dataloader: RAF-DB test, all 7 classes (from the base config).
test_evaluator = [dict(type='BaseToNewAccuracy', base_classes=base_classes)]
default_hooks = dict(
    class_names_check=dict(
        type='RuntimeClassesHook', classnames={{_base_.class_names}}))

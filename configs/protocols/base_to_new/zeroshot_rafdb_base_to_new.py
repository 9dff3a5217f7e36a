# Zero-shot CLIP on the base-to-new split of rafdb_base_to_new.py: the
# same metric (base, new, harmonic mean, all) with nothing trained, the
# baseline the learned prompts must beat on the new classes.
#   python tools/test.py \
#       configs/protocols/base_to_new/zeroshot_rafdb_base_to_new.py
_base_ = ['../../zeroshot/zeroshot_rafdb.py']

test_evaluator = [
    dict(
        type='BaseToNewAccuracy',
        base_classes=['surprise', 'fear', 'disgust', 'happiness'])
]

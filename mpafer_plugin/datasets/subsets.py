"""A dataset restricted to part of itself: some of its classes
(base-to-new evaluation) or a stratified held-out part of its images
(model selection without the test set).

Both are registered in ``DATASETS`` as builders, used like a dataset
wrapper in a config::

    dict(type='ClassSubset', classes=['Surprise', 'Fear'],
         dataset=dict(type='RAFDB', ...))
    dict(type='StratifiedHoldout', part='val', ratio=0.1, seed=0,
         dataset=dict(type='RAFDB', ...))

but they return the inner dataset itself, its ``data_list`` restricted (and
relabelled), not a wrapper: what reads a training set's files, labels and
pipeline (the prototype pass, the class-balanced sampler, the class-name
check) sees exactly the images and classes that are trained on.
"""
from typing import Callable, List, Sequence, Tuple

import numpy as np
from mmengine.logging import MMLogger
from mmpretrain.registry import DATASETS

PARTS = ('train', 'val')


def _restricted(dataset: dict, restrict: Callable[[List[dict], tuple],
                                                  Tuple[List[dict], tuple,
                                                        str]]):
    """Build ``dataset`` unserialised, replace its data list and classes by
    ``restrict(data_list, classes)``'s, log its note, serialise again."""
    dataset = dict(dataset)
    serialize = dataset.pop('serialize_data', True)
    built = DATASETS.build(dict(dataset, serialize_data=False))
    built.full_init()  # a no-op unless the config asked for lazy_init
    classes = tuple(built.metainfo.get('classes') or ())
    data_list, new_classes, note = restrict(built.data_list, classes)
    built.data_list = data_list
    built._metainfo['classes'] = new_classes
    if serialize:
        built.serialize_data = True
        built.data_bytes, built.data_address = built._serialize_data()
    MMLogger.get_current_instance().info(
        f'{type(built).__name__} {getattr(built, "split", "")}: {note}; '
        f'{len(built)} images remain.')
    if not len(built):
        raise ValueError(f'{type(built).__name__}: {note} leaves no image.')
    return built


@DATASETS.register_module()
def ClassSubset(dataset: dict, classes: Sequence[str]):  # noqa: N802
    """``dataset`` restricted to the images of ``classes``, relabelled
    ``0..len(classes) - 1`` in the order of ``classes``, its
    ``metainfo['classes']`` the dataset's names of those classes.

    Args:
        dataset (dict): the dataset config.
        classes (Sequence[str]): names of the dataset's classes (any case).

    Raises:
        ValueError: a name is not one of the dataset's classes (both lists
            named), or a name is given twice.
    """
    wanted = [str(name).lower() for name in classes]
    if len(set(wanted)) != len(wanted):
        raise ValueError(f'ClassSubset: classes {list(classes)} name a '
                         f'class twice.')

    def restrict(data_list, names):
        lowered = [name.lower() for name in names]
        unknown = [c for c, low in zip(classes, wanted) if low not in lowered]
        if unknown:
            raise ValueError(f'ClassSubset: {unknown} are not classes of '
                             f'the dataset, whose classes are {list(names)}.')
        new_label = {lowered.index(low): i for i, low in enumerate(wanted)}
        kept = []
        for info in data_list:
            if 'gt_score' in info:
                raise ValueError(
                    'ClassSubset: the dataset gives soft targets (gt_score, '
                    'e.g. FERPlus label_mode="probability"); a class subset '
                    'of them is not defined. Use a hard label_mode.')
            if info['gt_label'] in new_label:
                kept.append(dict(info, gt_label=new_label[info['gt_label']]))
        new_names = tuple(names[lowered.index(low)] for low in wanted)
        return kept, new_names, (f'classes {list(new_names)} of '
                                 f'{list(names)} kept, relabelled 0..'
                                 f'{len(new_names) - 1}')

    return _restricted(dataset, restrict)


def holdout_indices(labels: Sequence[int], ratio: float,
                    seed: int) -> np.ndarray:
    """Indices of the held-out part: per class (in label order), a random
    ``round(ratio * n_c)`` of its ``n_c`` images, at least one where the
    class has two or more (a class of one image stays in training), drawn
    from ``numpy.random.default_rng(seed)``: the same labels, ratio and
    seed give the same part on every machine."""
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    held = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        count = min(max(1, round(ratio * len(members))), len(members) - 1)
        held.extend(rng.permutation(members)[:count])
    return np.sort(np.asarray(held, dtype=np.int64))


@DATASETS.register_module()
def StratifiedHoldout(
        dataset: dict,  # noqa: N802
        part: str,
        ratio: float = 0.1,
        seed: int = 0):
    """``dataset`` split in two by :func:`holdout_indices`: ``part='val'``
    keeps the held-out images (for model selection), ``part='train'`` the
    others. The two parts of one ``(dataset, ratio, seed)`` are disjoint
    and together the whole dataset. The dataset records
    ``holdout = dict(part, ratio, seed)``.

    Args:
        dataset (dict): the dataset config (a training split).
        part (str): ``'train'`` or ``'val'``.
        ratio (float): share of each class held out, in ``(0, 1)``.
        seed (int): seed of the draw.
    """
    if part not in PARTS:
        raise ValueError(f'StratifiedHoldout: part must be one of {PARTS}, '
                         f'got {part!r}.')
    if not 0 < ratio < 1:
        raise ValueError(f'StratifiedHoldout: ratio={ratio} must be in '
                         f'(0, 1).')

    def restrict(data_list, names):
        held = set(
            holdout_indices([info['gt_label'] for info in data_list], ratio,
                            seed).tolist())
        kept = [
            info for i, info in enumerate(data_list)
            if (i in held) == (part == 'val')
        ]
        return kept, names, (f'stratified hold-out (ratio {ratio}, seed '
                             f'{seed}), part {part!r}')

    built = _restricted(dataset, restrict)
    built.holdout = dict(part=part, ratio=ratio, seed=seed)
    return built

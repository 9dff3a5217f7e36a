"""Check, before a run uses a dataset, that its classes are the head's."""
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmpretrain.registry import HOOKS


@HOOKS.register_module()
class ClassNamesCheckHook(Hook):
    """Compare the classes of the train / val / test dataset (its
    ``metainfo['classes']``, in label order) with ``model.head.classnames``
    before training, validation or testing uses it.

    * Different counts raise ``ValueError`` (labels past the head's classes
      would crash the loss anonymously; fewer labels would leave prompts
      that never match a label).
    * The same names (compared lower-case) in another order raise
      ``ValueError``: a reordered list is a silent label swap.
    * Other different names log a warning that lists both: a renamed
      prompt class ("happy" for "Happiness") is legitimate. (Whether the
      head's classes are those a checkpoint was trained with, in order and
      wording, is checked when it loads: :class:`CheckpointContractHook`.)

    Models whose head has no ``classnames`` are not checked.
    """

    priority = 'VERY_HIGH'

    def __init__(self):
        self._checked = set()

    def before_train(self, runner) -> None:
        self._check(runner, 'train', runner.train_dataloader)

    def before_val(self, runner) -> None:
        self._check(runner, 'val', runner.val_dataloader)

    def before_test(self, runner) -> None:
        self._check(runner, 'test', runner.test_dataloader)

    def _check(self, runner, split: str, loader) -> None:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        names = getattr(getattr(model, 'head', None), 'classnames', None)
        dataset = getattr(loader, 'dataset', None)
        classes = getattr(dataset, 'metainfo', {}).get('classes')
        if names is None or classes is None or split in self._checked:
            return
        self._checked.add(split)
        what = (f'The {split} dataset ({type(dataset).__name__}) has '
                f'{len(classes)} classes {list(classes)}; '
                f'model.head.classnames has {len(names)}: {list(names)}.')
        if len(classes) != len(names):
            raise ValueError(f'{what} Set model.head.classnames to the '
                             f'dataset\'s classes, in its label order.')
        lowered = ([c.lower() for c in classes], [n.lower() for n in names])
        if lowered[0] != lowered[1] and sorted(lowered[0]) == sorted(
                lowered[1]):
            raise ValueError(f'{what} Same classes in another order: labels '
                             f'would be swapped silently. Use one order.')
        if lowered[0] != lowered[1]:
            runner.logger.warning(
                f'{what} They are matched by position: check that the order '
                f'is the same.')

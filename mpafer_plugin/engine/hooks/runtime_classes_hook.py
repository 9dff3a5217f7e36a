"""Test a checkpoint on class names other than those it was trained on."""
from typing import Sequence

from mmengine.model import is_model_wrapper
from mmpretrain.registry import HOOKS

from ...models.heads.runtime_classes import set_runtime_classes
from .class_names_check_hook import ClassNamesCheckHook


@HOOKS.register_module()
class RuntimeClassesHook(ClassNamesCheckHook):
    """Before the test, after the checkpoint has been loaded and checked
    against ``model.head.classnames`` (the classes it was trained with),
    give the head the test's ``classnames``
    (:func:`~mpafer_plugin.models.heads.runtime_classes.
    set_runtime_classes`: a shared context is reused for every name; a
    class-specific one is refused), log the change and record it in the
    message hub (``runtime_classes``), then check the test set's classes
    against the new names as :class:`ClassNamesCheckHook` does (training
    and validation are checked as usual). Set it in place of
    ``default_hooks.class_names_check`` (the base-to-new configs do).

    Args:
        classnames (Sequence[str]): the test's class names, in the test
            set's label order.
    """

    priority = 'VERY_HIGH'

    def __init__(self, classnames: Sequence[str]):
        super().__init__()
        self.classnames = list(classnames)

    def before_test(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        record = set_runtime_classes(model.head, self.classnames)
        runner.message_hub.update_info('runtime_classes', record)
        runner.logger.info(
            f'RuntimeClassesHook: the model trained with classes '
            f'{record["checkpoint_classes"]} now classifies into '
            f'{record["classes"]} (context: {record["context"]}); an '
            f'explicit exception to the checkpoint\'s class check.')
        super().before_test(runner)

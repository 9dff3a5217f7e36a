"""The class check of a cross-dataset test: the declared mapping instead of
equal class lists."""
from mmengine.model import is_model_wrapper
from mmpretrain.registry import HOOKS

from ...evaluation.metrics import CrossDatasetAccuracy, map_classes
from .class_names_check_hook import ClassNamesCheckHook


@HOOKS.register_module()
class CrossDatasetCheckHook(ClassNamesCheckHook):
    """:class:`ClassNamesCheckHook` for training and validation; for the
    test, the explicit exception of a cross-dataset evaluation: the test
    set's classes may differ from the model's, provided that

    * the test evaluator has a :class:`CrossDatasetAccuracy` (no other
      metric reads a label of one label space against a prediction of
      another), and
    * its ``source_classes`` are ``model.head.classnames`` (which the
      checkpoint contract has checked against the checkpoint's classes);

    and the mapping (shared, unseen, model-only classes) is logged. Set it
    in place of ``default_hooks.class_names_check`` (the configs under
    ``configs/protocols/cross_dataset/`` do).
    """

    def before_test(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        names = list(model.head.classnames)
        metrics = [
            m for m in runner.test_evaluator.metrics
            if isinstance(m, CrossDatasetAccuracy)
        ]
        if not metrics:
            raise ValueError(
                'CrossDatasetCheckHook: the test evaluator has no '
                'CrossDatasetAccuracy; other metrics would compare the test '
                'set\'s labels with the model\'s as if they were one label '
                'space. Add dict(type="CrossDatasetAccuracy", '
                'source_classes=...) to test_evaluator, or use '
                'ClassNamesCheckHook.')
        target = list(runner.test_dataloader.dataset.metainfo['classes'])
        for metric in metrics:
            if [n.lower() for n in metric.source_classes] != \
                    [n.lower() for n in names]:
                raise ValueError(
                    f'CrossDatasetAccuracy.source_classes '
                    f'{metric.source_classes} are not the model\'s classes '
                    f'{names} (model.head.classnames, in order): set them '
                    f'to the class list the checkpoint was trained with.')
            plan = map_classes(names, target, metric.mapping)
            pairs = zip(names, plan['source_to_target'])
            mapped = [(n, target[t]) for n, t in pairs if t is not None]
            lacking = [
                n for n, t in zip(names, plan['source_to_target']) if t is None
            ]
            unseen = [target[i] for i in plan['unseen']]
            runner.logger.info(
                f'Cross-dataset test (an explicit exception to the class '
                f'check): model classes {names}, test classes {target}; '
                f'mapped {mapped}; never seen by the model {unseen}; model '
                f'classes the test set lacks {lacking}.')

"""Two messages of dependencies that are not true of this plugin, silenced
one each, narrowly (the exact message, from the exact module):

- mmcv-lite's ``Fail to import MultiScaleDeformableAttention`` warning,
  printed by ``mmcv.cnn.bricks.transformer`` when MMPretrain imports it:
  mmcv-lite has no compiled ops, and nothing here uses that one
  (:func:`silence_deformable_attention_warning`, at ``import
  mpafer_plugin``, before MMPretrain's models are imported).
- open_clip 3.3's ``No pretrained weights loaded for model ... Model
  initialized randomly.`` (``logging.warning`` on the root logger in
  ``open_clip.create_model``), printed because ``load_clip`` builds the
  model without weights and loads them itself (from a file, or a full
  checkpoint later): :func:`weights_loaded_after_build` drops it, and
  ``load_clip`` logs the weights' true source (``random initialisation``
  where the model does stay random).
"""
import contextlib
import logging
import re
import warnings

DEFORMABLE_ATTENTION_WARNING = (
    r'Fail to import ``MultiScaleDeformableAttention``')
RANDOM_INIT_RECORD = re.compile(
    r"No pretrained weights loaded for model '.*'\. "
    r'Model initialized randomly\.')


def silence_deformable_attention_warning() -> None:
    """Ignore mmcv's ``MultiScaleDeformableAttention`` import warning (the
    message and module of mmcv 2.x, nothing else)."""
    warnings.filterwarnings(
        'ignore',
        message=DEFORMABLE_ATTENTION_WARNING,
        category=UserWarning,
        module=r'mmcv\.cnn\.bricks\.transformer')


class _DropRandomInitRecord(logging.Filter):

    def filter(self, record: logging.LogRecord) -> bool:
        return not RANDOM_INIT_RECORD.fullmatch(record.getMessage())


@contextlib.contextmanager
def weights_loaded_after_build():
    """Within it, open_clip's "Model initialized randomly" record is
    dropped: use it around ``open_clip.create_model`` when the caller logs
    where the weights come from itself."""
    root = logging.getLogger()
    drop = _DropRandomInitRecord()
    root.addFilter(drop)
    try:
        yield
    finally:
        root.removeFilter(drop)

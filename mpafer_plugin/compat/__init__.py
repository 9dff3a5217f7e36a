"""Every place this plugin relies on a private or version-specific detail
of a dependency, one module each, each tested on its own
(``tests/compat/``). When a dependency changes, this package is the one to
read.

``torch_checkpoints``
    torch >= 2.6 loads with ``weights_only=True``, which refuses MMEngine
    0.10.7's message-hub objects: :func:`register_safe_globals` allow-lists
    exactly those types (``torch.serialization.add_safe_globals``; no
    global switch of ``weights_only``), and
    :func:`register_local_checkpoint_loader` wraps MMEngine's local loader
    (``force=True`` replaces MMEngine's registration) so that refused and
    truncated files are named. Both run at ``import mpafer_plugin``
    (:func:`install`).
``mmengine_runner``
    the Runner's private ``_load_from`` / ``_resume``, and ``_train_loop``
    (the epoch without building the training data).
``open_clip_internals``
    open_clip 3.3's private ``VisionTransformer._embeds``, the structure of
    its standard ``ResidualAttentionBlock`` (prompts as keys and values
    only, :func:`prompted_block`) and the CLIP BPE tokenizer (public
    ``SimpleTokenizer`` instead of the private
    ``open_clip.tokenizer._tokenizer``).
``amp``
    MMEngine's ``AmpOptimWrapper`` set up for CPU bf16 autocast, which its
    constructor refuses (``MixedPrecisionOptimWrapper``).
``inline_prompt_learner``
    this plugin's own earlier format: ``MPAHead`` held CoOp's context
    itself. Its flat config keys (``num_context``,
    ``class_specific_context``, ``context_init_std``) move into
    ``prompt_learner`` with a ``FutureWarning``; ``head.context`` in state
    dicts (checkpoints, exports) loads as ``head.prompt_learner.context``
    (state-dict version of ``MPAHead`` < 2, or none recorded), before
    ``MPAFER``'s fit check and the checkpoint contract's; the learner is
    the head's first module (private ``nn.Module._modules`` order) so that
    an old optimizer state resumes onto the same parameters.

``quiet_logs``
    mmcv-lite's ``MultiScaleDeformableAttention`` import warning and
    open_clip's "Model initialized randomly" line printed before the
    weights are loaded: silenced, each by its exact message.

``MPAFER.clip_model`` exposes the open_clip model a classifier built, so
tools need not intercept ``load_clip``.
"""
from .amp import setup_cpu_bf16_autocast
from .inline_prompt_learner import (prompt_learner_from_flat_keys,
                                    upgrade_head_state_dict,
                                    upgrade_model_state_dict)
from .mmengine_runner import (built_train_loop_epoch,
                              runner_checkpoint_request, set_runner_checkpoint)
from .open_clip_internals import (bpe_token_count, prompted_block,
                                  vit_token_embeddings)
from .quiet_logs import (silence_deformable_attention_warning,
                         weights_loaded_after_build)
from .torch_checkpoints import (UnsafeCheckpointError, load_from_local,
                                register_local_checkpoint_loader,
                                register_safe_globals)

__all__ = [
    'UnsafeCheckpointError', 'bpe_token_count', 'built_train_loop_epoch',
    'install', 'load_from_local', 'prompt_learner_from_flat_keys',
    'prompted_block', 'register_local_checkpoint_loader',
    'register_safe_globals', 'runner_checkpoint_request',
    'set_runner_checkpoint', 'setup_cpu_bf16_autocast',
    'upgrade_head_state_dict', 'upgrade_model_state_dict',
    'vit_token_embeddings', 'weights_loaded_after_build'
]

# here, before mpafer_plugin imports MMPretrain's models (mmcv.cnn)
silence_deformable_attention_warning()


def install() -> None:
    """What ``import mpafer_plugin`` applies to the process (idempotent)."""
    register_safe_globals()
    register_local_checkpoint_loader()

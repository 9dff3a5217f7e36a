# Runtime shared by every MPA-FER config.
default_scope = 'mmpretrain'
custom_imports = dict(imports=['mpafer_plugin'], allow_failed_imports=False)

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(
        type='CheckpointHook', interval=1, max_keep_ckpts=2, save_best='auto'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    # Augmentation draws depend only on (seed, epoch, rank), so --resume
    # reproduces an uninterrupted run (mpafer_plugin EpochSeedHook).
    epoch_seed=dict(type='EpochSeedHook'),
    # The datasets' classes must be model.head.classnames (count and order).
    class_names_check=dict(type='ClassNamesCheckHook'),
    # Checkpoints hold what training changes (CLIP rebuilt from its spec,
    # checked by fingerprint) and are refused, naming the file, when they
    # are corrupt or do not fit the model, classes, CLIP or optimizer.
    checkpoint_contract=dict(type='CheckpointContractHook'),
    visualization=dict(type='VisualizationHook', enable=False),
    # Each evaluation's confusion matrix (PerClassAccuracy) as an image for
    # the vis_backends below (vis_data/vis_image/val_confusion_matrix_3.png
    # after epoch 3 with LocalVisBackend).
    confusion_matrix=dict(type='ConfusionMatrixImageHook'),
    # Last-epoch and best-epoch value of every metric, and the split that
    # chose the best (<work_dir>/best_last.json; docs/protocols.md).
    best_last=dict(type='BestLastHook'),
)

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)

# Where scalars (losses, accuracies), the confusion-matrix images and the
# config go: LocalVisBackend writes <work_dir>/<time>/vis_data/. To also log
# to TensorBoard or Weights & Biases, a config of yours sets
#   _base_ = ['./mpafer_rafdb.py']
#   visualizer = dict(vis_backends=[
#       dict(type='LocalVisBackend'),
#       dict(type='TensorboardVisBackend'),  # pip install tensorboard;
#                                            # tensorboard --logdir work_dirs
#       dict(type='WandbVisBackend',         # pip install wandb; wandb login
#            init_kwargs=dict(project='mpafer')),
#   ])
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='UniversalVisualizer', vis_backends=vis_backends)

log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0, deterministic=False)

"""Helpers for tests, the quick start and benchmarks; not the plugin.

Like ``mmengine.testing``, this subpackage is never imported by
``import mpafer_plugin``: it draws synthetic stand-in faces
(:mod:`.synthetic_faces`) and holds the measuring primitives of
``tools/analysis_tools/benchmark.py`` (:mod:`.benchmarking`)."""
from .benchmarking import (MemoryMeter, count_flops, flatness, profile_top_ops,
                           ratio, summarise, time_interleaved)
from .synthetic_faces import (FaceStyle, describe_face, make_synthetic_rafdb,
                              rafdb_split_counts, synthetic_captioned_faces)

__all__ = [
    'FaceStyle', 'MemoryMeter', 'count_flops', 'describe_face', 'flatness',
    'make_synthetic_rafdb', 'profile_top_ops', 'rafdb_split_counts', 'ratio',
    'summarise', 'synthetic_captioned_faces', 'time_interleaved'
]

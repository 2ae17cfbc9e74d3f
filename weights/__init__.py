"""Embedded default weights: the manifest of where each model comes from, and `prepare`.

Public surface: `load_manifest`, `ModelSpec`, `cache_dir`, `prepare`, `prepare_model`, `is_prepared`,
`prepared_path`, `source_path`, `PrepareError`. Converters live beside this file, one per artifact format.
"""
from weights.manifest import Artifact, ModelSpec, cache_dir, load_manifest
from weights.preparation import PrepareError, is_prepared, prepare, prepare_model, prepared_path, source_path

__all__ = ["Artifact", "ModelSpec", "PrepareError", "cache_dir", "is_prepared", "load_manifest",
           "prepare", "prepare_model", "prepared_path", "source_path"]

"""The served atlas of a face: read from the cache, or built once when there is none.

Atlases are cached under <cache>/atlas/, keyed by generator, face, directions and the plan's settings
(`render.atlas.atlas_path`). A fresh machine's first serve finds none: only then is the offline builder
(`render.atlas_building`) imported, to build it with a progress bar and write it to the cache.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from render.atlas import DEFAULT_LEVELS, GRID_COUNTS, KeyframeAtlas, atlas_path
from render.walk import LatentWalk


def load_or_build_atlas(walk: LatentWalk, seed: int, levels: tuple[int, ...] = DEFAULT_LEVELS,
                        budget: float = 5.0, cache: Path | None = None, counts: tuple[int, ...] = GRID_COUNTS,
                        measure_points: int = 12, log: Callable[[str], None] = print,
                        max_keyframes: int = 1000) -> KeyframeAtlas:
    """The cached atlas for this generator, face and directions, memory-mapped from its file; built (with
    progress) on first use, with the settings of `render.atlas_building.build.build_atlas`."""
    path = atlas_path(walk, seed, tuple(sorted(levels)), budget, cache, counts, max_keyframes)
    atlas = None
    if path.exists():
        try:
            atlas = KeyframeAtlas.load(path)
        except Exception as e:  # a torn or stale file: rebuild rather than fail
            log(f"atlas: cannot read {path.name} ({e}); rebuilding")
    if atlas is None:
        from render.atlas_building.build import build_cached_atlas
        from render.generator import release_cpu_memory

        build_cached_atlas(path, walk, seed, levels, budget, measure_points, counts, log=log,
                           max_keyframes=max_keyframes)
        # serve the file, memory-mapped, and give the heap the build filled back to the system
        atlas = KeyframeAtlas.load(path)
        release_cpu_memory()
    atlas.meta["path"] = str(path)
    return atlas

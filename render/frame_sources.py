"""Frame sources: how a batch of frame requests becomes pixels. `ExactSource` synthesizes every frame (the GPU
path); `AtlasSource` blends keyframes of each face's atlas (the CPU path). Both return uint8 [size, size, 3]
frames in request order."""
from __future__ import annotations

import collections
import threading
from pathlib import Path

import numpy as np
import torch

from render.render_loop import FrameRequest


class ExactSource:
    """Every frame is a synthesis pass of its own w(t): the GPU path (works on CPU too, slowly)."""

    interpolated = False

    def __init__(self, walk) -> None:
        self.walk = walk

    def ready(self, seed: int) -> bool:
        self.walk.face(seed)
        return True

    def render(self, requests: list[FrameRequest]) -> list[torch.Tensor]:
        from render.walk import to_size_uint8

        faces = [self.walk.face(r.session.seed) for r in requests]
        with torch.inference_mode():
            images = self.walk.gen.synthesize(self.walk.compose(faces, np.array([r.controls for r in requests])))
            out: list[torch.Tensor | None] = [None] * len(requests)
            for size in {r.session.size for r in requests}:
                rows = [i for i, r in enumerate(requests) if r.session.size == size]
                frames = to_size_uint8(images[rows], size).cpu()
                for j, i in enumerate(rows):
                    out[i] = frames[j]
        return out  # type: ignore[return-value]

    def spare_time(self) -> bool:
        return False


class AtlasSource:
    """Frames interpolated from per-face keyframe atlases (the CPU path). Atlases of faces other than
    the persona's are built in the background on first use; their sessions wait meanwhile. With `refine`,
    spare time (no session watched) goes to exact renders that make each atlas finer."""

    interpolated = True

    def __init__(self, walk, levels: tuple[int, ...], refine: bool, options: dict | None = None) -> None:
        self.walk, self.levels, self.refine = walk, tuple(levels), refine
        self.options = dict(options or {})  # load_or_build_atlas settings (budget, cache, counts, …)
        self.atlases: dict[int, object] = {}
        self.refiners: dict[int, object] = {}
        self._building: set[int] = set()
        self._lock = threading.Lock()
        self.errors: dict[int, str] = {}

    def load(self, seed: int) -> None:
        from render.atlas_cache import load_or_build_atlas

        atlas = load_or_build_atlas(self.walk, seed, self.levels, **self.options)
        with self._lock:
            self.atlases[seed] = atlas
            if self.refine:
                from render.atlas_refiner import AtlasRefiner

                self.refiners[seed] = AtlasRefiner(atlas, self.walk, seed, Path(atlas.meta["path"]))

    def ready(self, seed: int) -> bool:
        with self._lock:
            if seed in self.atlases:
                return True
            if seed in self._building or seed in self.errors:
                return False
            self._building.add(seed)

        def build() -> None:
            try:
                self.load(seed)
            except Exception as e:  # reported per session; the loop keeps serving others
                self.errors[seed] = str(e)
            finally:
                self._building.discard(seed)

        threading.Thread(target=build, name=f"atlas-{seed}", daemon=True).start()
        return False

    def render(self, requests: list[FrameRequest]) -> list[torch.Tensor]:
        from render.atlas import blend

        out: list[torch.Tensor | None] = [None] * len(requests)
        groups: dict[tuple[int, int], list[int]] = collections.defaultdict(list)
        for i, r in enumerate(requests):
            groups[(r.session.seed, r.session.size)].append(i)
        for (seed, size), rows in groups.items():
            atlas = self.atlases[seed]
            level = atlas.level_for(size)
            if level == size:  # one blend for the whole group
                flat, weight = atlas.taps(np.array([requests[i].controls for i in rows]))
                frames = blend(atlas.levels[level], flat, weight)
            else:
                frames = atlas.render(np.array([requests[i].controls for i in rows]), size)
            for j, i in enumerate(rows):
                out[i] = frames[j]
        return out  # type: ignore[return-value]

    def spare_time(self) -> bool:
        """Refine one keyframe of some atlas; False when there is nothing left to refine."""
        for seed, refiner in list(self.refiners.items()):
            if refiner.done():
                continue
            new = refiner.step(frames=1)
            if new is not None:
                with self._lock:
                    self.atlases[seed] = new
            return True
        return False

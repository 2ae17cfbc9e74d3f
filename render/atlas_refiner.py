"""Atlas refinement (`avatar.refine`, off by default): while no session is watched, the server spends its
spare time on exact renders that make a face's atlas finer where it measured worst.

This is serving code, not part of `render.atlas_building`: it runs inside the server's render loop,
one keyframe per idle turn, and swaps the finer atlas in while sessions stream from the current one.
"""
from __future__ import annotations

import math
import threading
from pathlib import Path

import numpy as np
import torch

from render.atlas import KeyframeAtlas, grid_points
from render.atlas_file import write_atlas_file
from render.walk import ExactRenders, LatentWalk


class AtlasRefiner:
    """Spends spare time on exact renders that make the atlas finer where it measured worst.

    A refinement inserts one new coordinate on one control (the cell with the largest measured error,
    weighted toward 0 where the face spends its time): a plane of keyframes, one per node of the other
    controls. A step renders a few of them, and when all are done the atlas swaps in the finer one (and
    saves it).
    """

    def __init__(self, atlas: KeyframeAtlas, walk: LatentWalk, seed: int, path: Path | None = None,
                 max_keyframes: int = 1200):
        self.atlas, self.walk, self.seed, self.path = atlas, walk, seed, path
        self.max_keyframes = max_keyframes
        self._render = ExactRenders(walk, seed, tuple(atlas.levels))
        self._lock = threading.Lock()
        self._pending: tuple[int, int, float, np.ndarray, dict[int, list[torch.Tensor]]] | None = None
        self._cell_error = [list(e) for e in atlas.meta.get("cell_error",
                                                             [[1.0] * (len(a) - 1) for a in atlas.axes])]

    def _next(self) -> tuple[int, int] | None:
        best, where = 0.0, None
        for k, errs in enumerate(self._cell_error):
            coords = self.atlas.axes[k]
            span = max(abs(coords[0]), abs(coords[-1]), 1e-6)
            cost = max(len(self._points(k, 0.0)), 1)  # a plane of all other controls' keyframes
            for i, e in enumerate(errs[:len(coords) - 1]):
                mid = 0.5 * (coords[i] + coords[i + 1])
                score = e * math.exp(-((mid / span) ** 2)) / cost
                if score > best:
                    best, where = score, (k, i)
        return where

    def _points(self, k: int, x: float) -> np.ndarray:
        """The new keyframes for coordinate x on control k, in flat grid order."""
        return grid_points([a if j != k else np.array([x]) for j, a in enumerate(self.atlas.axes)])

    def done(self) -> bool:
        nxt = self._next()
        if nxt is None:
            return True
        return self.atlas.count + len(self._points(nxt[0], 0.0)) > self.max_keyframes

    def step(self, frames: int = 2) -> KeyframeAtlas | None:
        """Render up to `frames` exact keyframes; returns the new atlas when a refinement completes."""
        with self._lock:
            if self._pending is None:
                if self.done():
                    return None
                k, i = self._next()
                x = 0.5 * (self.atlas.axes[k][i] + self.atlas.axes[k][i + 1])
                self._pending = (k, i, x, self._points(k, x), {s: [] for s in self.atlas.levels})
            k, i, x, points, got = self._pending
            start = sum(len(t) for t in got[next(iter(got))])
            todo = points[start:start + frames]
            for s, t in self._render(todo).items():
                got[s].append(t)
            if start + len(todo) < len(points):
                return None
            self._pending = None
            return self._insert(k, i, x, {s: torch.cat(v) for s, v in got.items()})

    def _insert(self, k: int, i: int, x: float, new: dict[int, torch.Tensor]) -> KeyframeAtlas:
        """The atlas with coordinate x inserted after cell i of control k (`new`: the plane's keyframes).

        With a path, the next file is written from ranges of the current one and the new keyframes, then
        memory-mapped: no level is ever assembled in memory. Without one, each level is built once in memory.
        """
        old = self.atlas
        # flat order, last control fastest: per index of the controls before k, the old rows up to cell i,
        # that index's share of the new plane, then the old rows after it
        shape = [len(a) for a in old.axes]
        outer, inner = math.prod(shape[:k]), math.prod(shape[k + 1:])
        pieces: dict[int, list[tuple[int, int] | torch.Tensor]] = {s: [] for s in old.levels}
        for s in old.levels:
            for o in range(outer):
                first = o * shape[k] * inner
                pieces[s].append((first, (i + 1) * inner))
                pieces[s].append(new[s][o * inner:(o + 1) * inner])
                if i + 1 < shape[k]:
                    pieces[s].append((first + (i + 1) * inner, (shape[k] - i - 1) * inner))
        levels: dict[int, torch.Tensor] = {}
        if self.path is None:
            for s, parts in pieces.items():
                levels[s] = torch.cat([old.levels[s][p[0]:p[0] + p[1]] if isinstance(p, tuple) else p
                                       for p in parts])
        axes = [a.copy() for a in old.axes]
        axes[k] = np.insert(axes[k], i + 1, x)
        e = self._cell_error[k][i]
        factor = 0.5  # measured: halving the spacing halves the midpoint error (edges move; they do not bend)
        self._cell_error[k][i:i + 1] = [e * factor, e * factor]
        meta = dict(old.meta, cell_error=self._cell_error, refined=old.meta.get("refined", 0) + 1)
        atlas = KeyframeAtlas(old.names, axes, old.modes, levels, meta)
        if self.path is not None:
            count = atlas.count
            write_atlas_file(self.path, {
                s: ((count, *old.levels[s].shape[1:]),
                    [old.rows(s, *p) if isinstance(p, tuple) else p for p in parts])
                for s, parts in pieces.items()}, atlas.file_meta())
            mapped = KeyframeAtlas.load(self.path)
            atlas.levels, atlas.file = mapped.levels, mapped.file
        self.atlas = atlas
        return self.atlas

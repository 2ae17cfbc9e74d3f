"""How far the keyframe atlas is from exact renders (measured when it is built, and by `ohlora bench atlas`).

Two control distributions, reported separately: the points a streamed conversation visits (random times
of a scripted minute: idle sway, blinks, speech, expression changes, a barge-in; `timeline_controls`) and
points drawn uniformly over the full ranges (all controls far from rest at once: the worst case). The
error is the mean absolute difference per pixel and channel, in 0..255 levels, of the atlas frame against
an exact render of the same controls, beside a plain (multi)linear cross-fade of the same keyframes.

`grid_study` measures the error against the number of keyframes per control: it renders one dense grid
(e.g. 9×9×17) once, builds every coarser nested grid from it, and evaluates each on the same points. Exact
renders are cached on disk keyed by what the pixels depend on (generator, face, ψ, directions), so a rerun
after changing nothing renders nothing.
"""
from __future__ import annotations

import itertools
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from render.atlas import GRID_COUNTS, KeyframeAtlas, grid_points, source_key
from render.atlas_building.plan import axis_coords
from render.walk import ExactRenders, LatentWalk


def timeline_controls(names: tuple[str, ...], ranges: dict[str, tuple[float, float]], points: int,
                      seed: int = 1234, speech: tuple[float | None, float] | None = None) -> np.ndarray:
    """Control vectors a streamed face actually visits: random times of a minute of scripted conversation
    (idle, blinks, answers streamed token by token, expression changes, a barge-in)."""
    from render.timeline import ExpressionTimeline

    rng = np.random.default_rng(seed)
    tl = ExpressionTimeline(names, ranges, seed=seed, speech=speech)
    t, levels, heads = 2.0, ["normal", "wide", "small", "very wide"], ["none", "slightly left", "right", "left"]
    while t < 60:
        tl.answer_started(t)
        tl.set_expression(levels[rng.integers(4)], levels[rng.integers(4)], heads[rng.integers(4)], at=t)
        for i in range(int(rng.integers(10, 40))):
            tl.token("안녕하세요 ", at=t + i * 0.07)
        tl.answer_ended(t + 3)
        t += float(rng.uniform(4, 9))
        if rng.random() < 0.2:
            tl.cancel(t - 1)
    times = np.sort(rng.uniform(0, 60, points))
    return np.array([tl.controls_list(float(x)) for x in times])


def uniform_controls(names: tuple[str, ...], ranges: dict[str, tuple[float, float]], points: int,
                     seed: int = 1234) -> np.ndarray:
    """Control vectors drawn uniformly over the full ranges (the worst case: all controls far from rest)."""
    rng = np.random.default_rng(seed)
    lo = np.array([ranges[n][0] for n in names])
    hi = np.array([ranges[n][1] for n in names])
    return lo + (hi - lo) * rng.random((points, len(lo)))


def measure_atlas(atlas: KeyframeAtlas, walk: LatentWalk, seed: int, points: int = 12,
                  rng_seed: int = 1234, controls: np.ndarray | None = None,
                  render: Callable[..., dict[int, torch.Tensor]] | None = None) -> dict:
    """MAE (/255) of atlas frames and of a plain cross-fade vs exact renders at in-between points
    (uniformly random over the ranges unless `controls` are given; `render` may supply cached renders)."""
    if controls is None:
        controls = uniform_controls(atlas.names, walk.directions.ranges, points, rng_seed)
    points = len(controls)
    exact = (render or ExactRenders(walk, seed, tuple(atlas.levels)))(controls, desc="atlas: measuring error")
    out = {}
    for s in sorted(atlas.levels):
        ref = exact[s].float()
        ours = (atlas.render(controls, s).float() - ref).abs().mean(dim=(1, 2, 3))
        fade = (atlas.render(controls, s, crossfade=True).float() - ref).abs().mean(dim=(1, 2, 3))
        out[str(s)] = {"atlas": float(ours.mean()), "crossfade": float(fade.mean()),
                       "atlas_max": float(ours.max()), "points": points}
    return out


class ExactStore(ExactRenders):
    """Exact renders remembered by control vector, kept on disk between runs (one file per face+directions)."""

    def __init__(self, walk: LatentWalk, seed: int, sizes: tuple[int, ...], folder: Path | None = None):
        super().__init__(walk, seed, sizes, keep=True)
        from weights.manifest import cache_dir

        folder = folder or cache_dir() / "atlas"
        folder.mkdir(parents=True, exist_ok=True)
        sized = "-".join(map(str, sizes))
        self.path = folder / f"exact-{walk.gen.name}-seed{seed}-{source_key(walk, seed)}-{sized}.npz"
        self._saved = 0
        if self.path.exists():
            with np.load(self.path) as z:  # each z[...] reads the whole array again: read each once
                controls = z["controls"]
                arrays = {s: torch.from_numpy(z[f"f{s}"]) for s in sizes}
            for i, c in enumerate(controls):
                self.remember(c, {s: arrays[s][i] for s in sizes})
            self._saved = len(self.cache)

    def save(self) -> None:
        if len(self.cache) == self._saved:
            return
        keys = list(self.cache)
        arrays = {f"f{s}": np.stack([self.cache[k][s].numpy() for k in keys]) for s in self.sizes}
        tmp = self.path.with_suffix(".tmp.npz")
        np.savez(tmp, controls=np.array(keys), **arrays)
        tmp.replace(self.path)
        self._saved = len(keys)

    def __call__(self, controls, desc=None, bar=None):
        out = super().__call__(controls, desc=desc, bar=bar)
        if len(self.cache) - self._saved >= 64:  # a long study survives an interruption
            self.save()
        return out


def evaluation_points(walk: LatentWalk, points: int) -> dict[str, np.ndarray]:
    names, ranges = tuple(walk.names), walk.directions.ranges
    return {"timeline": timeline_controls(names, ranges, points), "uniform": uniform_controls(names, ranges, points)}


def measure(atlas: KeyframeAtlas, walk: LatentWalk, seed: int, store: ExactStore,
            sets: dict[str, np.ndarray]) -> dict[str, dict]:
    """{set: {size: {atlas, crossfade, atlas_max, points}}} for the atlas on each set of points."""
    return {name: measure_atlas(atlas, walk, seed, controls=pts, render=store) for name, pts in sets.items()}


def _errors(atlas: KeyframeAtlas, store: ExactStore, pts: np.ndarray, size: int, crossfade: bool) -> float:
    ref = store(pts)[size].float()
    return float((atlas.render(pts, size, crossfade=crossfade).float() - ref).abs().mean())


def grid_study(walk: LatentWalk, seed: int, store: ExactStore, sets: dict[str, np.ndarray],
               max_counts: tuple[int, ...], size: int = 256, counts: tuple[int, ...] = GRID_COUNTS) -> list[dict]:
    """Error vs keyframes per control. Renders the grid of `max_counts` coordinates per control once (cached),
    then evaluates every nested coarser grid (counts from `counts`, ≥ 3) with a cross-fade and with the cubic
    along every control."""
    names, ranges = tuple(walk.names), walk.directions.ranges
    if len(max_counts) != len(names):
        raise ValueError(f"--study-counts needs {len(names)} numbers (one per control: {', '.join(names)})")
    dense = [axis_coords(*ranges[n], m) for n, m in zip(names, max_counts)]
    pts = grid_points(dense)
    print(f"atlas study: {len(pts)} exact keyframes of the {'×'.join(map(str, max_counts))} grid "
          f"({sum(1 for p in pts if store.point_key(p) not in store.cache)} still to render)")
    store(pts, desc="atlas study: dense grid")
    store.save()
    rows = []
    options = [[c for c in counts if 3 <= c <= m] or [m] for m in max_counts]
    for combo in itertools.product(*options):
        axes = [axis_coords(*ranges[n], c) for n, c in zip(names, combo)]
        grid_pts = grid_points(axes)
        bank = store(grid_pts)[size]
        row = {"counts": combo, "keyframes": len(grid_pts)}
        for mode in ("linear", "cubic"):
            atlas = KeyframeAtlas(names, axes, [mode] * len(names), {size: bank})
            for name, p in sets.items():
                row[f"{name}_{mode}"] = _errors(atlas, store, p, size, crossfade=False)
        rows.append(row)
    store.save()
    return rows


def pareto_rows(rows: list[dict], sets: tuple[str, ...]) -> list[dict]:
    """Grids no other grid beats with as few keyframes on every set (cubic)."""
    def beaten(r: dict) -> bool:
        return any(o is not r and o["keyframes"] <= r["keyframes"]
                   and all(o[f"{s}_cubic"] < r[f"{s}_cubic"] for s in sets) for o in rows)
    return [r for r in rows if not beaten(r)]


def study_table(rows: list[dict], names: tuple[str, ...], sets: tuple[str, ...]) -> str:
    head = "| " + " × ".join(names) + " | keyframes | " + " | ".join(
        f"{s}: cross-fade | {s}: cubic" for s in sets) + " |"
    lines = [head, "|---|---:|" + "---:|" * (2 * len(sets))]
    for r in sorted(rows, key=lambda r: r["keyframes"]):
        lines.append(f"| {' × '.join(map(str, r['counts']))} | {r['keyframes']} | "
                     + " | ".join(f"{r[f'{s}_linear']:.2f} | {r[f'{s}_cubic']:.2f}" for s in sets) + " |")
    return "\n".join(lines)

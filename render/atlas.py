"""The CPU path: a keyframe atlas of one face's expression space, interpolated per frame.

A full synthesis pass costs ~0.2 s on 2 cores, so the CPU cannot render 30 frames/s exactly. Instead the
face is rendered exactly, once, at keyframes over the controls' ranges, and a frame is a weighted sum of
neighbouring keyframes:

- the keyframes are not one grid over all controls (its size multiplies: 9 × 17 × 9 = 1,377 renders) but
  one grid per local control paired with the head turn, which moves everything: frame(eyes, mouth, yaw) =
  A(eyes, yaw) + B(mouth, yaw) − C(yaw), exact whenever only one local control is away from 0 and
  otherwise off by the eyes↔mouth interaction, which is small in pixels (different regions of the face);
  9·9 + 17·9 + 9 renders instead of 1,377;

- along each control the grid spacing is chosen by measurement (`plan_grid`): render the control's line
  and the midpoints of its cells, and take the coarsest spacing whose in-between error meets the budget;
- along each control the interpolation is a Catmull-Rom cubic (Hermite with finite-difference tangents,
  non-uniform spacing) or a plain linear cross-fade, whichever measured closer to the exact midpoints;
  the cubic uses the curvature of the pixel paths, which a cross-fade ignores (a turning head);
- `measure_atlas` reports the mean absolute error of atlas frames against exact renders of random
  in-between points, beside the error of a plain (multi)linear cross-fade of the same keyframes;
- `AtlasRefiner` spends spare time inserting exact keyframe planes where the measured error is largest.

Atlases are cached on disk keyed by generator, face, directions and the plan's settings.
"""
from __future__ import annotations

import hashlib
import json
import math
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from tqdm import tqdm

from render.walk import LatentWalk

ATLAS_VERSION = 2
DEFAULT_LEVELS = (256, 512)
GRID_COUNTS = (3, 5, 9, 17)


# ---- interpolation weights --------------------------------------------------------------------------------
def axis_weights(coords: np.ndarray, x: np.ndarray, mode: str) -> tuple[np.ndarray, np.ndarray]:
    """Interpolation taps along one axis: for B positions x, node indices [B, m] and weights [B, m].

    linear: m = 2 (a cross-fade). cubic: m = 4, Hermite with tangents from the neighbouring nodes
    (one-sided at the ends); weights are exactly one-hot on a node, so keyframes come back unchanged.
    """
    a = np.asarray(coords, np.float64)
    n = len(a)
    x = np.clip(np.asarray(x, np.float64), a[0], a[-1])
    if n == 1:
        return np.zeros((len(x), 1), np.int64), np.ones((len(x), 1))
    i = np.clip(np.searchsorted(a, x, side="right") - 1, 0, n - 2)
    d = a[i + 1] - a[i]
    u = (x - a[i]) / d
    if mode == "linear":
        return np.stack([i, i + 1], 1), np.stack([1 - u, u], 1)
    if mode != "cubic":
        raise ValueError(f"unknown interpolation '{mode}'")
    im, ip = np.maximum(i - 1, 0), np.minimum(i + 2, n - 1)
    li, lj = a[i + 1] - a[im], a[ip] - a[i]  # spans of the tangents at node i and i+1
    h00, h10 = 2 * u**3 - 3 * u**2 + 1, u**3 - 2 * u**2 + u
    h01, h11 = -2 * u**3 + 3 * u**2, u**3 - u**2
    s_i, s_j = h10 * d / li, h11 * d / lj
    idx = np.stack([im, i, i + 1, ip], 1)
    w = np.stack([-s_i, h00 - s_j, h01 + s_i, s_j], 1)
    return idx, w


def grid_weights(axes: list[np.ndarray], modes: list[str], controls: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Tensor-product taps over all controls: flat keyframe indices [B, M] and weights [B, M]."""
    controls = np.asarray(controls, np.float64).reshape(-1, len(axes))
    b = controls.shape[0]
    flat = np.zeros((b, 1), np.int64)
    weight = np.ones((b, 1))
    for k, (coords, mode) in enumerate(zip(axes, modes)):
        idx, w = axis_weights(coords, controls[:, k], mode)
        flat = (flat[:, :, None] * len(coords) + idx[:, None, :]).reshape(b, -1)
        weight = (weight[:, :, None] * w[:, None, :]).reshape(b, -1)
    return flat, weight


def grid_points(axes: list[np.ndarray]) -> np.ndarray:
    """All keyframe control vectors in flat order (last control fastest): [N, K]."""
    mesh = np.meshgrid(*axes, indexing="ij")
    return np.stack([m.reshape(-1) for m in mesh], 1)


def blend(frames: torch.Tensor, flat: np.ndarray, weight: np.ndarray) -> torch.Tensor:
    """uint8 keyframes [N, H, W, 3] and taps [B, M] -> uint8 frames [B, H, W, 3].

    OpenCV's running average (dst = (1 − α) dst + α src, uint8 in, float32 accumulator, SIMD, no copies of
    the keyframes) computes the weighted sum when the taps come in order of decreasing weight with
    α_j = w_j / Σ_{i≤j} w_i; the partial sums then stay ≥ the first weight > 0 even with the cubic's small
    negative taps. A weight of exactly 1 reproduces its keyframe bit for bit. ~10× faster here than a torch
    gather + matmul, which also suffers badly when the cores are shared.
    """
    import cv2

    n, h, w, c = frames.shape
    src = frames.numpy().reshape(n, -1, 1)
    out = np.empty((len(flat), h * w * c), np.uint8)
    acc = np.empty((h * w * c, 1), np.float32)
    for b in range(len(flat)):
        order = [j for j in np.argsort(-weight[b], kind="stable") if weight[b, j] != 0.0]
        acc[:] = src[flat[b, order[0]]]  # the running mean of the taps so far, normalised by their weight
        total = float(weight[b, order[0]])
        for j in order[1:]:
            total += float(weight[b, j])
            cv2.accumulateWeighted(src[flat[b, j]], acc, float(weight[b, j]) / total)
        if abs(total - 1.0) > 1e-9:
            acc *= total
        np.add(acc, 0.5, out=acc)
        np.clip(acc, 0, 255, out=acc)
        out[b] = acc.reshape(-1)
    return torch.from_numpy(out.reshape(len(flat), h, w, c))


# ---- the atlas ---------------------------------------------------------------------------------------------
def axis_coords(lo: float, hi: float, n: int) -> np.ndarray:
    """n keyframe coordinates over [lo, hi], evenly spaced on each side of 0, with 0 (the face as it is,
    where it spends most time, and where the additive parts cancel exactly) always one of them."""
    if not lo <= 0 <= hi:
        raise ValueError(f"range {lo}..{hi} must contain 0")
    if lo == hi:
        return np.array([0.0])
    n_neg = int(round((n - 1) * (-lo) / (hi - lo)))
    n_neg = min(max(n_neg, 1 if lo < 0 else 0), n - 1 - (1 if hi > 0 else 0))
    neg = np.linspace(lo, 0.0, n_neg + 1) if n_neg else np.array([0.0])
    pos = np.linspace(0.0, hi, n - n_neg)
    return np.concatenate([neg[:-1], pos])


@dataclass
class Component:
    """One grid of the atlas: these controls vary over their coordinates, the others stay at 0."""

    controls: tuple[int, ...]
    coef: float
    offset: int = 0


def decompose(names: tuple[str, ...]) -> list[Component]:
    """A(local, yaw) per local control, minus the shared yaw line counted once too often; one full grid
    when there is no head turn or only two controls."""
    k = len(names)
    if "yaw" not in names or k <= 2:
        return [Component(tuple(range(k)), 1.0)]
    pivot = names.index("yaw")
    others = [i for i in range(k) if i != pivot]
    return [Component((i, pivot), 1.0) for i in others] + [Component((pivot,), 1.0 - len(others))]


@dataclass
class KeyframeAtlas:
    names: tuple[str, ...]
    axes: list[np.ndarray]              # keyframe coordinates per control (shared by the components)
    modes: list[str]                    # interpolation per control: "linear" or "cubic"
    components: list[Component]
    levels: dict[int, torch.Tensor]     # size -> uint8 [N, size, size, 3], the components one after another
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        offset = 0
        for c in self.components:
            c.offset = offset
            offset += self.component_size(c)

    def component_size(self, comp: Component) -> int:
        return int(np.prod([len(self.axes[k]) for k in comp.controls]))

    @property
    def count(self) -> int:
        return sum(self.component_size(c) for c in self.components)

    def keyframe_points(self, comp: Component | None = None) -> np.ndarray:
        """The control vectors of the keyframes (of one component, or all in bank order): [N, K]."""
        comps = [comp] if comp is not None else self.components
        out = []
        for c in comps:
            pts = np.zeros((self.component_size(c), len(self.names)))
            pts[:, list(c.controls)] = grid_points([self.axes[k] for k in c.controls])
            out.append(pts)
        return np.concatenate(out)

    def taps(self, controls: np.ndarray, crossfade: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Keyframe indices [B, M] and weights [B, M] for controls [B, K]."""
        controls = np.asarray(controls, np.float64).reshape(-1, len(self.names))
        flats, weights = [], []
        for c in self.components:
            modes = ["linear" if crossfade else self.modes[k] for k in c.controls]
            f, w = grid_weights([self.axes[k] for k in c.controls], modes, controls[:, list(c.controls)])
            flats.append(f + c.offset)
            weights.append(w * c.coef)
        return np.concatenate(flats, 1), np.concatenate(weights, 1)

    def level_for(self, size: int) -> int:
        fits = [s for s in self.levels if s >= size]
        if not fits:
            raise ValueError(f"the atlas holds frames up to {max(self.levels)}², not {size}²; "
                             f"ask for a smaller size or rebuild it with a larger level")
        return min(fits)

    def render(self, controls: np.ndarray, size: int, crossfade: bool = False) -> torch.Tensor:
        """Controls [B, K] -> uint8 [B, size, size, 3]; crossfade=True blends linearly (for comparison)."""
        level = self.level_for(size)
        flat, weight = self.taps(controls, crossfade)
        out = blend(self.levels[level], flat, weight)
        if level != size:
            import cv2

            out = torch.from_numpy(np.stack([cv2.resize(f, (size, size), interpolation=cv2.INTER_AREA)
                                             for f in out.numpy()]))
        return out

    def save(self, path: Path) -> None:
        from safetensors.torch import save_file

        meta = {k: v for k, v in self.meta.items() if k != "path"}
        meta = dict(meta, names=list(self.names), axes=[a.tolist() for a in self.axes], modes=self.modes,
                    components=[[list(c.controls), c.coef] for c in self.components], version=ATLAS_VERSION)
        tmp = path.with_suffix(".tmp")
        save_file({f"level{s}": t.contiguous() for s, t in self.levels.items()}, str(tmp),
                  metadata={"meta": json.dumps(meta)})
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> "KeyframeAtlas":
        from safetensors import safe_open

        with safe_open(str(path), "pt") as f:
            meta = json.loads(f.metadata()["meta"])
            levels = {int(k.removeprefix("level")): f.get_tensor(k) for k in f.keys()}
        if meta.pop("version", None) != ATLAS_VERSION:
            raise ValueError(f"{path} is an atlas of another version; delete it to rebuild")
        names = tuple(meta.pop("names"))
        axes = [np.asarray(a, np.float64) for a in meta.pop("axes")]
        modes = meta.pop("modes")
        comps = [Component(tuple(c), float(coef)) for c, coef in meta.pop("components")]
        return cls(names, axes, modes, comps, levels, meta)


def taps_per_frame(components: list[Component], modes: list[str]) -> int:
    return sum(int(np.prod([4 if modes[k] == "cubic" else 2 for k in c.controls])) for c in components)


# ---- building ----------------------------------------------------------------------------------------------
class _Renderer:
    """Exact renders of one face at a few control vectors, batched, with a progress bar."""

    def __init__(self, walk: LatentWalk, seed: int, sizes: tuple[int, ...], batch: int = 4):
        self.walk, self.face, self.sizes, self.batch = walk, walk.face(seed), sizes, batch

    def __call__(self, controls: np.ndarray, desc: str | None = None, bar: tqdm | None = None) -> dict[int, torch.Tensor]:
        from render.walk import to_size_uint8

        out: dict[int, list[torch.Tensor]] = {s: [] for s in self.sizes}
        own = bar is None and desc is not None
        bar = tqdm(total=len(controls), desc=desc, unit="frame", leave=False) if own else bar
        for i in range(0, len(controls), self.batch):
            c = controls[i:i + self.batch]
            with torch.inference_mode():
                images = self.walk.gen.synthesize(self.walk.compose([self.face] * len(c), c))
                for s in self.sizes:
                    out[s].append(to_size_uint8(images, s).cpu())
            if bar is not None:
                bar.update(len(c))
        if own:
            bar.close()
        return {s: torch.cat(v) if v else torch.empty(0, s, s, 3, dtype=torch.uint8) for s, v in out.items()}


@dataclass
class AxisPlan:
    coords: np.ndarray
    mode: str
    cell_error: list[float]      # measured midpoint MAE per cell (/255), with `mode`
    error: float                 # mean of cell_error
    crossfade_error: float       # the same midpoints with a linear cross-fade


def plan_axis(render: _Renderer, k: int, lo: float, hi: float, budget: float, size: int,
              counts: tuple[int, ...] = GRID_COUNTS, desc: str = "") -> AxisPlan:
    """Coarsest spacing along control k whose midpoint error meets the budget (others at 0)."""
    kdim = len(render.walk.names)
    cache: dict[float, torch.Tensor] = {}

    def images(xs: np.ndarray) -> torch.Tensor:
        todo = [x for x in xs if round(float(x), 9) not in cache]
        if todo:
            c = np.zeros((len(todo), kdim))
            c[:, k] = todo
            for x, img in zip(todo, render(c, desc=desc)[size]):
                cache[round(float(x), 9)] = img
        return torch.stack([cache[round(float(x), 9)] for x in xs])

    plan = None
    for n in counts:
        coords = axis_coords(lo, hi, n)
        mids = (coords[:-1] + coords[1:]) / 2
        keys, exact = images(coords), images(mids).float()
        errs = {}
        for mode in ("linear", "cubic"):
            idx, w = axis_weights(coords, mids, mode)
            got = blend(keys, idx, w).float()
            errs[mode] = (got - exact).abs().mean(dim=(1, 2, 3)).tolist()
        mode = min(errs, key=lambda m: float(np.mean(errs[m])))
        plan = AxisPlan(coords, mode, errs[mode], float(np.mean(errs[mode])), float(np.mean(errs["linear"])))
        if plan.error <= budget:
            break
    return plan


def atlas_key(walk: LatentWalk, seed: int, levels: tuple[int, ...], budget: float,
              counts: tuple[int, ...] = GRID_COUNTS) -> str:
    """A digest of everything the keyframes depend on: generator, face, psi, directions, plan settings."""
    h = hashlib.sha256()
    gen = walk.gen
    h.update(f"v{ATLAS_VERSION}|{gen.name}|{gen.resolution}|{seed}|{walk.psi}|{levels}|{budget}|{counts}".encode())
    h.update(gen.w_avg.cpu().numpy().tobytes())
    params = list(gen.backend.synthesis.parameters())
    for p in (params[0], params[len(params) // 2], params[-1]):
        h.update(p.detach().cpu().float().numpy().tobytes()[:65536])
    h.update(json.dumps([list(walk.names), {n: list(r) for n, r in walk.directions.ranges.items()}]).encode())
    h.update(walk.directions.vectors.cpu().numpy().tobytes())
    return h.hexdigest()[:16]


def atlas_path(walk: LatentWalk, seed: int, levels: tuple[int, ...], budget: float,
               cache: Path | None = None, counts: tuple[int, ...] = GRID_COUNTS) -> Path:
    from weights.manifest import cache_dir

    folder = (cache or cache_dir()) / "atlas"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{walk.gen.name}-seed{seed}-{atlas_key(walk, seed, levels, budget, counts)}.safetensors"


def build_atlas(walk: LatentWalk, seed: int, levels: tuple[int, ...] = DEFAULT_LEVELS, budget: float = 1.5,
                measure_points: int = 12, counts: tuple[int, ...] = GRID_COUNTS, max_taps: int = 40,
                log: Callable[[str], None] = print) -> KeyframeAtlas:
    """Plan the keyframes by measurement, render each exactly, measure the in-between error.

    budget: target mean absolute midpoint error per control, in 0..255 levels at the smallest level.
    """
    levels = tuple(sorted(levels))
    res = walk.gen.resolution
    for s in levels:
        if s > res:
            raise ValueError(f"atlas level {s} is larger than the generator's {res}")
    render = _Renderer(walk, seed, levels)
    plans = []
    for k, name in enumerate(walk.names):
        lo, hi = walk.directions.ranges[name]
        plans.append(plan_axis(render, k, lo, hi, budget, levels[0], counts, desc=f"atlas: measuring {name}"))
        p = plans[-1]
        log(f"atlas: {name}: {len(p.coords)} keyframes over {lo:g}..{hi:g}, {p.mode} interpolation, midpoint "
            f"error {p.error:.2f}/255 (cross-fade {p.crossfade_error:.2f})")
    components = decompose(tuple(walk.names))
    # a frame blends this many keyframes: keep it bounded, giving up the cubic where it gains least
    while taps_per_frame(components, [p.mode for p in plans]) > max_taps:
        k = min((k for k, p in enumerate(plans) if p.mode == "cubic"),
                key=lambda k: plans[k].crossfade_error - plans[k].error)
        p = plans[k]
        plans[k] = AxisPlan(p.coords, "linear", p.cell_error, p.crossfade_error, p.crossfade_error)
        log(f"atlas: {walk.names[k]}: linear after all, to keep a frame within {max_taps} keyframes")
    atlas = KeyframeAtlas(tuple(walk.names), [p.coords for p in plans], [p.mode for p in plans], components, {},
                          meta={"seed": seed, "psi": walk.psi, "generator": walk.gen.name, "budget": budget,
                                "axis_error": [p.error for p in plans],
                                "axis_crossfade_error": [p.crossfade_error for p in plans],
                                "cell_error": [p.cell_error for p in plans]})
    points = atlas.keyframe_points()
    log(f"atlas: rendering {len(points)} keyframes ("
        + " + ".join("×".join(str(len(atlas.axes[k])) for k in c.controls) for c in components) + ")")
    with tqdm(total=len(points), desc="atlas: keyframes", unit="frame") as bar:
        atlas.levels = render(points, bar=bar)
    if measure_points:
        atlas.meta["measured"] = measure_atlas(atlas, walk, seed, measure_points)
        m = atlas.meta["measured"]
        for s in levels:
            log(f"atlas: {s}²: mean abs error vs exact renders of {measure_points} random in-between points: "
                f"{m[str(s)]['atlas']:.2f}/255 (plain cross-fade {m[str(s)]['crossfade']:.2f}/255)")
    return atlas


def measure_atlas(atlas: KeyframeAtlas, walk: LatentWalk, seed: int, points: int = 12,
                  rng_seed: int = 1234) -> dict:
    """MAE (/255) of atlas frames and of a plain cross-fade vs exact renders at random in-between points."""
    rng = np.random.default_rng(rng_seed)
    lo = np.array([walk.directions.ranges[n][0] for n in atlas.names])
    hi = np.array([walk.directions.ranges[n][1] for n in atlas.names])
    controls = lo + (hi - lo) * rng.random((points, len(lo)))
    exact = _Renderer(walk, seed, tuple(atlas.levels))(controls, desc="atlas: measuring error")
    out = {}
    for s, ref in exact.items():
        ref = ref.float()
        ours = (atlas.render(controls, s).float() - ref).abs().mean(dim=(1, 2, 3))
        fade = (atlas.render(controls, s, crossfade=True).float() - ref).abs().mean(dim=(1, 2, 3))
        out[str(s)] = {"atlas": float(ours.mean()), "crossfade": float(fade.mean()),
                       "atlas_max": float(ours.max()), "points": points}
    return out


def load_or_build_atlas(walk: LatentWalk, seed: int, levels: tuple[int, ...] = DEFAULT_LEVELS,
                        budget: float = 1.5, cache: Path | None = None, counts: tuple[int, ...] = GRID_COUNTS,
                        measure_points: int = 12, log: Callable[[str], None] = print) -> KeyframeAtlas:
    """The cached atlas for this generator, face and directions, built (with progress) on first use."""
    path = atlas_path(walk, seed, tuple(sorted(levels)), budget, cache, counts)
    atlas = None
    if path.exists():
        try:
            atlas = KeyframeAtlas.load(path)
        except Exception as e:  # a torn or stale file: rebuild rather than fail
            log(f"atlas: cannot read {path.name} ({e}); rebuilding")
    if atlas is None:
        log(f"atlas: first use for face {seed}: building it once (cached in {path.parent})")
        atlas = build_atlas(walk, seed, levels, budget, measure_points, counts, log=log)
        atlas.save(path)
    atlas.meta["path"] = str(path)
    return atlas


# ---- refinement ---------------------------------------------------------------------------------------------
class AtlasRefiner:
    """Spends spare time on exact renders that make the atlas finer where it measured worst.

    A refinement inserts one new coordinate on one control (the cell with the largest measured error,
    weighted toward 0 where the face spends its time) into every grid holding that control; a step renders
    a few of those keyframes, and when all are done the atlas swaps in the finer one (and saves it).
    """

    def __init__(self, atlas: KeyframeAtlas, walk: LatentWalk, seed: int, path: Path | None = None,
                 max_keyframes: int = 2000):
        self.atlas, self.walk, self.seed, self.path = atlas, walk, seed, path
        self.max_keyframes = max_keyframes
        self._render = _Renderer(walk, seed, tuple(atlas.levels))
        self._lock = threading.Lock()
        self._pending: tuple[int, int, float, np.ndarray, dict[int, list[torch.Tensor]]] | None = None
        self._cell_error = [list(e) for e in atlas.meta.get("cell_error",
                                                             [[1.0] * (len(a) - 1) for a in atlas.axes])]

    def _next(self) -> tuple[int, int] | None:
        best, where = 0.0, None
        for k, errs in enumerate(self._cell_error):
            coords = self.atlas.axes[k]
            span = max(abs(coords[0]), abs(coords[-1]), 1e-6)
            for i, e in enumerate(errs[:len(coords) - 1]):
                mid = 0.5 * (coords[i] + coords[i + 1])
                score = e * math.exp(-((mid / span) ** 2))
                if score > best:
                    best, where = score, (k, i)
        return where

    def _points(self, k: int, x: float) -> np.ndarray:
        """The new keyframes for coordinate x on control k, in component order."""
        out = []
        for c in self.atlas.components:
            if k in c.controls:
                axes = [self.atlas.axes[j] if j != k else np.array([x]) for j in c.controls]
                pts = np.zeros((int(np.prod([len(a) for a in axes])), len(self.atlas.names)))
                pts[:, list(c.controls)] = grid_points(axes)
                out.append(pts)
        return np.concatenate(out)

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
        old = self.atlas
        levels = {}
        for s, bank in old.levels.items():
            parts, used = [], 0
            for c in old.components:
                block = bank[c.offset:c.offset + old.component_size(c)]
                if k in c.controls:
                    shape = [len(old.axes[j]) for j in c.controls]
                    pos = c.controls.index(k)
                    plane_shape = shape.copy()
                    plane_shape[pos] = 1
                    n_new = int(np.prod(plane_shape))
                    plane = new[s][used:used + n_new].reshape(*plane_shape, s, s, 3)
                    used += n_new
                    grid = block.reshape(*shape, s, s, 3)
                    block = torch.cat([grid.narrow(pos, 0, i + 1), plane,
                                       grid.narrow(pos, i + 1, shape[pos] - i - 1)], dim=pos).reshape(-1, s, s, 3)
                parts.append(block)
            levels[s] = torch.cat(parts).contiguous()
        axes = [a.copy() for a in old.axes]
        axes[k] = np.insert(axes[k], i + 1, x)
        e = self._cell_error[k][i]
        factor = 0.25 if old.modes[k] == "linear" else 0.125  # error shrinks with the square/cube of spacing
        self._cell_error[k][i:i + 1] = [e * factor, e * factor]
        meta = dict(old.meta, cell_error=self._cell_error, refined=old.meta.get("refined", 0) + 1)
        comps = [Component(c.controls, c.coef) for c in old.components]
        self.atlas = KeyframeAtlas(old.names, axes, old.modes, comps, levels, meta)
        if self.path is not None:
            self.atlas.save(self.path)
        return self.atlas

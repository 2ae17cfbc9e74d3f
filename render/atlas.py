"""The CPU path: a keyframe atlas of one face's expression space, interpolated per frame.

A full synthesis pass costs ~0.2 s on 2 cores, so the CPU cannot render 30 frames/s exactly. Instead the face
is rendered exactly, once, at keyframes over the controls' ranges, and a frame is a weighted sum of
neighbouring keyframes. The keyframes are one tensor grid over all controls, so a frame is exact at every
node whatever the mix of controls (the controls are not additive in pixels: an eye edit on a turned head is
not the eye edit on a frontal one). Along each control the interpolation is a Catmull-Rom cubic (Hermite
with finite-difference tangents, non-uniform spacing) or a plain linear cross-fade, whichever measured closer
to exact renders when the atlas was built.

This module is what serving needs: the interpolation weights, the blend, `KeyframeAtlas` and the cache key
of an atlas. Planning and building one is offline code (`render.atlas_building`); `render.atlas_cache` loads
the cached atlas of a face, and `render.atlas_refiner` makes it finer in spare time.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from render.atlas_file import AtlasFile, Segment, write_atlas_file

ATLAS_VERSION = 5
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
    controls = np.asarray(controls, np.float64)
    b = controls.shape[0]
    controls = controls.reshape(b, len(axes))
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


def taps_per_frame(modes: list[str]) -> int:
    """Keyframes blended per frame: 4 per cubic control, 2 per linear one, multiplied."""
    return int(np.prod([4 if m == "cubic" else 2 for m in modes]))


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
@dataclass
class KeyframeAtlas:
    """Keyframes of one face on a tensor grid over all controls, at one or more frame sizes (levels)."""

    names: tuple[str, ...]
    axes: list[np.ndarray]              # keyframe coordinates per control
    modes: list[str]                    # interpolation per control: "linear" or "cubic"
    levels: dict[int, torch.Tensor]     # size -> uint8 [N, size, size, 3], flat grid order (last control fastest)
    meta: dict = field(default_factory=dict)
    file: AtlasFile | None = field(default=None, repr=False, compare=False)  # set when levels map a file

    @property
    def count(self) -> int:
        return int(np.prod([len(a) for a in self.axes]))

    def keyframe_points(self) -> np.ndarray:
        """The control vectors of the keyframes, in flat order: [N, K]."""
        return grid_points(self.axes)

    def taps(self, controls: np.ndarray, crossfade: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Keyframe indices [B, M] and weights [B, M] for controls [B, K]."""
        controls = np.asarray(controls, np.float64).reshape(-1, len(self.names))
        modes = ["linear"] * len(self.modes) if crossfade else self.modes
        return grid_weights(self.axes, modes, controls)

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

    def rows(self, size: int, start: int, count: int) -> Segment:
        """Keyframes [start, start + count) of one level, as rows of its file when it has one (copied without
        mapping them) or else as a tensor."""
        if self.file is not None and self.file.mapped.get(size) is self.levels[size]:
            return self.file.rows(size, start, count)
        return self.levels[size][start:start + count]

    def file_meta(self) -> dict:
        """What an atlas file stores besides the keyframes. `components` names the one grid over all controls
        (coefficient 1), as version-5 files hold it."""
        meta = {k: v for k, v in self.meta.items() if k != "path"}
        return dict(meta, names=list(self.names), axes=[a.tolist() for a in self.axes], modes=self.modes,
                    components=[[list(range(len(self.names))), 1.0, None, False]], layout="grid",
                    version=ATLAS_VERSION)

    def save(self, path: Path) -> None:
        write_atlas_file(path, {s: (tuple(t.shape), [self.rows(s, 0, len(t))]) for s, t in self.levels.items()},
                         self.file_meta())

    @classmethod
    def load(cls, path: Path) -> "KeyframeAtlas":
        """Open an atlas file, its levels memory-mapped."""
        f = AtlasFile(path)
        meta = dict(f.meta)
        version = meta.pop("version", None)
        names = tuple(meta.pop("names", ()))
        grid = [[list(range(len(names))), 1.0, None, False]]
        if version != ATLAS_VERSION or meta.pop("components", None) != grid:
            raise ValueError(f"{path} is an atlas file this version cannot read (another format or layout); "
                             "delete it and run `ohlora serve --prepare` to rebuild it")
        axes = [np.asarray(a, np.float64) for a in meta.pop("axes")]
        modes = meta.pop("modes")
        return cls(names, axes, modes, {s: f.level(s) for s in f.shapes}, meta, f)


# ---- the cache key ------------------------------------------------------------------------------------------
def _digest(fields: str, walk) -> str:
    """sha256 of the fields, the generator's weights (sampled) and the directions, 16 hex digits."""
    h = hashlib.sha256(fields.encode())
    gen = walk.gen
    h.update(gen.w_avg.cpu().numpy().tobytes())
    params = list(gen.backend.synthesis.parameters())
    for p in (params[0], params[len(params) // 2], params[-1]):
        h.update(p.detach().cpu().float().numpy().tobytes()[:65536])
    h.update(json.dumps([list(walk.names), {n: list(r) for n, r in walk.directions.ranges.items()}]).encode())
    h.update(walk.directions.vectors.cpu().numpy().tobytes())
    if walk.directions.layers is not None:
        h.update(walk.directions.layers.cpu().numpy().tobytes())
    return h.hexdigest()[:16]


def atlas_key(walk, seed: int, levels: tuple[int, ...], budget: float, counts: tuple[int, ...] = GRID_COUNTS,
              max_keyframes: int = 1000) -> str:
    """A digest of everything the keyframes depend on: generator, face, psi, directions, plan settings."""
    gen = walk.gen
    # "-5" and "auto|" are fixed fields of the digest: they keep the names of atlases already cached valid
    return _digest(f"v{ATLAS_VERSION}|{gen.name}|{gen.resolution}|{seed}|{walk.psi}|{levels}|{budget}|"
                   f"{tuple(counts) + (-5,)}auto|{max_keyframes}", walk)


def source_key(walk, seed: int) -> str:
    """What the keyframe pixels depend on (generator, face, psi, directions), not the plan: atlases with the
    same source key can share keyframes."""
    gen = walk.gen
    return _digest(f"v3|{gen.name}|{gen.resolution}|{seed}|{walk.psi}|()|0.0|()", walk)


def atlas_path(walk, seed: int, levels: tuple[int, ...], budget: float, cache: Path | None = None,
               counts: tuple[int, ...] = GRID_COUNTS, max_keyframes: int = 1000) -> Path:
    """Where the atlas of these settings is cached: <cache>/atlas/<generator>-seed<seed>-<key>.safetensors."""
    from weights.manifest import cache_dir

    folder = (cache or cache_dir()) / "atlas"
    folder.mkdir(parents=True, exist_ok=True)
    key = atlas_key(walk, seed, levels, budget, counts, max_keyframes)
    return folder / f"{walk.gen.name}-seed{seed}-{key}.safetensors"

"""The CPU path: a keyframe atlas of one face's expression space, interpolated per frame.

A full synthesis pass costs ~0.2 s on 2 cores, so the CPU cannot render 30 frames/s exactly. Instead the
face is rendered exactly, once, at keyframes over the controls' ranges, and a frame is a weighted sum of
neighbouring keyframes:

- the keyframes are one tensor grid over all controls (`layout="grid"`), interpolated per control and
  exact at every node. A cheaper-looking layout — one grid per pair of controls plus a coarse grid of the
  interaction of all of them (`layout="pairwise"`, the earlier default) — measured 3.6–3.8/255 at mixed
  points with 441 keyframes against 1.6–1.8/255 for a full 5×5×17 grid of 425: the controls are not
  additive in pixels (an eye edit on a turned head is not the eye edit on a frontal one). The pairwise
  layout stays for many controls, where a full grid cannot fit (`max_keyframes`);
- the number of keyframes per control is chosen by measurement (`plan_grid`): render each control's line
  (the others at 0) and the midpoints of its cells, and refine, greedily, the control whose midpoint error
  drops most per added keyframe until the errors summed over the controls meet the budget. At mixed
  in-between points the grid's error measured ≈ 0.35–0.45 × that sum;
- along each control the interpolation is a Catmull-Rom cubic (Hermite with finite-difference tangents,
  non-uniform spacing) or a plain linear cross-fade, whichever measured closer to the exact midpoints;
- `measure_atlas` reports the mean absolute error of atlas frames against exact renders at points a
  streamed conversation visits and at uniformly random points, beside a plain (multi)linear cross-fade of
  the same keyframes; `study_grid` measures the error against the number of keyframes per control;
- `AtlasRefiner` spends spare time inserting exact keyframe planes where the measured error is largest.

Atlases are cached on disk keyed by generator, face, directions and the plan's settings.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Callable, Union

import numpy as np
import torch
from tqdm import tqdm

from render.generator import release_cpu_memory
from render.walk import LatentWalk

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


# ---- atlas files ---------------------------------------------------------------------------------------------
# Atlas files are plain safetensors (uint8 tensors "level<size>", the layout in the metadata), written and read
# here without safetensors' helpers: `save_file` serializes every tensor to bytes first (a second copy of a
# ~0.5 GB atlas), and a served atlas is a read-only memory map of its file, so that frames of one size touch
# only that level's pages, a refinement costs no copy in memory, and nothing of it stays on the heap.

@dataclass(frozen=True)
class FileRows:
    """Bytes [offset, offset + nbytes) of an open file: keyframes copied file to file, never mapped."""

    fd: int
    offset: int
    nbytes: int


Segment = Union[torch.Tensor, FileRows]


class AtlasFile:
    """An open atlas file; kept open as long as its atlas, so its rows stay readable when the path is replaced
    (a refinement writes the next file under the same name)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.file: BinaryIO = open(self.path, "rb")
        n = int.from_bytes(self.file.read(8), "little")
        header = json.loads(self.file.read(n))
        self.meta: dict = json.loads(header.pop("__metadata__")["meta"])
        start = 8 + n
        self.shapes: dict[int, tuple[int, ...]] = {}
        self.offsets: dict[int, int] = {}
        for key, info in header.items():
            shape = tuple(int(d) for d in info["shape"])
            b, e = info["data_offsets"]
            if not key.startswith("level") or info["dtype"] != "U8" or e - b != math.prod(shape):
                raise ValueError(f"{path}: '{key}' is not an atlas level")
            self.shapes[int(key.removeprefix("level"))] = shape
            self.offsets[int(key.removeprefix("level"))] = start + b

        self.mapped: dict[int, torch.Tensor] = {}

    def level(self, size: int) -> torch.Tensor:
        """The keyframes of one level, memory-mapped (copy-on-write: a stray write never reaches the file)."""
        if size not in self.mapped:
            shape = self.shapes[size]
            self.mapped[size] = torch.empty(shape, dtype=torch.uint8) if not math.prod(shape) else \
                torch.from_numpy(np.memmap(self.file, np.uint8, "c", self.offsets[size], shape))
        return self.mapped[size]

    def rows(self, size: int, start: int, count: int) -> FileRows:
        row = math.prod(self.shapes[size][1:])
        return FileRows(self.file.fileno(), self.offsets[size] + start * row, count * row)


def _write_all(fd: int, data: memoryview) -> None:
    while len(data):
        data = data[os.write(fd, data):]


def _copy_range(src: FileRows, fd: int) -> None:
    offset, left = src.offset, src.nbytes
    try:
        while left:  # in the kernel: no user-space buffer, no page of it mapped into this process
            n = os.copy_file_range(src.fd, fd, left, offset)
            if n == 0:
                raise OSError("copy_file_range copied nothing")
            offset, left = offset + n, left - n
    except (AttributeError, OSError):  # not Linux, or a file system without it: plain reads, 8 MB at a time
        while left:
            chunk = os.pread(src.fd, min(left, 8 << 20), offset)
            if not chunk:
                raise OSError(f"atlas file ended {left} bytes early")
            _write_all(fd, memoryview(chunk))
            offset, left = offset + len(chunk), left - len(chunk)


def write_atlas_file(path: Path, levels: dict[int, tuple[tuple[int, ...], list[Segment]]], meta: dict) -> None:
    """Write an atlas file from pieces of keyframes (tensors in memory, or rows of another open file) without
    assembling any level in memory; atomic (a temporary file, then rename)."""
    header: dict = {"__metadata__": {"meta": json.dumps(meta)}}
    end = 0
    for s in sorted(levels):
        shape, parts = levels[s]
        n = math.prod(shape)
        if sum(p.nbytes if isinstance(p, FileRows) else p.numel() for p in parts) != n:
            raise ValueError(f"atlas level {s}: the pieces do not add up to {list(shape)}")
        header[f"level{s}"] = {"dtype": "U8", "shape": list(shape), "data_offsets": [end, end + n]}
        end += n
    blob = json.dumps(header, separators=(",", ":")).encode()
    blob += b" " * (-len(blob) % 8)  # safetensors pads its header to 8 bytes
    tmp = path.with_name(f"{path.name}.tmp{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        _write_all(fd, memoryview(len(blob).to_bytes(8, "little") + blob))
        for s in sorted(levels):
            for part in levels[s][1]:
                if isinstance(part, FileRows):
                    _copy_range(part, fd)
                elif part.numel():
                    _write_all(fd, memoryview(part.contiguous().numpy()).cast("B"))
    except BaseException:
        os.close(fd)
        tmp.unlink(missing_ok=True)
        raise
    os.close(fd)
    tmp.replace(path)


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
    """One grid of the atlas: these controls vary over their coordinates, the others stay at 0.

    axes: own coordinates (None: the atlas's); linear: interpolate linearly whatever the atlas's modes.
    """

    controls: tuple[int, ...]
    coef: float
    offset: int = 0
    axes: list[np.ndarray] | None = None
    linear: bool = False


def decompose(names: tuple[str, ...]) -> list[Component]:
    """Second-order cut decomposition around the face as it is (all controls 0):
    f(c) ≈ Σ_{i<j} f(c_i, c_j) − (K−2) Σ_i f(c_i) + C(K−1, 2) f(0), each term a grid with the other controls
    at 0. Exact whenever at most two controls are away from 0; otherwise off by the three-way interaction
    only. Grids of all pairs instead of one K-dimensional grid: 3·9·17 renders instead of 9·17·17 and far
    fewer for more controls. One full grid for K ≤ 2."""
    k = len(names)
    if k <= 2:
        return [Component(tuple(range(k)), 1.0)]
    pairs = [Component((i, j), 1.0) for i in range(k) for j in range(i + 1, k)]
    singles = [Component((i,), -(k - 2.0)) for i in range(k)]
    return pairs + singles + [Component((), float(math.comb(k - 1, 2)))]


@dataclass
class KeyframeAtlas:
    names: tuple[str, ...]
    axes: list[np.ndarray]              # keyframe coordinates per control (shared by the components)
    modes: list[str]                    # interpolation per control: "linear" or "cubic"
    components: list[Component]
    levels: dict[int, torch.Tensor]     # size -> uint8 [N, size, size, 3], the components one after another
    meta: dict = field(default_factory=dict)
    file: AtlasFile | None = field(default=None, repr=False, compare=False)  # set when levels map a file

    def __post_init__(self) -> None:
        offset = 0
        for c in self.components:
            c.offset = offset
            offset += self.component_size(c)

    def component_axes(self, comp: Component) -> list[np.ndarray]:
        return comp.axes if comp.axes is not None else [self.axes[k] for k in comp.controls]

    def component_size(self, comp: Component) -> int:
        return int(np.prod([len(a) for a in self.component_axes(comp)]))

    @property
    def count(self) -> int:
        return sum(self.component_size(c) for c in self.components)

    def keyframe_points(self, comp: Component | None = None) -> np.ndarray:
        """The control vectors of the keyframes (of one component, or all in bank order): [N, K]."""
        comps = [comp] if comp is not None else self.components
        out = []
        for c in comps:
            pts = np.zeros((self.component_size(c), len(self.names)))
            if c.controls:
                pts[:, list(c.controls)] = grid_points(self.component_axes(c))
            out.append(pts)
        return np.concatenate(out)

    def taps(self, controls: np.ndarray, crossfade: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Keyframe indices [B, M] and weights [B, M] for controls [B, K]."""
        controls = np.asarray(controls, np.float64).reshape(-1, len(self.names))
        flats, weights = [], []
        for c in self.components:
            modes = ["linear" if crossfade or c.linear else self.modes[k] for k in c.controls]
            f, w = grid_weights(self.component_axes(c), modes, controls[:, list(c.controls)])
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

    def rows(self, size: int, start: int, count: int) -> Segment:
        """Keyframes [start, start + count) of one level, as rows of its file when it has one (copied without
        mapping them) or else as a tensor."""
        if self.file is not None and self.file.mapped.get(size) is self.levels[size]:
            return self.file.rows(size, start, count)
        return self.levels[size][start:start + count]

    def file_meta(self) -> dict:
        """What an atlas file stores besides the keyframes."""
        meta = {k: v for k, v in self.meta.items() if k != "path"}
        return dict(meta, names=list(self.names), axes=[a.tolist() for a in self.axes], modes=self.modes,
                    components=[[list(c.controls), c.coef, None if c.axes is None else [a.tolist() for a in c.axes],
                                 c.linear] for c in self.components], version=ATLAS_VERSION)

    def save(self, path: Path) -> None:
        write_atlas_file(path, {s: (tuple(t.shape), [self.rows(s, 0, len(t))]) for s, t in self.levels.items()},
                         self.file_meta())

    @classmethod
    def load(cls, path: Path, any_version: bool = False) -> "KeyframeAtlas":
        """Open an atlas file, its levels memory-mapped; any_version=True also reads older layouts (to take
        over their keyframes)."""
        f = AtlasFile(path)
        meta = dict(f.meta)
        version = meta.pop("version", None)
        if version != ATLAS_VERSION and not (any_version and version in (2, 3, 4, ATLAS_VERSION)):
            raise ValueError(f"{path} is an atlas of another version; delete it to rebuild")
        names = tuple(meta.pop("names"))
        axes = [np.asarray(a, np.float64) for a in meta.pop("axes")]
        modes = meta.pop("modes")
        comps = [Component(tuple(c[0]), float(c[1]), 0,
                           None if len(c) < 3 or c[2] is None else [np.asarray(a, np.float64) for a in c[2]],
                           bool(c[3]) if len(c) > 3 else False) for c in meta.pop("components")]
        return cls(names, axes, modes, comps, {s: f.level(s) for s in f.shapes}, meta, f)


def taps_per_frame(components: list[Component], modes: list[str]) -> int:
    return sum(int(np.prod([4 if modes[k] == "cubic" and not c.linear else 2 for k in c.controls]))
               for c in components)


def add_residual(atlas: KeyframeAtlas, walk: LatentWalk, seed: int, points: int = 5,
                 log: Callable[[str], None] = print, render: Callable | None = None) -> KeyframeAtlas:
    """Correct what the pairwise parts miss (the interaction of three or more controls) with a coarse
    grid over all controls of exact − pairwise, interpolated linearly.

    The residual is 0 wherever a control is at 0, so only nodes with every control away from 0 are
    rendered ((points − 1)^K of them). It is stored as uint8 around 128 and a constant 128 frame is
    subtracted, so a frame is still one weighted sum of keyframes.
    """
    k = len(atlas.names)
    if k < 3:
        return atlas
    axes = [axis_coords(*walk.directions.ranges[n], points) for n in atlas.names]
    nodes = grid_points(axes)
    away = np.all(np.abs(nodes) > 1e-12, axis=1)
    log(f"atlas: rendering {int(away.sum())} keyframes for the {k}-way interaction")
    with tqdm(total=int(away.sum()), desc="atlas: interaction", unit="frame") as bar:
        exact = (render or _Renderer(walk, seed, tuple(atlas.levels)))(nodes[away], bar=bar)
    levels = {}
    for s, bank in atlas.levels.items():
        res = torch.full((len(nodes), s, s, 3), 128, dtype=torch.uint8)
        if away.any():
            pair = atlas.render(nodes[away], s).int()
            res[torch.from_numpy(np.flatnonzero(away))] = (exact[s].int() - pair + 128).clamp(0, 255).to(torch.uint8)
        gray = torch.full((1, s, s, 3), 128, dtype=torch.uint8)
        levels[s] = torch.cat([bank, res, gray])
    comps = [Component(c.controls, c.coef, 0, c.axes, c.linear) for c in atlas.components]
    comps += [Component(tuple(range(k)), 1.0, 0, axes, True), Component((), -1.0)]
    return KeyframeAtlas(atlas.names, atlas.axes, atlas.modes, comps, levels, dict(atlas.meta, residual=points))


# ---- building ----------------------------------------------------------------------------------------------
class _Renderer:
    """Exact renders of one face at a few control vectors, batched, with a progress bar.

    keep=True remembers every frame by its control vector (an atlas build renders the planning lines once
    and finds them again among the keyframes); `remember` seeds it with frames rendered earlier.
    """

    def __init__(self, walk: LatentWalk, seed: int, sizes: tuple[int, ...], batch: int = 4, keep: bool = False):
        self.walk, self.face, self.sizes, self.batch = walk, walk.face(seed), sizes, batch
        self.cache: dict[tuple, dict[int, torch.Tensor]] | None = {} if keep else None
        self.rendered = 0  # exact renders so far (cache hits excluded)

    @staticmethod
    def point_key(point: np.ndarray) -> tuple:
        return tuple(np.round(np.asarray(point, np.float64), 9).tolist())

    def remember(self, point: np.ndarray, frames: dict[int, torch.Tensor]) -> None:
        if self.cache is not None:
            self.cache[self.point_key(point)] = frames

    def __call__(self, controls: np.ndarray, desc: str | None = None, bar: tqdm | None = None) -> dict[int, torch.Tensor]:
        from render.walk import to_size_uint8

        controls = np.asarray(controls, np.float64).reshape(-1, len(self.walk.names))
        todo = list(range(len(controls)))
        if self.cache is not None:
            todo = [i for i in todo if self.point_key(controls[i]) not in self.cache]
            seen: dict[tuple, int] = {}
            todo = [seen.setdefault(self.point_key(controls[i]), i) for i in todo]
            todo = sorted(set(todo))
        got: dict[int, dict[int, torch.Tensor]] = {}
        own = bar is None and desc is not None
        bar = tqdm(total=len(todo), desc=desc, unit="frame", leave=False) if own else bar
        for i in range(0, len(todo), self.batch):
            rows = todo[i:i + self.batch]
            c = controls[rows]
            with torch.inference_mode():
                images = self.walk.gen.synthesize(self.walk.compose([self.face] * len(c), c))
                frames = {s: to_size_uint8(images, s).cpu() for s in self.sizes}
            for j, r in enumerate(rows):
                got[r] = {s: frames[s][j] for s in self.sizes}
                self.remember(controls[r], got[r])
            self.rendered += len(rows)
            if bar is not None:
                bar.update(len(rows))
        if own:
            bar.close()
        if not len(controls):
            return {s: torch.empty(0, s, s, 3, dtype=torch.uint8) for s in self.sizes}

        def frame(i: int) -> dict[int, torch.Tensor]:
            return got[i] if i in got else self.cache[self.point_key(controls[i])]

        return {s: torch.stack([frame(i)[s] for i in range(len(controls))]) for s in self.sizes}


@dataclass
class AxisPlan:
    coords: np.ndarray
    mode: str
    cell_error: list[float]      # measured midpoint MAE per cell (/255), with `mode`
    error: float                 # mean of cell_error
    crossfade_error: float       # the same midpoints with a linear cross-fade


def measure_axis(render: _Renderer, k: int, lo: float, hi: float, n: int, size: int, desc: str = "") -> AxisPlan:
    """Render control k's line at n keyframes and its cell midpoints (the others at 0) and measure the
    midpoint error of a cross-fade and of the cubic; the plan takes the better of the two."""
    coords = axis_coords(lo, hi, n)
    mids = (coords[:-1] + coords[1:]) / 2
    pts = np.zeros((len(coords) + len(mids), len(render.walk.names)))
    pts[:, k] = np.concatenate([coords, mids])
    frames = render(pts, desc=desc)[size]
    keys, exact = frames[:len(coords)], frames[len(coords):].float()
    if not len(mids):
        return AxisPlan(coords, "linear", [], 0.0, 0.0)
    errs = {}
    for mode in ("linear", "cubic"):
        idx, w = axis_weights(coords, mids, mode)
        errs[mode] = (blend(keys, idx, w).float() - exact).abs().mean(dim=(1, 2, 3)).tolist()
    mode = min(errs, key=lambda m: float(np.mean(errs[m])))
    return AxisPlan(coords, mode, errs[mode], float(np.mean(errs[mode])), float(np.mean(errs["linear"])))


def layout_count(layout: str, sizes: list[int]) -> int:
    """Keyframes of a layout with these coordinates per control (see `decompose` for "pairwise")."""
    if layout == "grid" or len(sizes) <= 2:
        return int(np.prod(sizes))
    pairs = sum(sizes[i] * sizes[j] for i in range(len(sizes)) for j in range(i + 1, len(sizes)))
    return pairs + sum(sizes) + 1


def plan_grid(render: _Renderer, names: tuple[str, ...], ranges: dict[str, tuple[float, float]], budget: float,
              size: int, counts: tuple[int, ...] = GRID_COUNTS, max_keyframes: int = 1000, layout: str = "grid",
              log: Callable[[str], None] = print) -> list[AxisPlan]:
    """Keyframes per control, by measurement: start every control at the coarsest count; while the midpoint
    errors summed over the controls exceed `budget`, give the next count to the control whose error drops
    most per (logarithmic) growth of the atlas, as long as the atlas stays within `max_keyframes`.

    Counts should nest (3, 5, 9, 17: each adds the previous one's midpoints), so a finer measurement renders
    only the new midpoints.
    """
    level = [0] * len(names)
    plans = [measure_axis(render, k, *ranges[n], counts[0], size, desc=f"atlas: measuring {n}")
             for k, n in enumerate(names)]
    while sum(p.error for p in plans) > budget:
        best: tuple[float, int, AxisPlan] | None = None
        for k, name in enumerate(names):
            if level[k] + 1 >= len(counts) or ranges[name][0] == ranges[name][1]:
                continue
            nxt = measure_axis(render, k, *ranges[name], counts[level[k] + 1], size, desc=f"atlas: measuring {name}")
            sizes = [len(p.coords) for p in plans]
            before = layout_count(layout, sizes)
            sizes[k] = len(nxt.coords)
            after = layout_count(layout, sizes)
            if after > max_keyframes:
                continue
            gain = (plans[k].error - nxt.error) / max(math.log(after / before), 1e-9)
            if best is None or gain > best[0]:
                best = (gain, k, nxt)
        if best is None or best[0] <= 0:
            break
        _, k, plans[k] = best
        level[k] += 1
        log(f"atlas: {names[k]} → {len(plans[k].coords)} keyframes (midpoint error {plans[k].error:.2f}/255); "
            f"sum over controls {sum(p.error for p in plans):.2f} (budget {budget:g})")
    return plans


def atlas_key(walk: LatentWalk, seed: int, levels: tuple[int, ...], budget: float,
              counts: tuple[int, ...] = GRID_COUNTS, version: int = ATLAS_VERSION, settings: str = "") -> str:
    """A digest of everything the keyframes depend on: generator, face, psi, directions, plan settings."""
    h = hashlib.sha256()
    gen = walk.gen
    h.update(f"v{version}|{gen.name}|{gen.resolution}|{seed}|{walk.psi}|{levels}|{budget}|{counts}".encode())
    if settings:
        h.update(settings.encode())
    h.update(gen.w_avg.cpu().numpy().tobytes())
    params = list(gen.backend.synthesis.parameters())
    for p in (params[0], params[len(params) // 2], params[-1]):
        h.update(p.detach().cpu().float().numpy().tobytes()[:65536])
    h.update(json.dumps([list(walk.names), {n: list(r) for n, r in walk.directions.ranges.items()}]).encode())
    h.update(walk.directions.vectors.cpu().numpy().tobytes())
    if walk.directions.layers is not None:
        h.update(walk.directions.layers.cpu().numpy().tobytes())
    return h.hexdigest()[:16]


def source_key(walk: LatentWalk, seed: int) -> str:
    """What the keyframe pixels depend on (generator, face, psi, directions), not the layout: atlases with
    the same source key can share keyframes."""
    return atlas_key(walk, seed, (), 0.0, (), version=3)  # fixed: the pixels do not change with the layout


def atlas_path(walk: LatentWalk, seed: int, levels: tuple[int, ...], budget: float,
               cache: Path | None = None, counts: tuple[int, ...] = GRID_COUNTS, settings: str = "") -> Path:
    from weights.manifest import cache_dir

    folder = (cache or cache_dir()) / "atlas"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{walk.gen.name}-seed{seed}-{atlas_key(walk, seed, levels, budget, counts, settings=settings)}.safetensors"


def build_atlas(walk: LatentWalk, seed: int, levels: tuple[int, ...] = DEFAULT_LEVELS, budget: float = 5.0,
                measure_points: int = 12, counts: tuple[int, ...] = GRID_COUNTS, max_taps: int = 72,
                log: Callable[[str], None] = print, reuse: KeyframeAtlas | None = None,
                residual: int = 5, layout: str = "auto", max_keyframes: int = 1000) -> KeyframeAtlas:
    """Plan the keyframes by measurement, render each exactly, measure the in-between error.

    budget: target for the midpoint errors along each control summed over the controls (/255, at the smallest
    level); at mixed in-between points a full grid then measures about 0.4 × that.
    layout: "grid" (one tensor grid over all controls), "pairwise" (a grid per pair of controls plus a
    coarse `residual`-point grid of the interaction of all, for many controls), or "auto": the grid when
    its coarsest plan fits in `max_keyframes`.
    reuse: an atlas of the same generator, face and directions (e.g. of an older layout): any keyframe it
    already holds is taken over instead of rendered again.
    """
    levels = tuple(sorted(levels))
    res = walk.gen.resolution
    for s in levels:
        if s > res:
            raise ValueError(f"atlas level {s} is larger than the generator's {res}")
    if layout not in ("auto", "grid", "pairwise"):
        raise ValueError(f"unknown atlas layout '{layout}'; use auto, grid or pairwise")
    names = tuple(walk.names)
    if layout == "auto":
        layout = "grid" if layout_count("grid", [counts[0]] * len(names)) <= max_keyframes else "pairwise"
    if reuse is not None and (reuse.names != names or set(reuse.levels) != set(levels)):
        raise ValueError("the atlas to reuse has other controls or sizes")
    render = _Renderer(walk, seed, levels, keep=True)
    if reuse is not None:
        taken = 0
        for c in reuse.components:  # face keyframes only: not the residual grid nor its gray frame
            if c.axes is None and (c.controls or c.coef > 0):
                for i, p in enumerate(reuse.keyframe_points(c)):
                    render.remember(p, {s: reuse.levels[s][c.offset + i] for s in levels})
                    taken += 1
        log(f"atlas: {taken} keyframes of an earlier atlas of this face available")
    plans = plan_grid(render, names, walk.directions.ranges, budget, levels[0], counts, max_keyframes, layout, log)
    for name, p, (lo, hi) in zip(names, plans, (walk.directions.ranges[n] for n in names)):
        log(f"atlas: {name}: {len(p.coords)} keyframes over {lo:g}..{hi:g}, {p.mode} interpolation, midpoint "
            f"error {p.error:.2f}/255 (cross-fade {p.crossfade_error:.2f})")
    components = [Component(tuple(range(len(names))), 1.0)] if layout == "grid" else decompose(names)
    extra = 0 if layout == "grid" else 2 ** len(plans) + 1  # the residual grid's taps and its gray frame
    # a frame blends this many keyframes: keep it bounded, giving up the cubic where it gains least
    while taps_per_frame(components, [p.mode for p in plans]) + extra > max_taps:
        k = min((k for k, p in enumerate(plans) if p.mode == "cubic"),
                key=lambda k: plans[k].crossfade_error - plans[k].error)
        p = plans[k]
        plans[k] = AxisPlan(p.coords, "linear", p.cell_error, p.crossfade_error, p.crossfade_error)
        log(f"atlas: {names[k]}: linear after all, to keep a frame within {max_taps} keyframes")
    atlas = KeyframeAtlas(names, [p.coords for p in plans], [p.mode for p in plans], components, {},
                          meta={"seed": seed, "psi": walk.psi, "generator": walk.gen.name, "budget": budget,
                                "layout": layout,
                                "axis_error": [p.error for p in plans],
                                "axis_crossfade_error": [p.crossfade_error for p in plans],
                                "cell_error": [p.cell_error for p in plans]})
    points = atlas.keyframe_points()
    planned = render.rendered
    log(f"atlas: {len(points)} keyframes ("
        + " + ".join("×".join(str(len(atlas.axes[k])) for k in c.controls) or "1" for c in components)
        + f"); {planned} exact renders measured the plan")
    todo = sum(1 for p in {render.point_key(p) for p in points} if p not in render.cache)
    with tqdm(total=todo, desc="atlas: keyframes", unit="frame") as bar:
        atlas.levels = {s: t.contiguous() for s, t in render(points, bar=bar).items()}
    render.cache = None
    if layout == "pairwise" and residual and len(names) >= 3:
        atlas = add_residual(atlas, walk, seed, residual, log)
    log(f"atlas: {render.rendered} exact renders in all (planning {planned}, keyframes {render.rendered - planned})")
    if measure_points:
        atlas.meta["measured"] = measure_atlas(atlas, walk, seed, measure_points)
        atlas.meta["measured_timeline"] = measure_atlas(
            atlas, walk, seed, controls=timeline_controls(atlas.names, walk.directions.ranges, measure_points,
                                                         speech=walk.directions.speech))
        for key, what in (("measured", "random in-between points"), ("measured_timeline", "points of a streamed "
                                                                                           "conversation")):
            m = atlas.meta[key]
            for s in levels:
                log(f"atlas: {s}²: mean abs error vs exact renders at {measure_points} {what}: "
                    f"{m[str(s)]['atlas']:.2f}/255 (plain cross-fade {m[str(s)]['crossfade']:.2f}/255)")
    return atlas


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
    exact = (render or _Renderer(walk, seed, tuple(atlas.levels)))(controls, desc="atlas: measuring error")
    out = {}
    for s in sorted(atlas.levels):
        ref = exact[s].float()
        ours = (atlas.render(controls, s).float() - ref).abs().mean(dim=(1, 2, 3))
        fade = (atlas.render(controls, s, crossfade=True).float() - ref).abs().mean(dim=(1, 2, 3))
        out[str(s)] = {"atlas": float(ours.mean()), "crossfade": float(fade.mean()),
                       "atlas_max": float(ours.max()), "points": points}
    return out


def load_or_build_atlas(walk: LatentWalk, seed: int, levels: tuple[int, ...] = DEFAULT_LEVELS,
                        budget: float = 5.0, cache: Path | None = None, counts: tuple[int, ...] = GRID_COUNTS,
                        measure_points: int = 12, log: Callable[[str], None] = print,
                        residual: int = 5, layout: str = "auto", max_keyframes: int = 1000) -> KeyframeAtlas:
    """The cached atlas for this generator, face and directions, built (with progress) on first use
    (settings as in `build_atlas`)."""
    path = atlas_path(walk, seed, tuple(sorted(levels)), budget, cache, counts + (-residual,),
                      settings=f"{layout}|{max_keyframes}")
    atlas = None
    if path.exists():
        try:
            atlas = KeyframeAtlas.load(path)
        except Exception as e:  # a torn or stale file: rebuild rather than fail
            log(f"atlas: cannot read {path.name} ({e}); rebuilding")
    if atlas is None:
        log(f"atlas: first use for face {seed}: building it once (cached in {path.parent})")
        reuse = None
        source = source_key(walk, seed)
        for other in sorted(path.parent.glob(f"{walk.gen.name}-seed{seed}-*.safetensors")):
            try:
                old = KeyframeAtlas.load(other, any_version=True)
            except Exception:
                continue
            if old.meta.get("source") == source and old.names == tuple(walk.names) and \
                    set(old.levels) == set(levels):
                reuse = old
                break
        atlas = build_atlas(walk, seed, levels, budget, measure_points, counts, log=log, reuse=reuse,
                            residual=residual, layout=layout, max_keyframes=max_keyframes)
        atlas.meta["source"] = source
        atlas.save(path)
        # serve the file, memory-mapped, and give the heap the build filled back to the system
        atlas = KeyframeAtlas.load(path)
        release_cpu_memory()
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
                 max_keyframes: int = 1200):
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
            cost = max(len(self._points(k, 0.0)), 1)  # a full grid: a plane of all other controls' keyframes
            for i, e in enumerate(errs[:len(coords) - 1]):
                mid = 0.5 * (coords[i] + coords[i + 1])
                score = e * math.exp(-((mid / span) ** 2)) / cost
                if score > best:
                    best, where = score, (k, i)
        return where

    def _points(self, k: int, x: float) -> np.ndarray:
        """The new keyframes for coordinate x on control k, in component order."""
        out = []
        for c in self.atlas.components:
            if k in c.controls and c.axes is None:
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
        """The atlas with coordinate x inserted after cell i of control k (`new`: the plane's keyframes).

        With a path, the next file is written from ranges of the current one and the new keyframes, then
        memory-mapped: no level is ever assembled in memory. Without one, each level is built once in memory.
        """
        old = self.atlas
        pieces: dict[int, list[tuple[int, int] | torch.Tensor]] = {s: [] for s in old.levels}
        for s in old.levels:
            used = 0
            for c in old.components:
                size = old.component_size(c)
                if not (k in c.controls and c.axes is None):
                    pieces[s].append((c.offset, size))
                    continue
                # flat order, last control fastest: per index of the controls before k, the old rows up to
                # cell i, that index's share of the new plane, then the old rows after it
                shape = [len(old.axes[j]) for j in c.controls]
                pos = c.controls.index(k)
                outer, inner = math.prod(shape[:pos]), math.prod(shape[pos + 1:])
                for o in range(outer):
                    first = c.offset + o * shape[pos] * inner
                    pieces[s].append((first, (i + 1) * inner))
                    pieces[s].append(new[s][used:used + inner])
                    used += inner
                    if i + 1 < shape[pos]:
                        pieces[s].append((first + (i + 1) * inner, (shape[pos] - i - 1) * inner))
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
        comps = [Component(c.controls, c.coef, 0, c.axes, c.linear) for c in old.components]
        atlas = KeyframeAtlas(old.names, axes, old.modes, comps, levels, meta)
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

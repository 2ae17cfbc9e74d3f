"""Features drawn over a rendered frame by an image warp: eyelids that shut in a blink (render/lids.py) and
lips that close as she speaks (render/lips.py).

The generator has no direction that shuts the eyes, and its closed-lips direction is a grin that ages the
face (docs/expression-directions.md), so both are drawn the way a 2D puppet moves: points of the face
mesh move from where they are (open) to where they meet (closed), the skin around them follows part of the
way, a fixed ring keeps the rest of the face still, and pixels move by a piecewise-affine map over a fixed
triangulation of those points. Only the feature's region changes; who she is stays.

`DrawnGeometry` is one face's points in one pose and warps a frame; `FeatureTable` blends geometries
measured over a grid of the controls that move the feature, so it follows the head and the expression;
`DrawnFeature` draws it on the render loop's frames whose request asks for it (`FrameRequest.blink`,
`FrameRequest.lips`). Subclasses say which mesh points, grid and request field.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import ClassVar

import cv2
import numpy as np

RING_POINTS = 20
# Sample maps kept for reuse (≤ ~0.2 MB each at 512²) and the step their controls and closure are rounded to.
MAP_CACHE = 64
MAP_STEP = 0.005


@dataclass
class DrawnGeometry:
    """One face's geometry of a drawn feature in pixels of a `size`² frame: per part (an eye, the mouth) the
    open points, where they go at full closure, where those closed points sample from, and the triangles over
    them (shared by all states). Subclasses build the parts from face-mesh landmarks (`parts`)."""

    size: int
    open_points: list[np.ndarray]    # per part [n, 2] (x, y)
    closed_points: list[np.ndarray]  # per part [n, 2]
    closed_source: list[np.ndarray]  # per part [n, 2]
    triangles: list[np.ndarray]      # per part [t, 3] indices

    @staticmethod
    def parts(landmarks: np.ndarray) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
        """Pixel landmarks [468+, 2] -> per part (open points, closed points, closed sources, triangles)."""
        raise NotImplementedError

    @classmethod
    def from_landmarks(cls, landmarks: np.ndarray, size: int) -> "DrawnGeometry":
        """landmarks [468+, 2+] with x, y in [0, 1] (MediaPipe) of a frame with the feature open."""
        lm = np.asarray(landmarks, np.float64)[:, :2] * size
        if not np.isfinite(lm).all():
            raise ValueError("landmarks contain NaN: no face was found")
        parts = cls.parts(lm)
        return cls(size, *([p[i] for p in parts] for i in range(4)))

    def stacked(self) -> np.ndarray:
        """[parts, 3, n, 2]: open points, closed points, closed sources (to blend geometries)."""
        return np.stack([np.stack([o, c, s]) for o, c, s in zip(self.open_points, self.closed_points,
                                                                  self.closed_source)])

    @classmethod
    def from_stacked(cls, points: np.ndarray, size: int, triangles: list[np.ndarray]) -> "DrawnGeometry":
        return cls(size, [p[0] for p in points], [p[1] for p in points], [p[2] for p in points], triangles)

    def scaled(self, size: int) -> "DrawnGeometry":
        """The same geometry for frames of another size."""
        return self.from_stacked(self.stacked() * (size / self.size), size, self.triangles)

    def box(self) -> tuple[int, int, int, int]:
        """(x0, y0, x1, y1): the pixels the feature may change (its rings), clipped to the frame."""
        pts = np.concatenate(self.open_points)
        x0, y0 = np.floor(pts.min(0)).astype(int)
        x1, y1 = np.ceil(pts.max(0)).astype(int) + 1
        return max(x0, 0), max(y0, 0), min(x1, self.size), min(y1, self.size)

    def sample_map(self, closure: float) -> tuple[tuple[int, int, int, int], np.ndarray]:
        """(box, float32 [box h, box w, 2]): for each pixel of the box the source pixel (x, y) at this closure."""
        x0, y0, x1, y1 = self.box()
        ys, xs = np.mgrid[y0:y1, x0:x1].astype(np.float64)
        grid = np.stack([xs, ys], -1)
        c = float(np.clip(closure, 0.0, 1.0))
        if c > 0:
            for opened, closed, source, tri in zip(self.open_points, self.closed_points, self.closed_source,
                                                   self.triangles):
                _warp_triangles(grid, (x0, y0), opened + c * (source - opened), opened + c * (closed - opened), tri)
        return (x0, y0, x1, y1), grid.astype(np.float32)

    def close(self, frame: np.ndarray, closure: float) -> np.ndarray:
        """uint8 [size, size, 3] frame → the same frame with the feature closed by `closure` (a new array)."""
        if frame.shape[0] != self.size or frame.shape[1] != self.size:
            raise ValueError(f"frame is {frame.shape[1]}x{frame.shape[0]}, the geometry is for {self.size}²")
        if closure <= 0:
            return np.array(frame, copy=True)
        return remap_box(frame, *self.sample_map(closure))


def remap_box(frame: np.ndarray, box: tuple[int, int, int, int], grid: np.ndarray) -> np.ndarray:
    """A copy of frame whose `box` (x0, y0, x1, y1) is resampled at `grid` (a `sample_map`)."""
    x0, y0, x1, y1 = box
    out = np.array(frame, copy=True)
    out[y0:y1, x0:x1] = cv2.remap(np.ascontiguousarray(frame), grid[..., 0], grid[..., 1], cv2.INTER_LINEAR,
                                  borderMode=cv2.BORDER_REPLICATE)
    return out


def strips(chains: list[np.ndarray], corners: tuple[int, int]) -> list[tuple[int, int, int]]:
    """Triangles filling the strips between neighbouring chains of point indices (equal lengths, in order),
    closed at both ends by the two corner points."""
    tris = []
    for a_chain, b_chain in zip(chains, chains[1:]):
        tris.append((corners[0], a_chain[0], b_chain[0]))
        tris.append((corners[1], a_chain[-1], b_chain[-1]))
        for i in range(len(a_chain) - 1):
            tris.append((a_chain[i], a_chain[i + 1], b_chain[i]))
            tris.append((a_chain[i + 1], b_chain[i + 1], b_chain[i]))
    return tris


def ring(centre: np.ndarray, along: np.ndarray, up: np.ndarray) -> np.ndarray:
    """RING_POINTS fixed points on the ellipse centre + cos·along + sin·up (the still edge of a feature)."""
    angles = np.linspace(0, 2 * np.pi, RING_POINTS, endpoint=False)
    return centre + np.outer(np.cos(angles), along) + np.outer(np.sin(angles), up)


def band(points: np.ndarray, inner: list[int], outer: list[int]) -> list[tuple[int, int, int]]:
    """Triangles filling the annulus between two closed loops of point indices (merged by angle)."""
    centre = points[inner].mean(0)

    def angle(i: int) -> float:
        d = points[i] - centre
        return float(np.arctan2(d[1], d[0]))

    a = sorted(inner, key=angle)
    b = sorted(outer, key=angle)
    tris = []
    i = j = 0
    na, nb = len(a), len(b)
    # walk both loops once around in angle order, always advancing the one that lags
    while i < na or j < nb:
        ai, an = a[i % na], a[(i + 1) % na]
        bj, bn = b[j % nb], b[(j + 1) % nb]
        next_a = angle(an) + (2 * np.pi if i + 1 >= na else 0)
        next_b = angle(bn) + (2 * np.pi if j + 1 >= nb else 0)
        if j >= nb or (i < na and next_a <= next_b):
            tris.append((ai, an, bj))
            i += 1
        else:
            tris.append((ai, bn, bj))
            j += 1
    return tris


def _warp_triangles(grid: np.ndarray, origin: tuple[int, int], src: np.ndarray, dst: np.ndarray,
                    tris: np.ndarray) -> None:
    """Write into grid (pixel of the box at `origin` → source pixel) the piecewise-affine map taking the dst
    triangles onto the src ones; pixels outside every triangle keep their value.

    Each pixel's triangle comes from rasterizing the triangles' indices (outlines first, so the pixels on a
    shared edge belong to one of its triangles, whose maps agree there); then one affine map per pixel."""
    h, w = grid.shape[:2]
    d = dst - np.array(origin, np.float64)
    e1, e2 = d[tris[:, 1]] - d[tris[:, 0]], d[tris[:, 2]] - d[tris[:, 0]]
    area = e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0]
    ok = np.abs(area) > 1e-6  # a triangle squeezed flat (an eye's or the mouth's opening, shut) covers nothing
    keep = np.nonzero(ok)[0]
    if not len(keep):
        return
    index = np.full((h, w), -1, np.int32)
    polys = [np.round(d[tris[k]] * 16).astype(np.int32) for k in keep]  # 4 fractional bits
    for k, poly in zip(keep, polys):
        cv2.polylines(index, [poly], True, int(k), 1, cv2.LINE_8, shift=4)
    for k, poly in zip(keep, polys):
        cv2.fillConvexPoly(index, poly, int(k), cv2.LINE_8, shift=4)
    ys, xs = np.nonzero(index >= 0)
    if not len(ys):
        return
    # barycentric coordinates in the pixel's triangle ((x, y, 1) = b @ corners), clamped into it so that a
    # pixel on an edge never samples beyond the triangle (past a shut edge, into the opening)
    dst_h = np.concatenate([d[tris], np.ones((len(tris), 3, 1))], -1)      # [T, 3, 3] rows (x, y, 1)
    inv = np.zeros_like(dst_h)
    inv[ok] = np.linalg.inv(dst_h[ok])
    k = index[ys, xs]
    p = np.stack([xs, ys, np.ones_like(xs)], 1).astype(np.float64)         # [P, 3]
    b = np.clip(np.einsum("pi,pij->pj", p, inv[k]), 0.0, None)
    b /= b.sum(1, keepdims=True)
    grid[ys, xs] = np.einsum("pj,pjc->pc", b, src[tris[k]])


def _axis(lo: float, hi: float, count: int) -> np.ndarray:
    half = count // 2 + 1
    return np.concatenate([np.linspace(lo, 0.0, half), np.linspace(0.0, hi, half)[1:]])


class FeatureTable:
    """One face's geometry of a drawn feature over a grid of the controls that move it (`GRID`: control ->
    node count, 0 always a node); a frame's geometry is the multilinear blend of the nodes around its
    controls, so the feature follows the head as it turns and the expression as it changes."""

    GEOMETRY: ClassVar[type[DrawnGeometry]] = DrawnGeometry
    GRID: ClassVar[dict[str, int]] = {}
    FEATURE: ClassVar[str] = "feature"

    def __init__(self, names: tuple[str, ...], axes: dict[str, np.ndarray], points: np.ndarray,
                 triangles: list[np.ndarray], size: int) -> None:
        self.names, self.axes, self.points, self.triangles = tuple(names), axes, points, triangles
        self.size = size  # the frame size the points are in

    @classmethod
    def build(cls, names, ranges: dict[str, tuple[float, float]], render, landmarks) -> "FeatureTable":
        """render(controls [N, K] in `names` order) -> uint8 [N, S, S, 3] frames of the face;
        landmarks(frames) -> [N, 468+, 3] MediaPipe points, x and y in [0, 1] (NaN rows where no face was
        found). ValueError when the neutral frame has no face."""
        names = tuple(names)
        axes = {n: _axis(*ranges[n], cls.GRID[n]) for n in cls.GRID if n in names}
        shape = tuple(len(a) for a in axes.values())
        nodes = list(np.ndindex(*shape))
        controls = np.zeros((len(nodes), len(names)), np.float32)
        for row, node in enumerate(nodes):
            for (name, axis), i in zip(axes.items(), node):
                controls[row, names.index(name)] = axis[i]
        frames = np.asarray(render(controls))
        size = int(frames.shape[1])
        lm = np.asarray(landmarks(frames), np.float64)
        centre = tuple(len(a) // 2 for a in axes.values())
        found = [bool(np.isfinite(lm[r, :468, :2]).all()) for r in range(len(nodes))]
        if not found[nodes.index(centre)]:
            raise ValueError(f"no face was found in the face's neutral frame: its {cls.FEATURE} cannot be drawn")
        neutral = cls.GEOMETRY.from_landmarks(lm[nodes.index(centre)], size)
        points = np.zeros(shape + neutral.stacked().shape)
        for row, node in enumerate(nodes):
            # a node where the mesh found no face takes the nearest node's geometry that has one
            near = min((r for r in range(len(nodes)) if found[r]),
                       key=lambda r: sum(abs(a - b) for a, b in zip(nodes[r], node)))
            points[node] = cls.GEOMETRY.from_landmarks(lm[near], size).stacked()
        return cls(names, axes, points, neutral.triangles, size)

    def geometry(self, controls, size: int) -> DrawnGeometry:
        """The geometry of a frame with these controls (in `names` order), for `size`² frames."""
        pts = self.points
        for name, axis in self.axes.items():  # blend away one axis at a time
            x = float(np.clip(controls[self.names.index(name)], axis[0], axis[-1]))
            i = int(np.clip(np.searchsorted(axis, x, side="right") - 1, 0, len(axis) - 2))
            u = (x - axis[i]) / (axis[i + 1] - axis[i])
            pts = (1 - u) * pts[i] + u * pts[i + 1]
        return self.GEOMETRY.from_stacked(pts * (size / self.size), size, self.triangles)


class DrawnFeature:
    """Draws a feature on the frames whose request asks for it (`FIELD` of the request: closure 0..1), on
    any render path.

    One `TABLE` per face: the persona's is built when the avatar starts (`prepare`); another face's is built
    in the background the first time it is needed, and until then its frames pass unchanged.
    render(seed, controls [N, K]) -> uint8 [N, S, S, 3] renders a face (the atlas or the generator; S = 256
    where it can).
    """

    TABLE: ClassVar[type[FeatureTable]] = FeatureTable
    FIELD: ClassVar[str] = ""

    def __init__(self, names, ranges, render, log=print) -> None:
        from render.face_mesh import FaceMesh

        self.names, self.ranges, self.render, self.log = tuple(names), dict(ranges), render, log
        self._mesh = FaceMesh(refine=True)  # the refined eye and lip contours follow them when closed
        self.tables: dict[int, FeatureTable] = {}
        self.errors: dict[int, str] = {}
        self._building: set[int] = set()
        self._lock = threading.Lock()  # one MediaPipe graph: one build at a time
        # sample maps by face, size and quantized (the table's controls, closure): a held closure under a slow
        # head sway reuses one map for several frames (building a map is ~95% of a drawn frame's cost)
        self._maps: OrderedDict[tuple, tuple] = OrderedDict()
        self._maps_lock = threading.Lock()
        self.map_hits = self.map_misses = 0

    @staticmethod
    def available() -> bool:
        """Whether MediaPipe (the `vectors` extra) is installed."""
        import importlib.util

        return importlib.util.find_spec("mediapipe") is not None

    def prepare(self, seed: int) -> None:
        """Build a face's table now (a few seconds: a few dozen renders and their face meshes)."""
        with self._lock:
            if seed in self.tables or seed in self.errors:
                return
            try:
                self.tables[seed] = self.TABLE.build(self.names, self.ranges, lambda c: self.render(seed, c),
                                                     self._mesh.landmarks)
            except Exception as e:  # that face goes on without the drawn feature; the others are unaffected
                self.errors[seed] = str(e)
                self.log(f"{self.TABLE.FEATURE}: face {seed} cannot have them drawn: {e}")

    def _prepare_later(self, seed: int) -> None:
        if seed in self._building:
            return
        self._building.add(seed)
        threading.Thread(target=self.prepare, args=(seed,), name=f"{self.TABLE.FEATURE}-{seed}", daemon=True).start()

    def draw(self, req, frame: np.ndarray) -> np.ndarray:
        """One frame (uint8 [S, S, 3]) with the feature drawn if its request asks for it; the same array when
        not (nothing asked, or the face's table is not ready: it is then built in the background). Thread-safe:
        the render loop calls it from its encoder threads."""
        closure = getattr(req, self.FIELD, 0.0)
        if closure <= 0.0:
            return frame
        table = self.tables.get(req.session.seed)
        if table is None:
            if req.session.seed not in self.errors:
                self._prepare_later(req.session.seed)
            return frame
        return remap_box(frame, *self._sample_map(req.session.seed, table, req.controls, frame.shape[0], closure))

    def _sample_map(self, seed: int, table: FeatureTable, controls, size: int, closure: float) -> tuple:
        """The frame's sample map, for controls and closure rounded to MAP_STEP (at most 0.08° of head turn
        and 0.25% of the feature's travel: under 0.3 px at 512²)."""
        q = [round(float(c) / MAP_STEP) for c in controls]
        key = (seed, size, tuple(q[table.names.index(n)] for n in table.axes), round(float(closure) / MAP_STEP))
        with self._maps_lock:
            hit = self._maps.get(key)
            if hit is not None:
                self._maps.move_to_end(key)
                self.map_hits += 1
                return hit
        made = table.geometry([v * MAP_STEP for v in q], size).sample_map(key[-1] * MAP_STEP)
        with self._maps_lock:
            self.map_misses += 1
            self._maps[key] = made
            while len(self._maps) > MAP_CACHE:
                self._maps.popitem(last=False)
        return made

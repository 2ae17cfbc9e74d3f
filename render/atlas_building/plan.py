"""How many keyframes each control gets, by measurement.

Render each control's line (the others at 0) at its keyframes and at the midpoints of its cells, and measure
the midpoint error of a cross-fade and of the cubic; then refine, greedily, the control whose midpoint error
drops most per added keyframe until the errors summed over the controls meet the budget. At mixed in-between
points the grid's error measured ≈ 0.35–0.45 × that sum.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from render.atlas import GRID_COUNTS, axis_weights, blend
from render.walk import ExactRenders


def axis_coords(lo: float, hi: float, n: int) -> np.ndarray:
    """n keyframe coordinates over [lo, hi], evenly spaced on each side of 0, with 0 (the face as it is,
    where it spends most time) always one of them."""
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
class AxisPlan:
    coords: np.ndarray
    mode: str
    cell_error: list[float]      # measured midpoint MAE per cell (/255), with `mode`
    error: float                 # mean of cell_error
    crossfade_error: float       # the same midpoints with a linear cross-fade


def measure_axis(render: ExactRenders, k: int, lo: float, hi: float, n: int, size: int, desc: str = "") -> AxisPlan:
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


def plan_grid(render: ExactRenders, names: tuple[str, ...], ranges: dict[str, tuple[float, float]], budget: float,
              size: int, counts: tuple[int, ...] = GRID_COUNTS, max_keyframes: int = 1000,
              log: Callable[[str], None] = print) -> list[AxisPlan]:
    """Keyframes per control, by measurement: start every control at the coarsest count; while the midpoint
    errors summed over the controls exceed `budget`, give the next count to the control whose error drops
    most per (logarithmic) growth of the atlas, as long as the atlas stays within `max_keyframes`.

    Counts should nest (3, 5, 9, 17: each adds the coarser one's midpoints), so a finer measurement renders
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
            before = math.prod(sizes)
            sizes[k] = len(nxt.coords)
            after = math.prod(sizes)
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

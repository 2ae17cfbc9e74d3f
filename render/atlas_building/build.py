"""Building a face's keyframe atlas: plan the grid by measurement, render every keyframe exactly, measure the
in-between error, write it to the cache."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from tqdm import tqdm

from render.atlas import DEFAULT_LEVELS, GRID_COUNTS, KeyframeAtlas, source_key, taps_per_frame
from render.atlas_building.error import measure_atlas, timeline_controls
from render.atlas_building.plan import AxisPlan, plan_grid
from render.walk import ExactRenders, LatentWalk


def build_atlas(walk: LatentWalk, seed: int, levels: tuple[int, ...] = DEFAULT_LEVELS, budget: float = 5.0,
                measure_points: int = 12, counts: tuple[int, ...] = GRID_COUNTS, max_taps: int = 72,
                log: Callable[[str], None] = print, reuse: KeyframeAtlas | None = None,
                max_keyframes: int = 1000) -> KeyframeAtlas:
    """Plan the keyframes by measurement, render each exactly, measure the in-between error.

    budget: target for the midpoint errors along each control summed over the controls (/255, at the smallest
    level); at mixed in-between points the grid then measures about 0.4 × that.
    max_taps: keyframes blended per frame at most (the cubic is given up where it gains least).
    reuse: an atlas of the same generator, face and directions (other plan settings): any keyframe it
    already holds is taken over instead of rendered again.
    """
    levels = tuple(sorted(levels))
    res = walk.gen.resolution
    for s in levels:
        if s > res:
            raise ValueError(f"atlas level {s} is larger than the generator's {res}")
    names = tuple(walk.names)
    if counts[0] ** len(names) > max_keyframes:
        raise ValueError(f"a grid of {counts[0]} keyframes per control over {len(names)} controls exceeds "
                         f"max_keyframes={max_keyframes}")
    if reuse is not None and (reuse.names != names or set(reuse.levels) != set(levels)):
        raise ValueError("the atlas to reuse has other controls or sizes")
    render = ExactRenders(walk, seed, levels, keep=True)
    if reuse is not None:
        for i, p in enumerate(reuse.keyframe_points()):
            render.remember(p, {s: reuse.levels[s][i] for s in levels})
        log(f"atlas: {reuse.count} keyframes of another atlas of this face available")
    plans = plan_grid(render, names, walk.directions.ranges, budget, levels[0], counts, max_keyframes, log)
    for name, p, (lo, hi) in zip(names, plans, (walk.directions.ranges[n] for n in names)):
        log(f"atlas: {name}: {len(p.coords)} keyframes over {lo:g}..{hi:g}, {p.mode} interpolation, midpoint "
            f"error {p.error:.2f}/255 (cross-fade {p.crossfade_error:.2f})")
    # a frame blends this many keyframes: keep it bounded, giving up the cubic where it gains least
    while taps_per_frame([p.mode for p in plans]) > max_taps:
        k = min((k for k, p in enumerate(plans) if p.mode == "cubic"),
                key=lambda k: plans[k].crossfade_error - plans[k].error)
        p = plans[k]
        plans[k] = AxisPlan(p.coords, "linear", p.cell_error, p.crossfade_error, p.crossfade_error)
        log(f"atlas: {names[k]}: linear after all, to keep a frame within {max_taps} keyframes")
    atlas = KeyframeAtlas(names, [p.coords for p in plans], [p.mode for p in plans], {},
                          meta={"seed": seed, "psi": walk.psi, "generator": walk.gen.name, "budget": budget,
                                "layout": "grid",
                                "axis_error": [p.error for p in plans],
                                "axis_crossfade_error": [p.crossfade_error for p in plans],
                                "cell_error": [p.cell_error for p in plans]})
    points = atlas.keyframe_points()
    planned = render.rendered
    log(f"atlas: {len(points)} keyframes ({'×'.join(str(len(a)) for a in atlas.axes) or '1'}); "
        f"{planned} exact renders measured the plan")
    todo = sum(1 for p in {render.point_key(p) for p in points} if p not in render.cache)
    with tqdm(total=todo, desc="atlas: keyframes", unit="frame") as bar:
        atlas.levels = {s: t.contiguous() for s, t in render(points, bar=bar).items()}
    render.cache = None
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


def build_cached_atlas(path: Path, walk: LatentWalk, seed: int, levels: tuple[int, ...] = DEFAULT_LEVELS,
                       budget: float = 5.0, measure_points: int = 12, counts: tuple[int, ...] = GRID_COUNTS,
                       log: Callable[[str], None] = print, max_keyframes: int = 1000) -> None:
    """Build the atlas of these settings and write it to `path` (in the cache), taking over the keyframes of any
    cached atlas of the same face and directions."""
    log(f"atlas: first use for face {seed}: building it once (cached in {path.parent})")
    source = source_key(walk, seed)
    reuse = None
    for other in sorted(path.parent.glob(f"{walk.gen.name}-seed{seed}-*.safetensors")):
        try:
            old = KeyframeAtlas.load(other)
        except Exception:
            continue
        if old.meta.get("source") == source and old.names == tuple(walk.names) and set(old.levels) == set(levels):
            reuse = old
            break
    atlas = build_atlas(walk, seed, levels, budget, measure_points, counts, log=log, reuse=reuse,
                        max_keyframes=max_keyframes)
    atlas.meta["source"] = source
    atlas.save(path)

"""`ohlora bench atlas`: the CPU keyframe atlas's error against exact renders, and (`--study`) its error
against the number of keyframes per control."""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch

from render.atlas import DEFAULT_LEVELS, taps_per_frame
from render.atlas_building.error import ExactStore, evaluation_points, grid_study, measure, pareto_rows, study_table
from render.atlas_cache import load_or_build_atlas
from render.benchmarks.animation import load_average
from render.directions import load_directions
from render.generator import load_generator
from render.walk import LatentWalk


def bench_atlas(seed: int, psi: float, points: int, directions: Path | None = None, study: bool = False,
                study_counts: tuple[int, ...] | None = None, exact_cache: Path | None = None) -> str:
    """Measure the server's atlas of a face (built if it is not cached) against exact renders; the section's
    text. `study`: also the error against the keyframes per control on nested grids of one dense grid."""
    gen = load_generator("mobilestylegan", "cpu")
    walk = LatentWalk(gen, load_directions("mobilestylegan", directions), psi)
    names = tuple(walk.names)
    levels = tuple(s for s in DEFAULT_LEVELS if s <= gen.resolution)
    t0 = time.perf_counter()
    atlas = load_or_build_atlas(walk, seed, levels)  # the server's atlas (same settings, same cache file)
    built = time.perf_counter() - t0
    store = ExactStore(walk, seed, levels, exact_cache)
    sets = evaluation_points(walk, points)
    result = measure(atlas, walk, seed, store, sets)
    store.save()
    # per-frame cost on one thread: the blend of one frame at each level (the server's hot path)
    torch.set_num_threads(1)
    cost = {}
    for s in levels:
        pts = sets["timeline"]
        atlas.render(pts[:2], s)
        t = time.perf_counter()
        atlas.render(pts, s)
        cost[s] = (time.perf_counter() - t) / len(pts) * 1000
    what = {"timeline": "points a streamed conversation visits (idle sway, blinks, speech, expression changes, a "
                        "barge-in; random times of a scripted minute)",
            "uniform": "points uniform over the full ranges (all controls far from rest at once)"}
    lines = [f"`ohlora bench atlas --points {points}{' --study' if study else ''}`: mean absolute error "
             f"per pixel and channel (0..255) of atlas frames against exact renders of the same controls, at "
             f"{points} {what['timeline']} and at {points} {what['uniform']}; beside it a plain "
             f"(multi)linear cross-fade of the same keyframes. Face: seed {seed}, ψ {psi:g}; directions: "
             + (str(directions) if directions else "the committed weights/directions/mobilestylegan.safetensors")
             + f" ({walk.directions.meta.get('method', '?')}, made {walk.directions.meta.get('made', '?')}).",
             "", "| points | size | atlas (mean) | atlas (worst point) | cross-fade (mean) | < 3/255 |",
             "|---|---:|---:|---:|---:|---|"]
    for name, per in result.items():
        for s in levels:
            m = per[str(s)]
            lines.append(f"| {name} | {s}² | **{m['atlas']:.2f}** | {m['atlas_max']:.2f} | {m['crossfade']:.2f} | "
                         f"{'yes' if m['atlas'] < 3 else 'no'} |")
    per_axis = ", ".join(f"{n} {len(a)} ({m}, midpoint error {e:.2f})" for n, a, m, e in
                         zip(names, atlas.axes, atlas.modes, atlas.meta.get("axis_error", [0] * len(names))))
    lines += ["", f"Atlas: grid layout, {atlas.count} keyframes; per control {per_axis}; "
                  f"{taps_per_frame(atlas.modes)} keyframes blended per frame; "
                  + (f"built in {built:.0f} s ({torch.get_num_threads()} thread(s) for the blend timing, "
                     f"build with torch's default)." if built > 5 else "loaded from the cache."),
              "Per-frame cost, one thread (`cv2.accumulateWeighted` over the taps): "
              + ", ".join(f"{s}²: {c:.2f} ms" for s, c in cost.items())
              + f" (load average {load_average()} when measured)."]
    if study:
        counts = study_counts or tuple(17 if n == "yaw" else 9 for n in names)
        dense = ExactStore(walk, seed, levels[:1], exact_cache)  # the study needs one size only
        for key, frames in store.cache.items():
            dense.remember(np.array(key), {levels[0]: frames[levels[0]]})
        rows = grid_study(walk, seed, dense, sets, counts, size=levels[0])
        kept = pareto_rows(rows, tuple(sets))
        lines += ["", f"Error vs keyframes per control ({levels[0]}², same points; nested grids cut from one "
                      f"{'×'.join(map(str, counts))} grid of exact renders; {len(rows) - len(kept)} grids that "
                      "another grid beats with no more keyframes are left out):", "",
                  study_table(kept, names, tuple(sets))]
    lines += ["", "Method: the keyframes are one tensor grid over all controls (exact at every node, whatever the "
                  "mix), interpolated per control with a Catmull-Rom cubic or a cross-fade, whichever measured "
                  "closer on that control's line. How many keyframes each control gets is measured when the atlas "
                  "is built (`plan_grid` in render/atlas_building/plan.py): each control's line is rendered with "
                  "the others at 0, with its cell midpoints, and the control whose midpoint error falls most per added keyframe "
                  "gets the next finer count (3, 5, 9, 17) until the midpoint errors summed over the controls are "
                  "≤ 5/255 (at mixed points the grid's error measured ≈ 0.35–0.45 × that sum). The head turn "
                  "needs by far the most keyframes: its edges move, and a blend of two positions of an edge "
                  "ghosts, so its error halves only when its spacing halves (on the earlier persona face, seed 10: "
                  "17.1 → 8.5 → 4.0 → 1.7/255 at 3, 5, 9, 17 keyframes; this face's plan is in the build log "
                  "and the midpoint errors above); eyes and mouth are nearly linear in pixels. On seed 10 the "
                  "earlier layout (a grid per pair of controls + a 5³ interaction grid, 9 × 5 × 17, 441 "
                  "keyframes) measured 3.6/255 (timeline) and 3.8/255 (uniform) at 256² with these directions: "
                  "the controls' pixel changes are not additive. Rerun after changing the directions or the persona: "
                  "`ohlora bench atlas --study` (the atlas is rebuilt for the new directions; exact renders are "
                  "cached by generator, face and directions)."]
    return "\n".join(lines)

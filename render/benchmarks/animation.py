"""`ohlora bench animate`: avatar sessions streaming at once, per session frames/s, latency, CPU and memory."""
from __future__ import annotations

import asyncio
import os
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from render.avatar import AvatarRenderer
from render.avatar_session import AvatarSession


@dataclass
class AnimateBenchRow:
    path: str
    size: int
    sessions: int
    fps_mean: float       # frames delivered per session per second (requested 30)
    fps_min: float
    latency_median_ms: float
    latency_p95_ms: float
    cpu_share: float      # process CPU time / (wall time × cores)
    rss_mb: float
    mean_batch: float


def _rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def _drive(session: AvatarSession, stop: float, rng: np.random.Generator) -> None:
    """A simulated conversation: answers streamed at ~15 tokens/s, pauses, expressions (narrowed eyes hold the
    drawn lids part-shut on every frame of an answer, the eyelids' heaviest case)."""
    levels = ["normal", "wide", "small"]
    while session.now() < stop:
        session.answer_started()
        session.set_expression(levels[int(rng.integers(3))], levels[int(rng.integers(3))], "slightly left")
        for _ in range(int(rng.integers(10, 30))):
            session.token("안녕하세요 ", None)
            await asyncio.sleep(1 / 15)
        session.answer_ended()
        await asyncio.sleep(float(rng.uniform(0.3, 1.0)))


async def _bench_one(renderer: AvatarRenderer, n: int, size: int, fps: float, seconds: float,
                     warmup: float) -> tuple[list[float], dict, float, float]:
    sessions = [renderer.open_session(size=size, fps=fps) for _ in range(n)]
    counts = [0] * n
    measuring = False
    end = time.perf_counter() + warmup + seconds

    async def consume(i: int, s: AvatarSession) -> None:
        async for _ in s.frames():
            if measuring:
                counts[i] += 1
            if time.perf_counter() >= end:
                break

    rng = np.random.default_rng(0)
    tasks = [asyncio.create_task(consume(i, s)) for i, s in enumerate(sessions)]
    drivers = [asyncio.create_task(_drive(s, warmup + seconds + 1, rng)) for s in sessions]
    await asyncio.sleep(warmup)
    renderer.loop.latencies.clear()
    renderer.loop.batch_sizes.clear()
    measuring = True
    cpu0, wall0 = time.process_time(), time.perf_counter()
    await asyncio.gather(*tasks)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    for d in drivers:
        d.cancel()
    stats = renderer.stats()
    for s in sessions:
        s.close()
    await asyncio.sleep(0.2)
    return [c / wall for c in counts], stats, cpu / wall / (os.cpu_count() or 1), _rss_mb()


def bench_animate(renderer: AvatarRenderer, sizes: tuple[int, ...], session_counts: tuple[int, ...],
                  seconds: float = 6.0, fps: float = 30.0, warmup: float = 1.5, progress=print) -> list[AnimateBenchRow]:
    rows = []
    for size in sizes:
        for n in session_counts:
            per, stats, cpu, rss = asyncio.run(_bench_one(renderer, n, size, fps, seconds, warmup))
            row = AnimateBenchRow(renderer.path, size, n, statistics.mean(per), min(per),
                                  1000 * stats["latency_median_s"], 1000 * stats["latency_p95_s"], cpu, rss,
                                  stats["mean_batch"])
            rows.append(row)
            progress(f"{size}² × {n} sessions: {row.fps_mean:.1f} frames/s per session (min {row.fps_min:.1f}), "
                     f"latency median {row.latency_median_ms:.1f} ms, p95 {row.latency_p95_ms:.1f} ms, "
                     f"CPU {100 * cpu:.0f}%, RSS {rss:.0f} MB, batch {row.mean_batch:.1f}")
    return rows


def animate_table(rows: list[AnimateBenchRow]) -> str:
    lines = ["| path | size | sessions | frames/s per session (mean / min) | render→encoded median ms | p95 ms "
             "| mean batch | CPU share | RSS MB |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r.path} | {r.size}² | {r.sessions} | {r.fps_mean:.1f} / {r.fps_min:.1f} | "
                     f"{r.latency_median_ms:.1f} | {r.latency_p95_ms:.1f} | {r.mean_batch:.1f} | "
                     f"{100 * r.cpu_share:.0f}% | {r.rss_mb:.0f} |")
    return "\n".join(lines)


def animate_doc(renderer: AvatarRenderer, path: str, seconds: float, table: str) -> str:
    """The `animate-<path>` section of docs/benchmarks.md."""
    lines = [f"`ohlora bench animate --path {path} --seconds {seconds:g}`: simulated sessions, each "
             "asking for 30 frames/s and streaming an answer at ~15 tokens/s with expression changes; a consumer "
             "per session pulls its frames on the session clock. Frames/s is what each session received (a "
             "render loop that falls behind skips frames rather than queueing them); latency runs from the "
             "loop taking a frame to its JPEG being ready; CPU share is process CPU time over wall time × cores.",
             f"Load average of the machine when the run ended: {load_average()} (other jobs share these cores).",
             "", table]
    atlas = getattr(renderer.source, "atlases", {}).get(renderer.seed)
    if atlas is not None:
        per = ", ".join(f"{n} {len(a)} ({m})" for n, a, m in zip(atlas.names, atlas.axes, atlas.modes))
        how = f"one grid over all controls ({'×'.join(str(len(a)) for a in atlas.axes)})"
        lines += ["", f"Atlas: {atlas.count} keyframes; coordinates per control {per}; {how}. Its error against "
                      "exact renders: `ohlora bench atlas` (section below)."]
        for key, what in (("measured_timeline", "control points a streamed conversation visits (idle, blinks, "
                                                "speech, expression changes; random times of a scripted minute)"),
                          ("measured", "uniformly random control points over the full ranges (worst case: all "
                                       "controls far from rest at once)")):
            for size, m in sorted(atlas.meta.get(key, {}).items(), key=lambda kv: int(kv[0])):
                lines.append(f"- {size}², {m['points']} {what}: mean absolute error of atlas frames vs exact "
                             f"renders **{m['atlas']:.2f}/255** (worst point {m['atlas_max']:.2f}); a plain "
                             f"cross-fade of the same keyframes: {m['crossfade']:.2f}/255.")
        errs = atlas.meta.get("axis_error")
        if errs:
            lines.append("- Per control, midpoint error along its own axis (chosen interpolation vs cross-fade): "
                         + ", ".join(f"{n} {e:.2f} vs {c:.2f}" for n, e, c in
                                     zip(atlas.names, errs, atlas.meta.get("axis_crossfade_error", errs))) + ".")
        meta = getattr(renderer.walk.directions, "meta", {}) or {}
        where = Path(renderer.cfg.directions).name if renderer.cfg.directions else \
            f"the committed weights/directions/{renderer.cfg.generator}.safetensors"
        lines.append(f"- Directions: {where}" + (f" ({meta['method']})" if meta.get("method") else "")
                     + f"; face: seed {renderer.seed}.")
    return "\n".join(lines)


def load_average() -> str:
    """The machine's load averages when measured (other jobs may share its cores)."""
    try:
        return ", ".join(f"{v:.1f}" for v in os.getloadavg())
    except OSError:
        return "unknown"

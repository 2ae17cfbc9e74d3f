"""`ohlora render --animate` (a demo video of the streamed frames) and `ohlora bench animate`."""
from __future__ import annotations

import asyncio
import os
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from render.avatar import AvatarConfig, AvatarRenderer
from render.avatar_session import AvatarSession
from render.clocks import OfflineClock
from render.frames import EncodedFrame

DEMO_SENTENCE = ["안녕", "하세요", "!", " 저는", " 오로라", "예요", ".", " 만나서", " 반가워요", "."]


def script_demo(session: AvatarSession, seconds: float) -> None:
    """Idle, then speak a sentence token by token, then smile: events placed on the session clock."""
    speak_at, smile_at = 0.3 * seconds, 0.7 * seconds
    session.answer_started(at=speak_at)
    step = (smile_at - 0.15 * seconds - speak_at) / len(DEMO_SENTENCE)
    for i, tok in enumerate(DEMO_SENTENCE):
        session.token(tok, at=speak_at + i * step)
    session.answer_ended(at=speak_at + len(DEMO_SENTENCE) * step)
    session.set_expression("normal", "wide", "none", at=smile_at)  # the mouth direction reads "open smile"


async def _collect(session: AvatarSession, count: int) -> list[EncodedFrame]:
    out: list[EncodedFrame] = []
    async for frame in session.frames():
        out.append(frame)
        if len(out) >= count:
            break
    return out


def write_demo(renderer: AvatarRenderer, output: Path, seconds: float, size: int, fps: float,
               quality: int = 90) -> int:
    """Render a scripted demo through a session (the server's path, on an offline clock) into a video."""
    import cv2
    from tqdm import tqdm

    count = max(1, int(round(seconds * fps)))
    session = renderer.open_session(size=size, fps=fps, quality=quality, clock=OfflineClock())
    script_demo(session, seconds)
    writer = cv2.VideoWriter(str(output), cv2.VideoWriter_fourcc(*"mp4v"), fps, (size, size))
    if not writer.isOpened():
        raise RuntimeError(f"OpenCV cannot write video '{output}'; use a .mp4 or .avi file name")

    async def run() -> int:
        n = 0
        with tqdm(total=count, desc="demo frames", unit="frame") as bar:
            async for frame in session.frames():
                bgr = cv2.imdecode(np.frombuffer(frame.data, np.uint8), cv2.IMREAD_COLOR)
                writer.write(bgr)  # the streamed JPEG itself, decoded
                n += 1
                bar.update(1)
                if n >= count:
                    break
        return n

    try:
        return asyncio.run(run())
    finally:
        writer.release()
        session.close()


# ---- benchmark ---------------------------------------------------------------------------------------------
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
    """A simulated conversation: answers streamed at ~15 tokens/s, pauses, expressions."""
    levels = ["normal", "wide", "small"]
    while session.now() < stop:
        session.answer_started()
        session.set_expression("normal", levels[int(rng.integers(3))], "slightly left")
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


def renderer_for(args, log=print) -> AvatarRenderer:
    """An AvatarRenderer from command-line flags (--generator, --device, --path, --seed, --psi, --directions)."""
    cfg = AvatarConfig(generator=getattr(args, "generator", "mobilestylegan"), device=args.device, path=args.path,
                       seed=args.seed, psi=0.7 if args.psi is None else args.psi, directions=str(args.directions) if args.directions else None,
                       refine=False)
    renderer = AvatarRenderer(cfg, log=log)
    renderer._load()
    return renderer

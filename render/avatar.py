"""The avatar: sessions whose faces follow an expression timeline, rendered in batches, encoded once.

`AvatarRenderer` (one per server process) owns the generator, the expression directions, the frame
source (exact synthesis, or the keyframe atlas on CPU), one render loop per device and the JPEG encoder
pool. `AvatarSession` (one per conversation) owns an `ExpressionTimeline` and a reorder buffer, and hands
out `EncodedFrame`s paced by its clock. The interface is fixed in /work/prompts/avatar_api.md; the
server codes against it.

The render loop pulls work rather than being pushed: each turn it asks every watched session for the
frame slots that fall within its render-ahead window, takes the soonest deadlines across all sessions
(up to `max_batch`), evaluates their timelines *then* (so the latest tokens count), renders them as one
batch and hands them to the encoder pool. A session whose consumer stalls fills its small buffer and is
simply not asked again until it drains, so it never holds up the others; a session nobody watches is
never asked; frames that a late consumer can no longer show in time are skipped, not queued.
"""
from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import math
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import AsyncIterator, Callable

import numpy as np
import torch

from render.frames import FLAG_INTERPOLATED, FLAG_KEYFRAME, EncodedFrame
from render.timeline import ExpressionTimeline, TimelineConfig

DEFAULT_PERSONA_SEED = 7


@dataclass
class AvatarConfig:
    generator: str = "mobilestylegan"
    device: str = "auto"            # auto | cpu | cuda
    path: str = "auto"              # auto | exact | atlas  (auto: exact on CUDA, atlas on CPU)
    seed: int | None = None         # persona face; None = the persona seed from the weights manifest
    psi: float = 0.7
    max_batch: int = 16             # render-loop batching (tuned by measurement)
    encode_threads: int = 2
    directions: str | None = None   # a directions file; None = the committed one for the generator
    # atlas: exact renders refine it while no session is watched. Off by default: the atlas as built meets its
    # error target (docs/benchmarks.md) and each 1024² refinement render holds ~0.4 GB while it runs
    refine: bool = False
    atlas_levels: tuple[int, ...] = (256, 512)


def persona_seed() -> int:
    """The persona's face: the seed of the manifest's [persona] table, else the default."""
    try:
        from weights.manifest import load_persona

        return load_persona()[0]
    except Exception:
        return DEFAULT_PERSONA_SEED


def encode_jpeg(rgb: np.ndarray, quality: int) -> bytes:
    """RGB uint8 [H, W, 3] -> JPEG bytes (OpenCV releases the GIL while it encodes)."""
    import cv2

    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise RuntimeError("OpenCV could not encode a frame as JPEG")
    return buf.tobytes()


# ---- clocks ----------------------------------------------------------------------------------------------
class WallClock:
    """Seconds since the session opened, on the monotonic clock."""

    def __init__(self) -> None:
        self._t0 = time.perf_counter()

    def now(self) -> float:
        return time.perf_counter() - self._t0

    async def wait_until(self, t: float) -> None:
        delay = t - self.now()
        if delay > 0:
            await asyncio.sleep(delay)


class OfflineClock:
    """A clock that jumps to each frame's time as it is consumed: every frame rendered, none skipped
    (offline video). Events can still be placed anywhere on it with `at=`."""

    def __init__(self) -> None:
        self._t = 0.0

    def now(self) -> float:
        return self._t

    async def wait_until(self, t: float) -> None:
        self._t = max(self._t, t)


# ---- frame sources ---------------------------------------------------------------------------------------
@dataclass
class FrameRequest:
    session: "AvatarSession"
    seq: int
    slot: int
    controls: list[float] = field(default_factory=list)
    taken: float = 0.0  # perf_counter when the loop took it


class ExactSource:
    """Every frame is a synthesis pass of its own w(t): the GPU path (works on CPU too, slowly)."""

    interpolated = False

    def __init__(self, walk) -> None:
        self.walk = walk

    def ready(self, seed: int) -> bool:
        self.walk.face(seed)
        return True

    def render(self, requests: list[FrameRequest]) -> list[torch.Tensor]:
        from render.walk import to_size_uint8

        faces = [self.walk.face(r.session.seed) for r in requests]
        with torch.inference_mode():
            images = self.walk.gen.synthesize(self.walk.compose(faces, np.array([r.controls for r in requests])))
            out: list[torch.Tensor | None] = [None] * len(requests)
            for size in {r.session.size for r in requests}:
                rows = [i for i, r in enumerate(requests) if r.session.size == size]
                frames = to_size_uint8(images[rows], size).cpu()
                for j, i in enumerate(rows):
                    out[i] = frames[j]
        return out  # type: ignore[return-value]

    def spare_time(self) -> bool:
        return False


class AtlasSource:
    """Frames interpolated from per-face keyframe atlases (the CPU path). Atlases of faces other than
    the persona's are built in the background on first use; their sessions wait meanwhile."""

    interpolated = True

    def __init__(self, walk, levels: tuple[int, ...], refine: bool, options: dict | None = None) -> None:
        self.walk, self.levels, self.refine = walk, tuple(levels), refine
        self.options = dict(options or {})  # load_or_build_atlas settings (budget, cache, counts, …)
        self.atlases: dict[int, object] = {}
        self.refiners: dict[int, object] = {}
        self._building: set[int] = set()
        self._lock = threading.Lock()
        self.errors: dict[int, str] = {}

    def load(self, seed: int) -> None:
        from render.atlas import AtlasRefiner, load_or_build_atlas

        atlas = load_or_build_atlas(self.walk, seed, self.levels, **self.options)
        with self._lock:
            self.atlases[seed] = atlas
            if self.refine:
                self.refiners[seed] = AtlasRefiner(atlas, self.walk, seed, Path(atlas.meta["path"]))

    def ready(self, seed: int) -> bool:
        with self._lock:
            if seed in self.atlases:
                return True
            if seed in self._building or seed in self.errors:
                return False
            self._building.add(seed)

        def build() -> None:
            try:
                self.load(seed)
            except Exception as e:  # reported per session; the loop keeps serving others
                self.errors[seed] = str(e)
            finally:
                self._building.discard(seed)

        threading.Thread(target=build, name=f"atlas-{seed}", daemon=True).start()
        return False

    def render(self, requests: list[FrameRequest]) -> list[torch.Tensor]:
        from render.atlas import blend

        out: list[torch.Tensor | None] = [None] * len(requests)
        groups: dict[tuple[int, int], list[int]] = collections.defaultdict(list)
        for i, r in enumerate(requests):
            groups[(r.session.seed, r.session.size)].append(i)
        for (seed, size), rows in groups.items():
            atlas = self.atlases[seed]
            level = atlas.level_for(size)
            if level == size:  # one blend for the whole group
                flat, weight = atlas.taps(np.array([requests[i].controls for i in rows]))
                frames = blend(atlas.levels[level], flat, weight)
            else:
                frames = atlas.render(np.array([requests[i].controls for i in rows]), size)
            for j, i in enumerate(rows):
                out[i] = frames[j]
        return out  # type: ignore[return-value]

    def spare_time(self) -> bool:
        """Refine one keyframe of some atlas; False when there is nothing left to refine."""
        for seed, refiner in list(self.refiners.items()):
            if refiner.done():
                continue
            new = refiner.step(frames=1)
            if new is not None:
                with self._lock:
                    self.atlases[seed] = new
            return True
        return False


# ---- the render loop --------------------------------------------------------------------------------------
class RenderLoop:
    """One per device: gathers due frames of all sessions into batches, renders, hands them to encoders."""

    def __init__(self, source, encoder: concurrent.futures.Executor, max_batch: int = 16,
                 lookahead_s: float = 0.1) -> None:
        self.source, self.encoder = source, encoder
        self.max_batch, self.lookahead_s = max_batch, lookahead_s
        self.sessions: list[AvatarSession] = []
        self._wake = threading.Event()
        self._stop = False
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.latencies: collections.deque[float] = collections.deque(maxlen=20000)  # taken -> encoded, s
        self.batch_sizes: collections.deque[int] = collections.deque(maxlen=20000)
        self.failures = 0

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="render-loop", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def add(self, session: "AvatarSession") -> None:
        with self._lock:
            self.sessions.append(session)
        self.wake()

    def remove(self, session: "AvatarSession") -> None:
        with self._lock:
            if session in self.sessions:
                self.sessions.remove(session)

    def wake(self) -> None:
        self._wake.set()

    def _collect(self) -> tuple[list[FrameRequest], float]:
        """Due requests (soonest deadline first, at most max_batch) and seconds until more become due."""
        candidates: list[tuple[float, AvatarSession]] = []
        next_due = 0.05
        perf = time.perf_counter()
        with self._lock:
            sessions = list(self.sessions)
        for s in sessions:
            if not s.watched or s.closed or not self.source.ready(s.seed):
                continue
            wait = s.due_in(self.lookahead_s)
            if wait is None:  # buffer full: its consumer is behind
                continue
            if wait > 0:
                next_due = min(next_due, wait)
                continue
            candidates.append((perf + s.slot_time_left(), s))
        requests: list[FrameRequest] = []
        # soonest deadline first; a session gets more than one frame per batch only if room is left
        candidates.sort(key=lambda c: c[0])
        while candidates and len(requests) < self.max_batch:
            still = []
            for _, s in candidates:
                if len(requests) >= self.max_batch:
                    break
                req = s.take_request(self.lookahead_s)
                if req is None:
                    continue
                req.taken = perf
                requests.append(req)
                still.append((0.0, s))
            candidates = still
        return requests, next_due

    def _run(self) -> None:
        from render.generator import release_cpu_memory

        torch.set_grad_enabled(False)
        refining = False
        while not self._stop:
            try:
                requests, next_due = self._collect()
            except Exception:  # a session in a bad state must not kill the loop
                self.failures += 1
                time.sleep(0.01)
                continue
            if not requests:
                idle = not any(s.watched and not s.closed for s in self.sessions)
                if idle and self.source.spare_time():
                    refining = True
                    continue
            if refining:
                # Exact renders in spare time leave their working set (~0.4 GB at 1024²) on the tuned heap;
                # give it back once they pause, not after each one (that would re-fault it every render).
                release_cpu_memory()
                refining = False
            if not requests:
                self._wake.wait(timeout=max(0.001, next_due))
                self._wake.clear()
                continue
            try:
                frames = self.source.render(requests)
            except Exception as e:
                self.failures += 1
                for r in requests:
                    r.session.fail(f"render failed: {e}", r.seq)
                continue
            self.batch_sizes.append(len(requests))
            for req, frame in zip(requests, frames):
                self.encoder.submit(self._encode, req, frame.numpy())

    def _encode(self, req: FrameRequest, rgb: np.ndarray) -> None:
        s = req.session
        try:
            data = encode_jpeg(rgb, s.quality)
        except Exception as e:
            s.fail(f"encode failed: {e}", req.seq)
            return
        flags = FLAG_KEYFRAME | (FLAG_INTERPOLATED if self.source.interpolated else 0)
        frame = EncodedFrame(req.seq, int(round(req.slot * 1000 / s.fps)), rgb.shape[1], rgb.shape[0], "jpeg",
                             flags, data)
        self.latencies.append(time.perf_counter() - req.taken)
        s.deliver(frame)


# ---- sessions -----------------------------------------------------------------------------------------------
class AvatarSession:
    """One face's stream: events in, paced encoded frames out."""

    def __init__(self, renderer: "AvatarRenderer", *, size: int, fps: float, quality: int, seed: int,
                 clock=None, buffer: int = 4, timeline_config: TimelineConfig | None = None) -> None:
        if not 16 <= size <= 1024:
            raise ValueError(f"frame size {size} is out of range; use 16..1024 (e.g. 256 or 512)")
        if not 1 <= fps <= 120:
            raise ValueError(f"fps {fps} is out of range; use 1..120")
        if not 1 <= quality <= 100:
            raise ValueError(f"JPEG quality {quality} is out of range; use 1..100")
        self.renderer, self.size, self.fps, self.quality, self.seed = renderer, size, float(fps), quality, seed
        self.clock = clock or WallClock()
        self.timeline = ExpressionTimeline(renderer.names, renderer.ranges, seed=seed, config=timeline_config,
                                           speech=renderer.speech)
        self._tl_lock = threading.Lock()
        self.buffer = buffer
        self.watched = True
        self.closed = False
        self.error: str | None = None
        self._slot = 0           # next clock slot to render (pts = slot / fps)
        self._seq = 0            # next sequence number to hand out
        self._inflight = 0       # taken by the loop, not yet delivered
        self._ready: dict[int, EncodedFrame] = {}
        self._next_out = 0       # next seq frames() yields
        self._failed: set[int] = set()  # seqs whose render failed: frames() moves past them
        self._state = threading.Lock()
        try:
            self._aio = asyncio.get_running_loop()
        except RuntimeError:
            self._aio = None
        self._event = asyncio.Event()

    # -- events (any thread; times default to now) --
    def now(self) -> float:
        return self.clock.now()

    def _at(self, at: float | None) -> float:
        return self.now() if at is None else float(at)

    def answer_started(self, at: float | None = None) -> None:
        with self._tl_lock:
            self.timeline.answer_started(self._at(at))

    def token(self, text: str, at: float | None = None) -> None:
        with self._tl_lock:
            self.timeline.token(text, self._at(at))

    def answer_ended(self, at: float | None = None) -> None:
        with self._tl_lock:
            self.timeline.answer_ended(self._at(at))

    def cancel(self, at: float | None = None) -> None:
        with self._tl_lock:
            self.timeline.cancel(self._at(at))

    def set_expression(self, eyes: str, mouth: str, head: str, at: float | None = None) -> None:
        with self._tl_lock:
            self.timeline.set_expression(eyes, mouth, head, self._at(at))

    def set_controls(self, controls: dict[str, float] | None) -> None:
        with self._tl_lock:
            self.timeline.set_controls(controls)

    def set_watched(self, watched: bool) -> None:
        self.watched = bool(watched)
        if watched:
            self.renderer.loop.wake()

    def close(self) -> None:
        self.closed = True
        self.renderer.loop.remove(self)
        self._signal()

    def controls_at(self, t: float) -> list[float]:
        with self._tl_lock:
            return self.timeline.controls_list(t)

    # -- the render loop's side --
    def due_in(self, lookahead_s: float) -> float | None:
        """Seconds until the next slot enters the render-ahead window; None when the buffer is full."""
        with self._state:
            if self._inflight + len(self._ready) >= self.buffer:
                return None
            now = self.now()
            self._skip_late(now)
            return self._slot / self.fps - lookahead_s - now

    def slot_time_left(self) -> float:
        return self._slot / self.fps - self.now()

    def _skip_late(self, now: float) -> None:
        # slots already in the past cannot be shown in time: jump to the present
        late = math.floor(now * self.fps)
        if self._slot < late:
            self._slot = late

    def take_request(self, lookahead_s: float) -> FrameRequest | None:
        with self._state:
            now = self.now()
            if self._inflight + len(self._ready) >= self.buffer or self._slot / self.fps > now + lookahead_s:
                return None
            self._skip_late(now)
            req = FrameRequest(self, self._seq, self._slot)
            self._seq += 1
            self._slot += 1
            self._inflight += 1
        req.controls = self.controls_at(req.slot / self.fps)
        if req.seq % 600 == 599:  # a long session keeps only recent history
            with self._tl_lock:
                self.timeline.forget_before(req.slot / self.fps - 10.0)
        return req

    def deliver(self, frame: EncodedFrame) -> None:
        with self._state:
            self._inflight -= 1
            if not self.closed:
                self._ready[frame.seq] = frame
        self._signal()

    def fail(self, message: str, seq: int | None = None) -> None:
        with self._state:
            self._inflight = max(0, self._inflight - 1)
            self.error = message
            if seq is not None:
                self._failed.add(seq)
        self._signal()

    def _signal(self) -> None:
        if self._aio is not None and not self._aio.is_closed():
            self._aio.call_soon_threadsafe(self._event.set)

    # -- the consumer's side --
    async def frames(self) -> AsyncIterator[EncodedFrame]:
        """Encoded frames in order, each at its presentation time; ends when the session closes."""
        if self._aio is None:
            self._aio = asyncio.get_running_loop()
            self._event = asyncio.Event()
        self.renderer.loop.wake()
        while not self.closed:
            frame = self._pop()
            if frame is None:
                self._event.clear()
                if self._peek_ready():
                    continue
                await self._event.wait()
                continue
            self.renderer.loop.wake()  # room in the buffer again
            await self.clock.wait_until(frame.pts_ms / 1000)
            if self.closed:
                return
            yield frame

    def _peek_ready(self) -> bool:
        with self._state:
            return self._next_out in self._ready or self._next_out in self._failed

    def _pop(self) -> EncodedFrame | None:
        with self._state:
            while self._next_out in self._failed:  # a frame that will never come
                self._failed.discard(self._next_out)
                self._next_out += 1
            if self._next_out not in self._ready:
                return None
            frame = self._ready.pop(self._next_out)
            self._next_out += 1
            # a consumer running late drops frames it could not show in time, keeping the newest
            while self._next_out in self._ready and frame.pts_ms / 1000 < self.now() - 1.5 / self.fps:
                frame = self._ready.pop(self._next_out)
                self._next_out += 1
            return frame


# ---- the renderer -------------------------------------------------------------------------------------------
class AvatarRenderer:
    """Generator, directions, frame source, render loop and encoders for one server process."""

    def __init__(self, cfg: AvatarConfig | None = None, log: Callable[[str], None] = print) -> None:
        self.cfg = cfg or AvatarConfig()
        if self.cfg.path not in ("auto", "exact", "atlas"):
            raise ValueError(f"unknown render path '{self.cfg.path}'; use auto, exact or atlas")
        if self.cfg.max_batch < 1 or self.cfg.encode_threads < 1:
            raise ValueError("max_batch and encode_threads must be at least 1")
        self.log = log
        self.seed = self.cfg.seed if self.cfg.seed is not None else persona_seed()
        self.names: tuple[str, ...] = ()
        self.ranges: dict[str, tuple[float, float]] = {}
        self.speech: tuple[float | None, float] | None = None  # mouth values speech moves between
        self.walk = None
        self.source = None
        self.loop: RenderLoop | None = None
        self._encoder: concurrent.futures.ThreadPoolExecutor | None = None
        self.path = ""

    # exposed for tests and benchmarks that bring their own generator and directions
    def start_with(self, gen, directions, atlas_options: dict | None = None) -> None:
        from render.walk import LatentWalk

        self.walk = LatentWalk(gen, directions, self.cfg.psi)
        self.names, self.ranges = tuple(directions.names), dict(directions.ranges)
        self.speech = directions.speech
        cuda = gen.device.type == "cuda"
        self.path = self.cfg.path if self.cfg.path != "auto" else ("exact" if cuda else "atlas")
        if self.path == "exact":
            self.source = ExactSource(self.walk)
            self.walk.face(self.seed)
        else:
            levels = tuple(s for s in self.cfg.atlas_levels if s <= gen.resolution) or (gen.resolution,)
            self.source = AtlasSource(self.walk, levels, self.cfg.refine, atlas_options)
            self.source.load(self.seed)
        self._encoder = concurrent.futures.ThreadPoolExecutor(self.cfg.encode_threads, thread_name_prefix="jpeg")
        self.loop = RenderLoop(self.source, self._encoder, self.cfg.max_batch)
        self.loop.start()
        self.log(f"avatar: {self.path} path on {gen.device.type}, face {self.seed}, controls {', '.join(self.names)}")

    def _load(self) -> None:
        from render.directions import load_directions
        from render.generator import load_generator

        gen = load_generator(self.cfg.generator, self.cfg.device)
        directions = load_directions(self.cfg.generator, Path(self.cfg.directions) if self.cfg.directions else None)
        self.start_with(gen, directions)

    async def start(self) -> None:
        """Load the generator and directions, build or load the atlas (progress bar), start the loop."""
        await asyncio.get_running_loop().run_in_executor(None, self._load)

    async def stop(self) -> None:
        if self.loop is not None:
            await asyncio.get_running_loop().run_in_executor(None, self.loop.stop)
            for s in list(self.loop.sessions):
                s.close()
        if self._encoder is not None:
            self._encoder.shutdown(wait=False, cancel_futures=True)

    def open_session(self, *, size: int = 256, fps: float = 30.0, quality: int = 85, seed: int | None = None,
                     clock=None) -> AvatarSession:
        """A new face stream (clock: an `OfflineClock` renders every frame for a video, ignoring wall time)."""
        if self.loop is None:
            raise RuntimeError("AvatarRenderer.open_session before start(): await renderer.start() first")
        if size > self.walk.gen.resolution:
            raise ValueError(f"frame size {size} is larger than the generator's {self.walk.gen.resolution}")
        if self.path == "atlas" and size > max(self.source.levels):
            raise ValueError(f"the atlas path serves frames up to {max(self.source.levels)}²; ask for a smaller size")
        session = AvatarSession(self, size=size, fps=fps, quality=quality,
                                seed=self.seed if seed is None else seed, clock=clock)
        self.loop.add(session)
        return session

    def stats(self) -> dict:
        lat = sorted(self.loop.latencies) if self.loop else []
        pick = (lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]) if lat else (lambda q: float("nan"))
        return {"latency_median_s": pick(0.5), "latency_p95_s": pick(0.95), "frames": len(lat),
                "mean_batch": float(np.mean(self.loop.batch_sizes)) if self.loop and self.loop.batch_sizes else 0.0}

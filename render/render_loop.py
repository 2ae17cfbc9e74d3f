"""The render loop: one per device, it gathers the due frames of all sessions into batches, renders them
with a frame source and hands them to the JPEG encoder pool.

The loop pulls work rather than being pushed: each turn it asks every watched session for the frame slots
that fall within its render-ahead window, takes the soonest deadlines across all sessions (up to
`max_batch`), evaluates their timelines *then* (so the latest tokens count), renders them as one batch and
hands them to the encoders. A session whose consumer stalls fills its small buffer and is simply not asked
again until it drains, so it never holds up the others; a session nobody watches is never asked; frames that
a late consumer can no longer show in time are skipped, not queued.
"""
from __future__ import annotations

import collections
import concurrent.futures
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from render.frames import FLAG_INTERPOLATED, FLAG_KEYFRAME, EncodedFrame, encode_jpeg

if TYPE_CHECKING:
    import numpy as np


class StreamingSession(Protocol):
    """What the loop asks of a session (`render.avatar_session.AvatarSession`)."""

    seed: int
    size: int
    fps: float
    quality: int
    watched: bool
    closed: bool

    def due_in(self, lookahead_s: float) -> float | None: ...
    def slot_time_left(self) -> float: ...
    def take_request(self, lookahead_s: float) -> FrameRequest | None: ...
    def deliver(self, frame: EncodedFrame) -> None: ...
    def fail(self, message: str, seq: int | None = None) -> None: ...


@dataclass
class FrameRequest:
    """One frame slot of a session, taken by the loop: its controls are evaluated when it is taken."""

    session: StreamingSession
    seq: int
    slot: int
    controls: list[float] = field(default_factory=list)
    blink: float = 0.0  # eyelid closure in [0, 1] the renderer draws (`render.lids`), when the session's blinks use it
    lips: float = 0.0   # lip closure in [0, 1] the renderer draws (`render.lips`), when the session's speech uses it
    taken: float = 0.0  # perf_counter when the loop took it


class RenderLoop:
    """One per device: gathers due frames of all sessions into batches, renders, hands them to encoders."""

    def __init__(self, source, encoder: concurrent.futures.Executor, max_batch: int = 16,
                 lookahead_s: float = 0.1, drawn=()) -> None:
        """drawn: features drawn over the rendered frames where their requests ask (`render.drawn.DrawnFeature`:
        `render.lids.Eyelids` for blinks, `render.lips.Lips` for closed lips), in order."""
        self.source, self.encoder, self.drawn = source, encoder, tuple(d for d in drawn if d is not None)
        self.max_batch, self.lookahead_s = max_batch, lookahead_s
        self.sessions: list[StreamingSession] = []
        self._wake = threading.Event()
        self._stop = False
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.latencies: collections.deque[float] = collections.deque(maxlen=20000)  # taken -> encoded, s
        self.batch_sizes: collections.deque[int] = collections.deque(maxlen=20000)
        self.failures = 0
        self.draw_failures = 0  # frames sent without a drawn feature because drawing it failed

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="render-loop", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def add(self, session: StreamingSession) -> None:
        with self._lock:
            self.sessions.append(session)
        self.wake()

    def remove(self, session: StreamingSession) -> None:
        with self._lock:
            if session in self.sessions:
                self.sessions.remove(session)

    def wake(self) -> None:
        self._wake.set()

    def _collect(self) -> tuple[list[FrameRequest], float]:
        """Due requests (soonest deadline first, at most max_batch) and seconds until more become due."""
        candidates: list[tuple[float, StreamingSession]] = []
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
        import torch

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
            # drawn eyelids and lips are per frame work like the JPEG: on the encoder threads, not the loop's
            for feature in self.drawn:
                try:
                    rgb = feature.draw(req, rgb)
                except Exception:  # a frame without its drawn lids or lips beats a frame that never comes
                    self.draw_failures += 1
            data = encode_jpeg(rgb, s.quality)
        except Exception as e:
            s.fail(f"encode failed: {e}", req.seq)
            return
        flags = FLAG_KEYFRAME | (FLAG_INTERPOLATED if self.source.interpolated else 0)
        frame = EncodedFrame(req.seq, int(round(req.slot * 1000 / s.fps)), rgb.shape[1], rgb.shape[0], "jpeg",
                             flags, data)
        self.latencies.append(time.perf_counter() - req.taken)
        s.deliver(frame)

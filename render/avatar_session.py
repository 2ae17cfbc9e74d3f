"""An avatar session: one face's stream, from expression events to encoded frames paced by its clock.

A session owns an `ExpressionTimeline` (what the face does at any time) and a small reorder buffer: the
render loop takes its frame slots and delivers them as they are encoded, in any order; the consumer reads
them back in order. A full buffer (a consumer that stalls) stops the loop from asking this session; frames
that come too late to be shown are skipped.
"""
from __future__ import annotations

import asyncio
import math
import threading
from typing import AsyncIterator

import numpy as np

from render.clocks import WallClock
from render.frames import EncodedFrame
from render.render_loop import FrameRequest, RenderLoop
from render.timeline import ExpressionTimeline


class AvatarSession:
    """One face's stream: events in, paced encoded frames out.

    Events (from any thread) go to the session's timeline. The render loop takes frame slots
    (`due_in`, `take_request`) and delivers them encoded, possibly out of order; the consumer (`frames`)
    reads them back in sequence from the reorder buffer, each at its presentation time.
    """

    def __init__(self, render_loop: RenderLoop, timeline: ExpressionTimeline, *, size: int, fps: float,
                 quality: int, seed: int, clock=None, buffer: int = 4) -> None:
        if not 16 <= size <= 1024:
            raise ValueError(f"frame size {size} is out of range; use 16..1024 (e.g. 256 or 512)")
        if not 1 <= fps <= 120:
            raise ValueError(f"fps {fps} is out of range; use 1..120")
        if not 1 <= quality <= 100:
            raise ValueError(f"JPEG quality {quality} is out of range; use 1..100")
        self.render_loop, self.size, self.fps, self.quality, self.seed = render_loop, size, float(fps), quality, seed
        self.clock = clock or WallClock()
        self.timeline = timeline
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
            self.render_loop.wake()

    def close(self) -> None:
        self.closed = True
        self.render_loop.remove(self)
        self._signal()

    def controls_at(self, t: float) -> list[float]:
        with self._tl_lock:
            return self.timeline.controls_list(t)

    # -- the render loop's side: frame slots out, encoded frames into the reorder buffer --
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
        t = req.slot / self.fps
        with self._tl_lock:
            req.controls = self.timeline.controls_list(t)
            req.blink = self.timeline.eyelids(t) if self.timeline.lid_blinks else 0.0
            req.lips = self.timeline.lips(t)  # 0 unless the timeline draws lips
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

    # -- the consumer's side: frames in sequence out of the reorder buffer, paced by the clock --
    async def frames(self) -> AsyncIterator[EncodedFrame]:
        """Encoded frames in order, each at its presentation time; ends when the session closes."""
        loop = asyncio.get_running_loop()
        if self._aio is not loop:  # read from another event loop than before (offline renders run one per call)
            self._aio = loop
            self._event = asyncio.Event()
        self.render_loop.wake()
        while not self.closed:
            frame = self._pop()
            if frame is None:
                self._event.clear()
                if self._peek_ready():
                    continue
                await self._event.wait()
                continue
            self.render_loop.wake()  # room in the buffer again
            await self.clock.wait_until(frame.pts_ms / 1000)
            if self.closed:
                return
            yield frame

    def decoded_frames(self, count: int, from_s: float = 0.0, each=None) -> list[tuple[float, np.ndarray]]:
        """The next `count` frames from presentation time `from_s` on, each decoded from its streamed JPEG:
        [(pts in seconds, BGR uint8 image)] (for offline renders: demo video, docs pictures, measurements; on
        an offline clock this takes as long as the renders). With `each(pts, image)`, frames are handed to it
        as they come and not kept."""
        import cv2

        out: list[tuple[float, np.ndarray]] = []
        seen, from_ms = 0, round(from_s * 1000)

        async def collect() -> None:
            nonlocal seen
            async for frame in self.frames():
                if frame.pts_ms < from_ms:
                    continue
                image = cv2.imdecode(np.frombuffer(frame.data, np.uint8), cv2.IMREAD_COLOR)
                if each is not None:
                    each(frame.pts_ms / 1000, image)
                else:
                    out.append((frame.pts_ms / 1000, image))
                seen += 1
                if seen >= count:
                    return

        if count > 0:
            asyncio.run(collect())
        return out

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

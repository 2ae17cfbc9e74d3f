"""One socket's delivery: where it writes (a websocket, an MJPEG response) and the `Peer` that feeds it.

Each socket has its own bounded drop-to-latest frame queue, an ordered queue of control messages that are
never dropped, and a writer task, so a slow consumer loses frames instead of slowing the others or growing
memory.
"""
from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from render.frames import EncodedFrame

from .metrics import RateWindow, ServerMetrics
from .protocol import dumps, pack_frame

log = logging.getLogger("ohlora.realtime")

# Control messages a socket may have pending before it counts as dead (they are never dropped).
MAX_PENDING_MESSAGES = 1000
# A frame older than this on the session clock when its turn to be written comes is skipped: a socket
# that stalled gets fresh frames first when it reads again.
STALE_FRAME_MS = 500
# Close codes (docs/protocol.md): the server goes away (shutdown, session over), or a policy error.
CLOSE_GOING_AWAY = 1001
CLOSE_POLICY = 1008
CLOSE_INTERNAL = 1011


class FrameSink:
    """Where a Peer writes: a websocket, or an MJPEG response."""

    async def send_message(self, text: str) -> None:
        """Write one serialized JSON message."""
        raise NotImplementedError

    async def send_frame(self, frame: EncodedFrame) -> None:
        raise NotImplementedError

    async def close(self, code: int, reason: str) -> None:
        return None


class WebSocketSink(FrameSink):
    def __init__(self, ws: Any, matte: bool = False):
        self.ws, self.matte = ws, matte

    async def send_message(self, text: str) -> None:
        await self.ws.send_str(text)

    async def send_frame(self, frame: EncodedFrame) -> None:
        matte = frame.matte if self.matte else None
        await self.ws.send_bytes(pack_frame(frame.seq, frame.pts_ms, frame.width, frame.height, frame.codec,
                                            frame.flags, frame.data, matte))

    async def close(self, code: int, reason: str) -> None:
        await self.ws.close(code=code, message=reason.encode())


class MJPEGSink(FrameSink):
    """`GET /stream.mjpg`: frames as multipart JPEG parts (no control messages)."""

    BOUNDARY = "ohloraframe"

    def __init__(self, response: Any):
        self.response = response

    async def send_message(self, text: str) -> None:
        return None

    async def send_frame(self, frame: EncodedFrame) -> None:
        head = (f"--{self.BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(frame.data)}\r\n"
                f"X-Timestamp-Ms: {frame.pts_ms}\r\n\r\n").encode()
        await self.response.write(head + frame.data + b"\r\n")


class Peer:
    """One socket of a session: a bounded frame queue (drop-to-latest), an ordered message queue, a writer."""

    def __init__(self, sink: FrameSink, role: str, queue_frames: int, metrics: ServerMetrics,
                 wants_matte: bool = False, clock_ms: Callable[[], int] | None = None, by_viewer_key: bool = False):
        self.sink, self.role, self.metrics = sink, role, metrics
        self.wants_matte = wants_matte
        self.clock_ms = clock_ms          # the session clock, to skip frames that went stale in the queue
        self.by_viewer_key = by_viewer_key  # joined with a shared viewer key (closed when it is revoked)
        self.id = secrets.token_hex(4)
        self.queue_frames = queue_frames
        self.frames: deque[EncodedFrame] = deque()
        self.messages: deque[str] = deque()  # serialized already: a message that cannot be sent fails here
        self.wake = asyncio.Event()
        self.frames_sent = 0
        self.frames_dropped = 0
        self.fps = RateWindow(window_s=2.0)
        self.closed = asyncio.Event()
        self.task: asyncio.Task | None = None

    def start(self) -> None:
        self.task = asyncio.create_task(self._write_loop(), name=f"peer-{self.id}")

    def offer_frame(self, frame: EncodedFrame) -> None:
        if self.closed.is_set():
            return
        while len(self.frames) >= self.queue_frames:
            self.frames.popleft()
            self.frames_dropped += 1
            self.metrics.frames_dropped += 1
        self.frames.append(frame)
        self.wake.set()

    def send(self, message: dict) -> None:
        if self.closed.is_set():
            return
        if len(self.messages) >= MAX_PENDING_MESSAGES:
            log.warning("socket %s stopped reading; closing it", self.id)
            self.close()
            return
        try:  # serialized now, so that a bad value fails in its sender, never in the writer task
            text = dumps(message)
            text.encode("utf-8")
        except (TypeError, ValueError) as e:
            log.error("socket %s: dropped a %s message that is not valid JSON text: %s", self.id,
                      message.get("type"), e)
            return
        self.messages.append(text)
        self.wake.set()

    def close(self) -> None:
        self.closed.set()
        self.wake.set()

    async def drain(self, timeout: float) -> None:
        """Wait (bounded) until queued control messages are written: used before closing a socket."""
        deadline = time.monotonic() + timeout
        while self.messages and not self.closed.is_set() and time.monotonic() < deadline:
            await asyncio.sleep(0.01)

    def _stale(self, frame: EncodedFrame) -> bool:
        return self.clock_ms is not None and frame.pts_ms < self.clock_ms() - STALE_FRAME_MS

    async def _write_loop(self) -> None:
        failed = False
        try:
            while not self.closed.is_set():
                await self.wake.wait()
                self.wake.clear()
                # Control messages first (a token must not wait behind a frame), then frames in order.
                while self.messages and not self.closed.is_set():
                    await self.sink.send_message(self.messages.popleft())
                while self.frames and not self.closed.is_set() and not self.messages:
                    frame = self.frames.popleft()
                    if self._stale(frame):  # the socket stalled while this frame waited
                        self.frames_dropped += 1
                        self.metrics.frames_dropped += 1
                        continue
                    await self.sink.send_frame(frame)
                    self.frames_sent += 1
                    self.fps.add()
                    self.metrics.frames_sent += 1
                    self.metrics.fps_window.add()
                if self.messages or self.frames:
                    self.wake.set()
        except asyncio.CancelledError:
            pass
        except (ConnectionError, RuntimeError) as e:
            log.info("socket %s write failed: %s", self.id, e)
        except Exception:  # a bug of ours: this socket closes (the client reconnects), the session goes on
            failed = True
            log.exception("socket %s: writing failed; closing this socket", self.id)
        finally:
            self.closed.set()
        if failed:
            try:
                await self.sink.close(CLOSE_INTERNAL, "internal")
            except Exception:
                pass

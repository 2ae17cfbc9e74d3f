"""An asyncio client for protocol v2: used by the tests, `ohlora bench serve` and `ohlora client`.

    async with OhloraClient("ws://127.0.0.1:8080/ws") as c:     # a new user
        deltas, done = await c.turn("안녕!")
        keep = c.credential                                      # resumes this user next time
    async with OhloraClient(url, credential=keep) as again: ...
    async with OhloraClient(url, role="viewer", viewer_key=c.viewer_key) as screen: ...
"""
from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from .identity import affinity_key, write_private_json
from .protocol import PROTOCOL_VERSION, FrameHeader, unpack_frame


class ClientError(RuntimeError):
    """The server answered with an error, closed the socket, or did not answer in time."""

    def __init__(self, message: str, error: dict | None = None):
        super().__init__(message)
        self.error = error


@dataclass
class Frame:
    header: FrameHeader
    data: bytes
    matte: bytes | None
    received_at: float  # time.monotonic() on arrival


class CredentialFile:
    """Credentials a terminal user was issued, one per server URL, in a small JSON file (mode 600)."""

    def __init__(self, path: Path | None = None):
        from dialogue.database import data_dir

        self.path = Path(path) if path else data_dir() / "client-credentials.json"

    def _all(self) -> dict[str, str]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return data if isinstance(data, dict) else {}
        except (OSError, ValueError):
            return {}

    def get(self, url: str) -> str | None:
        return self._all().get(url)

    def put(self, url: str, credential: str | None) -> None:
        if not credential:
            return
        data = self._all()
        data[url] = credential
        write_private_json(self.path, data)


class OhloraClient:
    def __init__(self, url: str, *, role: str = "chat", credential: str | None = None,
                 viewer_key: str | None = None, size: int | None = None, fps: float | None = None,
                 quality: int | None = None, token: str | None = None, matte: bool = False,
                 origin: str | None = None, headers: dict[str, str] | None = None,
                 save_frames: Path | None = None, frame_delay_s: float = 0.0, keep_frames: int = 64,
                 stale_frame_ms: float | None = 1000.0, affinity: str | None = None,
                 utc_offset_min: int | None = None):
        self.url, self.role = url, role
        # Sent as ?affinity= so that a load balancer pins this user (and their viewers) to one instance;
        # by default the user field of the credential or viewer key (realtime.identity.affinity_key).
        self.affinity = affinity
        self.credential, self.viewer_key = credential, viewer_key
        self.user: str | None = None
        self.session_id: str | None = None
        self.params = {k: v for k, v in {"size": size, "fps": fps, "quality": quality, "token": token,
                                         "utc_offset_min": utc_offset_min}.items() if v is not None}
        if matte:
            self.params["matte"] = True
        self.origin = origin
        self.headers = headers or {}
        # Frames that arrive later than this behind the fastest one seen (a reader that paused: the
        # kernel's buffers still hold old frames) are skipped, so the newest face shows first.
        self.stale_frame_ms = stale_frame_ms
        self._offset_ms: float | None = None  # min(arrival - pts) over frames seen: the transit floor
        self.frames_stale = 0
        self._last_seq = -1
        self._last_arrival: float | None = None
        self._skipped_after_pause = False
        self.save_frames = save_frames
        self.frame_delay_s = frame_delay_s  # a deliberately slow consumer (tests, benchmarks)
        self.frames: deque[Frame] = deque(maxlen=keep_frames)
        self.frames_received = 0
        self.first_frame_at: float | None = None
        self.hello_sent_at: float | None = None
        self.received: list[tuple[float, dict]] = []  # every JSON message, with its arrival time
        self.hello: dict | None = None
        self.close_code: int | None = None
        self._messages: asyncio.Queue = asyncio.Queue()
        self._http: aiohttp.ClientSession | None = None
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task | None = None

    async def __aenter__(self) -> "OhloraClient":
        await self.connect()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    async def open_socket(self) -> None:
        """Connect without saying hello (tests of bad input use this)."""
        self._http = aiohttp.ClientSession()
        headers = dict(self.headers)
        if self.origin:
            headers["Origin"] = self.origin
        affinity = self.affinity or affinity_key(self.credential) or affinity_key(self.viewer_key)
        params = {"affinity": affinity} if affinity else None
        self.ws = await self._http.ws_connect(self.url, headers=headers or None, params=params, max_msg_size=0,
                                              autoping=True)
        self._reader = asyncio.create_task(self._read())

    async def connect(self, timeout: float = 10.0) -> dict:
        """Open the socket, say hello, return the server's hello (ClientError on an error reply)."""
        await self.open_socket()
        hello = {"type": "hello", "version": PROTOCOL_VERSION, "role": self.role, **self.params}
        if self.credential:
            hello["credential"] = self.credential
        if self.viewer_key:
            hello["viewer_key"] = self.viewer_key
        self.hello_sent_at = time.monotonic()
        await self.send(hello)
        reply = await self.wait_for(("hello", "error"), timeout)
        if reply["type"] == "error":
            raise ClientError(f"server refused hello: {reply['code']}: {reply['message']}", reply)
        self.hello = reply
        self.session_id, self.user = reply["session"], reply["user"]
        if reply.get("credential"):
            self.credential = reply["credential"]
        if reply.get("viewer_key"):
            self.viewer_key = reply["viewer_key"]
        return reply

    async def close(self) -> None:
        if self.ws is not None and not self.ws.closed:
            await self.ws.close()
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
        if self._http is not None:
            await self._http.close()

    async def send(self, message: dict) -> None:
        await self.ws.send_str(json.dumps(message, ensure_ascii=False))

    async def send_raw(self, data: str | bytes) -> None:
        if isinstance(data, bytes):
            await self.ws.send_bytes(data)
        else:
            await self.ws.send_str(data)

    async def say(self, text: str, message_id: str | None = None) -> None:
        msg = {"type": "chat.send", "text": text}
        if message_id:
            msg["id"] = message_id
        await self.send(msg)

    async def cancel(self) -> None:
        await self.send({"type": "cancel"})

    async def set_controls(self, controls: dict[str, float] | None) -> None:
        await self.send({"type": "expression", "controls": controls})

    async def _read(self) -> None:
        try:
            async for msg in self.ws:
                now = time.monotonic()
                if msg.type == aiohttp.WSMsgType.TEXT:
                    data = json.loads(msg.data)
                    self.received.append((now, data))
                    if data.get("type") == "viewers":
                        self.viewer_key = data["viewer_key"]
                    await self._messages.put(data)
                elif msg.type == aiohttp.WSMsgType.BINARY:
                    header, image, matte = unpack_frame(msg.data)
                    if self._stale(header, now):
                        continue
                    frame = Frame(header, image, matte, now)
                    self.frames_received += 1
                    if self.first_frame_at is None:
                        self.first_frame_at = now
                    self.frames.append(frame)
                    if self.save_frames is not None:
                        self.save_frames.mkdir(parents=True, exist_ok=True)
                        (self.save_frames / f"{header.seq:06d}.jpg").write_bytes(image)
                    if self.frame_delay_s:
                        await asyncio.sleep(self.frame_delay_s)
                elif msg.type in (aiohttp.WSMsgType.ERROR, aiohttp.WSMsgType.CLOSE):
                    break
        finally:
            self.close_code = self.ws.close_code
            await self._messages.put(None)

    def _stale(self, header: FrameHeader, now: float) -> bool:
        if self.stale_frame_ms is None:
            return False
        transit = now * 1000 - header.pts_ms
        restarted = header.seq < self._last_seq  # a new session clock (the stream was reconfigured)
        self._last_seq = header.seq
        gap = 0.0 if self._last_arrival is None else (now - self._last_arrival) * 1000
        self._last_arrival = now
        if self._offset_ms is None or restarted or transit < self._offset_ms:
            self._offset_ms = transit  # the fastest frame so far (or a new session clock) sets the floor
            self._skipped_after_pause = False
            return False
        if transit - self._offset_ms > self.stale_frame_ms:
            # After a pause the kernel's backlog arrives: its first frame after the gap, then the rest back to
            # back; those are skipped (as the page does). A late frame at an ordinary pace means the stream
            # itself runs late: follow it.
            if gap < 5 or (gap > 1000 and not self._skipped_after_pause):
                self._skipped_after_pause = gap > 1000
                self.frames_stale += 1
                return True
            self._offset_ms = transit
        self._skipped_after_pause = False
        self._offset_ms += 0.02  # drift allowance
        return False

    async def revoke_viewers(self, timeout: float = 10.0) -> dict:
        """Revoke every viewer key shared so far; returns the `viewers` reply (with the new key)."""
        await self.send({"type": "viewers.revoke"})
        return await self.wait_for("viewers", timeout)

    async def next_message(self, timeout: float = 10.0) -> dict:
        try:
            msg = await asyncio.wait_for(self._messages.get(), timeout)
        except asyncio.TimeoutError:
            raise ClientError(f"no message from the server within {timeout:g} s") from None
        if msg is None:
            await self._messages.put(None)  # stay closed for later callers
            raise ClientError(f"the server closed the socket (code {self.close_code})")
        return msg

    async def wait_for(self, types: str | tuple[str, ...], timeout: float = 10.0) -> dict:
        """The next message of one of `types`, skipping others (all stay in `received`)."""
        types = (types,) if isinstance(types, str) else types
        deadline = time.monotonic() + timeout
        while True:
            msg = await self.next_message(max(0.001, deadline - time.monotonic()))
            if msg["type"] in types:
                return msg

    async def turn(self, text: str, timeout: float = 60.0) -> tuple[list[dict], dict]:
        """Say `text`; return the answer's chat.delta messages and its chat.done."""
        await self.say(text)
        deltas: list[dict] = []
        deadline = time.monotonic() + timeout
        while True:
            msg = await self.wait_for(("chat.delta", "chat.done", "error"), max(0.001, deadline - time.monotonic()))
            if msg["type"] == "error":
                raise ClientError(f"{msg['code']}: {msg['message']}", msg)
            if msg["type"] == "chat.delta":
                deltas.append(msg)
            else:
                return deltas, msg

    async def wait_frames(self, n: int, timeout: float = 10.0) -> None:
        target = self.frames_received + n
        deadline = time.monotonic() + timeout
        while self.frames_received < target:
            if time.monotonic() > deadline:
                raise ClientError(f"got {self.frames_received - target + n} of {n} frames in {timeout:g} s")
            if self._reader is not None and self._reader.done():
                raise ClientError(f"the server closed the socket (code {self.close_code})")
            await asyncio.sleep(0.01)

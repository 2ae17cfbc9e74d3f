"""An asyncio client for protocol v1: used by the tests, `ohlora bench serve` and `ohlora client`.

    async with OhloraClient("ws://127.0.0.1:8080/ws", user="me") as c:
        deltas, done = await c.turn("안녕!")
        print(done["text"], c.frames_received)
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


class OhloraClient:
    def __init__(self, url: str, *, role: str = "chat", user: str | None = None, session: str | None = None,
                 size: int | None = None, fps: float | None = None, quality: int | None = None,
                 token: str | None = None, matte: bool = False, origin: str | None = None,
                 save_frames: Path | None = None, frame_delay_s: float = 0.0, keep_frames: int = 64):
        self.url, self.role, self.user, self.session_id = url, role, user, session
        self.params = {k: v for k, v in {"size": size, "fps": fps, "quality": quality, "token": token}.items()
                       if v is not None}
        if matte:
            self.params["matte"] = True
        self.origin = origin
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
        headers = {"Origin": self.origin} if self.origin else None
        self.ws = await self._http.ws_connect(self.url, headers=headers, max_msg_size=0, autoping=True)
        self._reader = asyncio.create_task(self._read())

    async def connect(self, timeout: float = 10.0) -> dict:
        """Open the socket, say hello, return the server's hello (ClientError on an error reply)."""
        await self.open_socket()
        hello = {"type": "hello", "version": PROTOCOL_VERSION, "role": self.role, **self.params}
        if self.user:
            hello["user"] = self.user
        if self.session_id:
            hello["session"] = self.session_id
        self.hello_sent_at = time.monotonic()
        await self.send(hello)
        reply = await self.wait_for(("hello", "error"), timeout)
        if reply["type"] == "error":
            raise ClientError(f"server refused hello: {reply['code']}: {reply['message']}", reply)
        self.hello = reply
        self.session_id, self.user = reply["session"], reply["user"]
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
                    await self._messages.put(data)
                elif msg.type == aiohttp.WSMsgType.BINARY:
                    header, image, matte = unpack_frame(msg.data)
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

"""One websocket from hello to close: rate limit, parse, dispatch; bad input is answered with an `error`
and never affects another socket."""
from __future__ import annotations

import asyncio
import logging
import time

from aiohttp import WSMsgType, web

from . import hello, messages
from .access import client_address, refuse_if_blocked
from .protocol import PROTOCOL_VERSION, ProtocolError, dumps, parse_client_message
from .peers import CLOSE_GOING_AWAY, CLOSE_POLICY, Peer, WebSocketSink
from .sessions import Session
from .state import ServerState

log = logging.getLogger("ohlora.realtime")


class TokenBucket:
    """Messages per second with a burst allowance."""

    def __init__(self, rate: float, burst: int):
        self.rate, self.burst = rate, float(burst)
        self.tokens, self.stamp = float(burst), time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


class ChatSocket:
    """A chat or viewer socket: before hello it answers only ping; after, it is a Peer of its session."""

    def __init__(self, ws: web.WebSocketResponse, state: ServerState, request: web.Request):
        self.ws, self.state, self.cfg = ws, state, state.cfg
        self.request = request
        self.address = client_address(request, state.cfg.server.trusted_proxies)
        self.session: Session | None = None
        self.peer: Peer | None = None
        self.bucket = TokenBucket(self.cfg.server.rate_limit_per_s, self.cfg.server.rate_burst)
        self.last_rate_error = 0.0
        self.stats_task: asyncio.Task | None = None

    async def send(self, message: dict) -> None:
        if self.peer is not None:
            self.peer.send(message)
        elif not self.ws.closed:
            await self.ws.send_str(dumps(message))

    async def fail(self, err: ProtocolError) -> None:
        self.state.metrics.error(err.code)
        await self.send(messages.error_for(err))
        if err.fatal:
            if self.peer is not None:
                await self.peer.drain(1.0)
            code = CLOSE_GOING_AWAY if err.code in ("server_shutdown", "session_ended") else CLOSE_POLICY
            await self.ws.close(code=code, message=err.code.encode())

    async def run(self) -> None:
        try:
            async for raw in self.ws:
                if raw.type == WSMsgType.TEXT:
                    await self.on_text(raw.data)
                elif raw.type == WSMsgType.BINARY:
                    if self.bucket.take():
                        await self.fail(ProtocolError("binary_not_accepted",
                                                      "clients send JSON text messages only; binary is for frames"))
                    else:
                        await self.rate_limited()
                elif raw.type == WSMsgType.ERROR:
                    log.info("socket error: %s", self.ws.exception())
                    break
                if self.ws.closed or (self.peer is not None and self.peer.closed.is_set()):
                    break
        finally:
            if self.stats_task is not None:
                self.stats_task.cancel()
            if self.peer is not None:
                self.peer.close()
                if self.session is not None:
                    self.state.registry.release(self.session, self.peer)

    async def rate_limited(self) -> None:
        now = time.monotonic()
        self.state.metrics.error("rate_limited")
        if now - self.last_rate_error >= 1.0:  # one notice per second, not one per dropped message
            self.last_rate_error = now
            rate = self.cfg.server.rate_limit_per_s
            await self.send(messages.error("rate_limited", f"more than {rate:g} messages per second; "
                                                           "messages are being dropped",
                                           retry_after_ms=int(1000 / rate)))

    async def on_text(self, text: str) -> None:
        if not self.bucket.take():
            await self.rate_limited()
            return
        try:
            message = parse_client_message(text, self.cfg.server.max_message_bytes)
            await self.dispatch(message)
        except ProtocolError as e:
            await self.fail(e)
        except Exception as e:  # a bug of ours: report it on this socket only, keep serving
            log.exception("failed to handle a message")
            await self.fail(ProtocolError("internal", f"the server failed to handle the message: {type(e).__name__}"))

    async def dispatch(self, message: dict) -> None:
        kind = message["type"]
        if kind == "ping":
            await self.send(messages.pong(clock_ms=self.session.clock_ms() if self.session else 0,
                                          t=message.get("t")))
            return
        if kind == "hello":
            if self.session is not None:
                raise ProtocolError("bad_message", "hello was already accepted on this socket")
            await self.join(message)
            return
        if self.session is None:
            raise ProtocolError("hello_required", f"send hello (protocol version {PROTOCOL_VERSION}) before {kind}")
        if self.peer.role != "chat":
            raise ProtocolError("read_only", f"a viewer cannot send {kind}")
        if kind == "chat.send":
            refuse_if_blocked(self.state.engines.safety, self.session.user, fatal=False)
            await self.session.start_turn(message["text"], message.get("id"))
        elif kind == "cancel":
            await self.session.cancel_turn()
        elif kind == "expression":
            self.set_controls(message["controls"])
        elif kind == "viewers.revoke":
            await self.revoke_viewers()

    async def join(self, message: dict) -> None:
        """Settle the hello (realtime.hello), attach this socket to its session, start its stream."""
        joined = await hello.negotiate(self.state, self.request, message, self.address)
        session = self.session = joined.session
        self.peer = Peer(WebSocketSink(self.ws, matte=joined.matte), joined.role, self.cfg.stream.queue_frames,
                         self.state.metrics, wants_matte=joined.matte, clock_ms=session.clock_ms,
                         by_viewer_key=joined.by_viewer_key)
        self.peer.start()
        session.attach(self.peer)
        self.peer.send(hello.reply(self.state, joined))
        self.stats_task = asyncio.create_task(self.send_stats())
        log.info("socket joined", extra={"event": "join", "session": session.id, "role": joined.role,
                                         "resumed": joined.resumed})

    def set_controls(self, controls: dict[str, float] | None) -> None:
        """Direct expression controls (None hands the face back to the conversation)."""
        if not self.cfg.stream.allow_controls:
            raise ProtocolError("controls_disabled", "this server does not allow direct expression controls")
        if controls is not None:
            known = self.state.engines.control_names()
            unknown = sorted(set(controls) - set(known))
            if unknown:
                raise ProtocolError("bad_message", f"expression: unknown control {', '.join(unknown)}; "
                                                   f"this face has {', '.join(known)}")
        try:
            self.session.avatar.set_controls(controls)
        except ValueError as e:
            raise ProtocolError("bad_message", f"expression: {e}") from None

    async def revoke_viewers(self) -> None:
        """The owner revokes every viewer key shared so far: those viewers are closed, chat sockets get the new key."""
        session = self.session
        key = self.state.identity.revoke_viewer_keys(session.user)
        revoked = [p for p in session.peers if p.by_viewer_key]
        for peer in revoked:
            peer.send(messages.error("revoked", "the owner revoked this viewer link", fatal=True))
        await asyncio.gather(*(p.drain(0.5) for p in revoked), return_exceptions=True)
        for peer in revoked:
            peer.close()
            session.detach(peer)
        await asyncio.gather(*(p.sink.close(CLOSE_POLICY, "revoked") for p in revoked), return_exceptions=True)
        for peer in session.peers:
            if peer.role == "chat":
                peer.send(messages.viewers(viewer_key=key, closed=len(revoked)))
        log.info("viewer keys revoked", extra={"event": "revoke", "session": session.id, "closed": len(revoked)})

    async def send_stats(self) -> None:
        interval = self.cfg.server.stats_interval_s
        last_sent, last_t = 0, time.monotonic()
        while self.peer is not None and not self.peer.closed.is_set():
            await asyncio.sleep(interval)
            now = time.monotonic()
            sent = self.peer.frames_sent
            self.peer.send(messages.stats(clock_ms=self.session.clock_ms(),
                                          fps=round((sent - last_sent) / max(1e-6, now - last_t), 2),
                                          frames_sent=sent, frames_dropped=self.peer.frames_dropped,
                                          queue_depth=len(self.peer.frames), sockets=len(self.session.peers)))
            last_sent, last_t = sent, now

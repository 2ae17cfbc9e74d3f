"""Request handlers: the websocket protocol, the MJPEG stream, health, metrics and the pages."""
from __future__ import annotations

import asyncio
import hmac
import json
import logging
import secrets
import socket
import time
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

from aiohttp import WSMsgType, web

from .protocol import PROTOCOL_VERSION, ProtocolError, error_message, parse_client_message
from .sessions import FrameSink, Peer, Session, WebSocketSink
from .state import STATE, ServerState

log = logging.getLogger("ohlora.realtime")
WEB_DIR = Path(__file__).resolve().parent.parent / "web"
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "[::1]"}


def origin_allowed(request: web.Request, allowed: list[str]) -> bool:
    """Browsers send Origin; a page from another site may not drive the server (clients without it may)."""
    origin = request.headers.get("Origin")
    if not origin or "*" in allowed or origin in allowed:
        return True
    parts = urlsplit(origin)
    return parts.hostname in LOCAL_HOSTS or parts.netloc == request.host


def token_ok(state: ServerState, offered: str | None) -> bool:
    expected = state.cfg.server.token
    return not expected or (offered is not None and hmac.compare_digest(offered.encode(), expected.encode()))


def limit_send_buffer(request: web.Request, size: int) -> None:
    sock = request.transport.get_extra_info("socket") if request.transport else None
    if size and sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, size)
        except OSError:
            pass


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
    """One websocket from hello to close; bad input is answered with an `error` and never affects others."""

    def __init__(self, ws: web.WebSocketResponse, state: ServerState, query_token: str | None):
        self.ws, self.state, self.cfg = ws, state, state.cfg
        self.query_token = query_token
        self.session: Session | None = None
        self.peer: Peer | None = None
        self.bucket = TokenBucket(self.cfg.server.rate_limit_per_s, self.cfg.server.rate_burst)
        self.last_rate_error = 0.0
        self.stats_task: asyncio.Task | None = None

    async def send(self, message: dict) -> None:
        if self.peer is not None:
            self.peer.send(message)
        elif not self.ws.closed:
            await self.ws.send_str(json.dumps(message, ensure_ascii=False))

    async def fail(self, err: ProtocolError) -> None:
        self.state.metrics.error(err.code)
        await self.send(err.to_message())
        if err.fatal:
            if self.peer is not None:
                await self.peer.drain(1.0)
            await self.ws.close(code=1008, message=err.code.encode())

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
                if self.ws.closed:
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
            await self.send(error_message(
                "rate_limited", f"more than {self.cfg.server.rate_limit_per_s:g} messages per second; "
                                "messages are being dropped", retry_after_ms=int(1000 / self.cfg.server.rate_limit_per_s)))

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
            clock = self.session.clock_ms() if self.session else 0
            reply = {"type": "pong", "clock_ms": clock}
            if "t" in message:
                reply["t"] = message["t"]
            await self.send(reply)
            return
        if kind == "hello":
            if self.session is not None:
                raise ProtocolError("bad_message", "hello was already accepted on this socket")
            await self.hello(message)
            return
        if self.session is None:
            raise ProtocolError("hello_required", f"send hello (protocol version {PROTOCOL_VERSION}) before {kind}")
        if self.peer.role != "chat":
            raise ProtocolError("read_only", f"a viewer cannot send {kind}")
        if kind == "chat.send":
            self.check_blocked()
            await self.session.start_turn(message["text"], message.get("id"))
        elif kind == "cancel":
            await self.session.cancel_turn()
        elif kind == "expression":
            if not self.cfg.stream.allow_controls:
                raise ProtocolError("controls_disabled", "this server does not allow direct expression controls")
            self.session.avatar.set_controls(message["controls"])

    def check_blocked(self, fatal: bool = False) -> None:
        safety = self.state.engines.safety
        user = self.session.user if self.session else None
        if safety is None or user is None:
            return
        verdict = safety.status(user, datetime.now(timezone.utc))
        if verdict.action == "blocked":
            until = verdict.blocked_until.isoformat() if verdict.blocked_until else None
            extra = {"blocked_until": until} if until else {}
            raise ProtocolError("blocked", verdict.message or "you are blocked for a while", fatal=fatal, **extra)

    async def hello(self, message: dict) -> None:
        state, cfg = self.state, self.cfg
        if state.draining:
            raise ProtocolError("server_shutdown", "the server is shutting down", fatal=True)
        if not token_ok(state, message.get("token") or self.query_token):
            raise ProtocolError("unauthorized", "this server needs its shared token (hello.token)", fatal=True)
        role = message["role"]
        resumed = False
        if role == "viewer":
            session = state.registry.find(message.get("session"), message.get("user"))
            if session is None:
                raise ProtocolError("unknown_session", "no live session has that id or user; "
                                                       "viewers join a session a chat client opened", fatal=True)
            resumed = True
        else:
            user = message.get("user") or f"guest-{secrets.token_hex(6)}"
            session = state.registry.find(session_id=message.get("session")) or state.registry.find(user=user)
            if session is not None and session.user != user:
                raise ProtocolError("unknown_session", "that session belongs to another user", fatal=True)
            if state.engines.safety is not None:  # a blocked user learns when the block ends
                verdict = state.engines.safety.status(user, datetime.now(timezone.utc))
                if verdict.action == "blocked":
                    until = verdict.blocked_until.isoformat() if verdict.blocked_until else None
                    raise ProtocolError("blocked", verdict.message or "you are blocked for a while", fatal=True,
                                        **({"blocked_until": until} if until else {}))
            s = cfg.stream
            if session is None:
                size = min(int(message.get("size", s.size)), s.max_size)
                fps = min(float(message.get("fps", s.fps)), s.max_fps)
                quality = int(message.get("quality", s.quality))
                try:
                    session = state.registry.open(user, size, fps, quality)
                except (RuntimeError, ValueError) as e:  # server full, or a size the renderer cannot serve
                    raise ProtocolError("internal", f"cannot open a session: {e}", fatal=True) from None
            else:
                resumed = True
                if any(k in message for k in ("size", "fps", "quality")):  # the settings panel changed them
                    try:
                        state.registry.reconfigure(
                            session, min(int(message.get("size", session.size)), s.max_size),
                            min(float(message.get("fps", session.fps)), s.max_fps),
                            int(message.get("quality", session.quality)))
                    except ValueError as e:
                        raise ProtocolError("bad_message", f"cannot change the stream: {e}") from None
        self.session = session
        matte = bool(message.get("matte", False))
        self.peer = Peer(WebSocketSink(self.ws, matte=matte), role, cfg.stream.queue_frames, state.metrics)
        self.peer.start()
        session.attach(self.peer)
        self.peer.send({
            "type": "hello", "version": PROTOCOL_VERSION, "session": session.id, "user": session.user,
            "role": role, "resumed": resumed, "clock_ms": session.clock_ms(),
            "accepted": {"size": session.size, "fps": session.fps, "quality": session.quality, "codec": "jpeg",
                         "matte": matte},
            "capabilities": {
                "versions": [PROTOCOL_VERSION], "codecs": ["jpeg"], "roles": ["chat", "viewer"],
                "max_message_bytes": cfg.server.max_message_bytes, "rate_limit_per_s": cfg.server.rate_limit_per_s,
                "controls": state.engines.control_names() if cfg.stream.allow_controls else [],
                "matte": bool(getattr(state.engines.avatar, "supports_matte", False)),
                "mjpeg": "/stream.mjpg", "speech_chars_per_s": cfg.stream.speech_chars_per_s},
            "transcript": list(session.transcript),
        })
        self.stats_task = asyncio.create_task(self.send_stats())
        log.info("socket joined", extra={"event": "join", "session": session.id, "role": role, "resumed": resumed})

    async def send_stats(self) -> None:
        interval = self.cfg.server.stats_interval_s
        last_sent, last_t = 0, time.monotonic()
        while self.peer is not None and not self.peer.closed.is_set():
            await asyncio.sleep(interval)
            now = time.monotonic()
            sent = self.peer.frames_sent
            self.peer.send({"type": "stats", "clock_ms": self.session.clock_ms(),
                            "fps": round((sent - last_sent) / max(1e-6, now - last_t), 2), "frames_sent": sent,
                            "frames_dropped": self.peer.frames_dropped, "queue_depth": len(self.peer.frames),
                            "sockets": len(self.session.peers)})
            last_sent, last_t = sent, now


async def websocket_handler(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE]
    if not origin_allowed(request, state.cfg.server.allowed_origins):
        state.metrics.error("forbidden_origin")
        raise web.HTTPForbidden(text=f"origin {request.headers.get('Origin')} is not allowed; "
                                     "add it to server.allowed_origins")
    # aiohttp closes a socket whose message exceeds max_msg_size; our own (configurable) limit sits well
    # below it so that an oversized message gets an error and the socket stays open.
    hard_cap = max(4 * state.cfg.server.max_message_bytes, 1 << 20)
    ws = web.WebSocketResponse(max_msg_size=hard_cap, heartbeat=30.0, compress=False)
    await ws.prepare(request)
    limit_send_buffer(request, state.cfg.stream.socket_send_buffer)
    await ChatSocket(ws, state, request.query.get("token")).run()
    return ws


class MJPEGSink(FrameSink):
    BOUNDARY = "ohloraframe"

    def __init__(self, response: web.StreamResponse):
        self.response = response

    async def send_message(self, message: dict) -> None:  # MJPEG carries frames only
        return None

    async def send_frame(self, frame) -> None:
        head = (f"--{self.BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(frame.data)}\r\n"
                f"X-Timestamp-Ms: {frame.pts_ms}\r\n\r\n").encode()
        await self.response.write(head + frame.data + b"\r\n")


async def mjpeg_handler(request: web.Request) -> web.StreamResponse:
    """`GET /stream.mjpg?session=ID` (or `?user=NAME`): the session's frames as multipart JPEG."""
    state = request.app[STATE]
    if not token_ok(state, request.query.get("token")):
        raise web.HTTPUnauthorized(text="this server needs its shared token: add ?token=…")
    session = state.registry.find(request.query.get("session"), request.query.get("user"))
    if session is None:
        raise web.HTTPNotFound(text="no live session with that id or user: open the live page first, "
                                    "then use its session id (?session=…)")
    response = web.StreamResponse(headers={
        "Content-Type": f"multipart/x-mixed-replace; boundary={MJPEGSink.BOUNDARY}",
        "Cache-Control": "no-cache, no-store", "Pragma": "no-cache"})
    await response.prepare(request)
    limit_send_buffer(request, state.cfg.stream.socket_send_buffer)
    peer = Peer(MJPEGSink(response), "mjpeg", state.cfg.stream.queue_frames, state.metrics)
    peer.start()
    session.attach(peer)
    try:
        await peer.closed.wait()
    finally:
        peer.close()
        state.registry.release(session, peer)
    return response


async def healthz(request: web.Request) -> web.Response:
    state = request.app[STATE]
    status = "draining" if state.draining else ("ok" if state.ready else "starting")
    body = {"status": status, "sessions": len(state.registry.by_id), "sockets": state.registry.sockets(),
            "uptime_s": round(time.monotonic() - state.started, 1), "protocol": PROTOCOL_VERSION}
    return web.json_response(body, status=200 if status == "ok" else 503)


async def metrics_handler(request: web.Request) -> web.Response:
    state = request.app[STATE]
    sessions = list(state.registry.by_id.values())
    sockets = state.registry.sockets()
    depths = [len(p.frames) for s in sessions for p in s.peers]
    gauges = {
        "ohlora_sessions": ("live sessions", len(sessions)),
        "ohlora_sessions_talking": ("sessions with an answer in flight", sum(s.talking for s in sessions)),
        "ohlora_queue_depth_max": ("deepest per-socket frame queue", max(depths, default=0)),
        "ohlora_queue_depth_sum": ("frames waiting in all socket queues", sum(depths)),
    }
    labelled = {"ohlora_sockets": ("open sockets by role", {f'role="{k}"': v for k, v in sockets.items()})}
    render_stats = getattr(state.engines.avatar, "stats", None)
    if callable(render_stats):  # the renderer's own figures (e.g. render batch sizes), when it reports them
        for key, value in (render_stats() or {}).items():
            if isinstance(value, (int, float)):
                gauges[f"ohlora_render_{key}"] = (f"avatar renderer: {key}", float(value))
    text = state.metrics.render(gauges, labelled)
    return web.Response(text=text, content_type="text/plain", charset="utf-8",
                        headers={"X-Prometheus-Format": "0.0.4"})


def page(name: str):
    async def handler(request: web.Request) -> web.FileResponse:
        return web.FileResponse(WEB_DIR / name, headers={"Cache-Control": "no-cache"})
    handler.__name__ = f"page_{name.split('.')[0]}"
    return handler

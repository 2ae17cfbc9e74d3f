"""Request handlers: the websocket protocol, the MJPEG stream, health, metrics and the pages."""
from __future__ import annotations

import asyncio
import hmac
import ipaddress
import logging
import socket
import time
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

from aiohttp import WSMsgType, web

from .identity import Credential, CredentialError, valid_user_id
from .protocol import PROTOCOL_VERSION, ProtocolError, dumps, error_message, parse_client_message
from .sessions import (CLOSE_GOING_AWAY, CLOSE_POLICY, CapacityError, FrameSink, Peer, Session,
                       WebSocketSink)
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


def _hostname(host: str) -> str:
    """'example.com:8080' -> 'example.com', '[::1]:8080' -> '::1' (lower case)."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def host_allowed(host: str, cfg_host: str, allowed: list[str]) -> bool:
    """DNS rebinding makes a foreign host name point at this server; its requests then carry that name in
    Host. Localhost, IP literals (no DNS involved), the configured host and `server.allowed_hosts` pass;
    an entry ".example.com" allows its subdomains, "*" any host."""
    if "*" in allowed:
        return True
    name = _hostname(host)
    if not name or name in LOCAL_HOSTS or name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        pass
    if cfg_host and name == _hostname(cfg_host):
        return True
    for entry in allowed:
        entry = entry.strip().lower()
        if name == entry or (entry.startswith(".") and (name.endswith(entry) or name == entry[1:])):
            return True
    return False


@web.middleware
async def host_check(request: web.Request, handler):
    """Every route (pages, websocket upgrade, MJPEG, metrics) refuses a Host the server does not answer to."""
    cfg = request.app[STATE].cfg.server
    if not host_allowed(request.headers.get("Host", ""), cfg.host, cfg.allowed_hosts):
        request.app[STATE].metrics.error("forbidden_host")
        raise web.HTTPForbidden(text=f"host {_hostname(request.headers.get('Host', ''))!r} is not one this server "
                                     "answers to; add it to server.allowed_hosts")
    return await handler(request)


def client_address(request: web.Request, trusted: list[str]) -> str:
    """The client's IP: the peer's, or the one a trusted proxy put last in X-Forwarded-For."""
    peer = request.remote or ""
    forwarded = request.headers.get("X-Forwarded-For")
    if forwarded and peer in trusted:
        last = forwarded.split(",")[-1].strip()
        if last:
            return last
    return peer


def via_trusted_proxy(request: web.Request, trusted: list[str]) -> bool:
    """Whether a request came through a load balancer we trust (it names the client in X-Forwarded-For)."""
    return (request.remote or "") in trusted and bool(request.headers.get("X-Forwarded-For"))


def header_user(request: web.Request, cfg) -> str | None:
    """The user named by the trusted proxy's header (server.user_header), or None when not in that mode.

    Raises ProtocolError when the mode is on but the request did not come through the proxy with one."""
    if not cfg.user_header:
        return None
    if (request.remote or "") not in cfg.trusted_proxies:
        raise ProtocolError("unauthorized", "this server identifies users through its proxy; connect through it",
                            fatal=True)
    user = request.headers.get(cfg.user_header, "").strip()
    if not valid_user_id(user):
        raise ProtocolError("unauthorized", f"the proxy did not name a user in {cfg.user_header} "
                                            "(letters, digits and _.:@- only, at most 128)", fatal=True)
    return user


def watched_user(state: ServerState, request: web.Request, viewer_key: str | None,
                 credential: str | None) -> tuple[str, bool]:
    """Whose session a viewer (websocket or MJPEG) may watch, and whether it came by a shared viewer key:
    the owner's viewer key, the owner's credential, or the trusted proxy's user header. ProtocolError
    (`unauthorized`) otherwise."""
    try:
        if viewer_key is not None:
            return state.identity.verify_viewer_key(viewer_key), True
        if credential is not None:
            return state.identity.verify(credential), False
    except CredentialError as e:
        raise ProtocolError("unauthorized", str(e), fatal=True) from None
    user = header_user(request, state.cfg.server)
    if user is None:
        raise ProtocolError("unauthorized", "a viewer needs the owner's viewer key (the live page shows the link) "
                                            "or credential", fatal=True)
    return user, False


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


def blocked_error(state: ServerState, user: str, *, fatal: bool) -> ProtocolError | None:
    """The `blocked` error for a user the safety policy blocks right now, else None."""
    safety = state.engines.safety
    if safety is None:
        return None
    verdict = safety.status(user, datetime.now().astimezone())
    if verdict.action != "blocked":
        return None
    extra = {"blocked_until": verdict.blocked_until.isoformat()} if verdict.blocked_until else {}
    return ProtocolError("blocked", verdict.message or "you are blocked for a while", fatal=fatal, **extra)


class ChatSocket:
    """One websocket from hello to close; bad input is answered with an `error` and never affects others."""

    def __init__(self, ws: web.WebSocketResponse, state: ServerState, request: web.Request):
        self.ws, self.state, self.cfg = ws, state, state.cfg
        self.request = request
        self.query_token = request.query.get("token")
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
        await self.send(err.to_message())
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
            err = blocked_error(self.state, self.session.user, fatal=False)
            if err is not None:
                raise err
            await self.session.start_turn(message["text"], message.get("id"))
        elif kind == "cancel":
            await self.session.cancel_turn()
        elif kind == "expression":
            if not self.cfg.stream.allow_controls:
                raise ProtocolError("controls_disabled", "this server does not allow direct expression controls")
            controls = message["controls"]
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
        elif kind == "viewers.revoke":
            await self.revoke_viewers()

    # --- hello ---------------------------------------------------------------------------------------
    async def hello(self, message: dict) -> None:
        state = self.state
        if state.draining:
            state.metrics.refusal("draining")
            raise ProtocolError("server_shutdown", "the server is shutting down; reconnect in a moment", fatal=True)
        if not token_ok(state, message.get("token") or self.query_token):
            raise ProtocolError("unauthorized", "this server needs its shared token (hello.token)", fatal=True)
        if message["role"] == "viewer":
            session, by_key = self.find_watched_session(message)
            resumed, credential = True, None
        else:
            session, resumed, credential = await self.open_chat_session(message)
            by_key = False
        if len(session.peers) >= self.cfg.server.max_sockets_per_session:
            state.metrics.refusal("socket_limit")
            raise ProtocolError("too_many_sessions", f"this session already has {len(session.peers)} sockets "
                                                     f"(server.max_sockets_per_session)", fatal=True)
        self.session = session
        role = message["role"]
        matte = bool(message.get("matte", False)) and state.engines.matte is not None
        self.peer = Peer(WebSocketSink(self.ws, matte=matte), role, self.cfg.stream.queue_frames, state.metrics,
                         wants_matte=matte, clock_ms=session.clock_ms, by_viewer_key=by_key)
        self.peer.start()
        session.attach(self.peer)
        self.peer.send(self.hello_reply(session, role, resumed, matte, credential))
        self.stats_task = asyncio.create_task(self.send_stats())
        log.info("socket joined", extra={"event": "join", "session": session.id, "role": role, "resumed": resumed})

    def find_watched_session(self, message: dict) -> tuple[Session, bool]:
        """A viewer's session, and whether it joined with a shared viewer key."""
        user, by_key = watched_user(self.state, self.request, message.get("viewer_key"), message.get("credential"))
        session = self.state.registry.find(user=user)
        if session is None:
            raise ProtocolError("unknown_session", "that user has no live session right now; viewers join a "
                                                   "session its chat client opened", fatal=True)
        return session, by_key

    async def open_chat_session(self, message: dict) -> tuple[Session, bool, Credential]:
        """The chat client's user (proxy header, credential, or a new user) and their session."""
        state, s = self.state, self.cfg.stream
        user = header_user(self.request, self.cfg.server)
        if user is None and "credential" in message:
            try:
                user = state.identity.verify(message["credential"])
            except CredentialError as e:
                raise ProtocolError("unauthorized", f"{e}", fatal=True) from None
        if user is None:
            user = state.identity.new_user_id()
        err = blocked_error(state, user, fatal=True)  # a blocked user learns when the block ends
        if err is not None:
            raise err
        session = state.registry.find(user=user)
        resumed = session is not None
        if session is None:
            try:
                session = await state.registry.open(user, min(int(message.get("size", s.size)), s.max_size),
                                                    min(float(message.get("fps", s.fps)), s.max_fps),
                                                    int(message.get("quality", s.quality)), self.address)
            except CapacityError as e:
                raise ProtocolError(e.code, str(e), fatal=True, retry_after_ms=60_000) from None
            except (RuntimeError, ValueError) as e:  # a size the renderer cannot serve
                raise ProtocolError("internal", f"cannot open a session: {e}", fatal=True) from None
        elif any(k in message for k in ("size", "fps", "quality")):  # the settings panel changed them
            try:
                state.registry.reconfigure(session, min(int(message.get("size", session.size)), s.max_size),
                                           min(float(message.get("fps", session.fps)), s.max_fps),
                                           int(message.get("quality", session.quality)))
            except ValueError as e:
                raise ProtocolError("bad_message", f"cannot change the stream: {e}") from None
        return session, resumed, state.identity.issue(user)

    def hello_reply(self, session: Session, role: str, resumed: bool, matte: bool,
                    credential: Credential | None) -> dict:
        state, cfg = self.state, self.cfg
        expires = (datetime.fromtimestamp(credential.expires_at, timezone.utc).isoformat()
                   if credential is not None else None)
        return {
            "type": "hello", "version": PROTOCOL_VERSION, "session": session.id, "user": session.user,
            "role": role, "resumed": resumed, "clock_ms": session.clock_ms(),
            "credential": credential.token if credential is not None else None,
            "credential_expires_at": expires,
            "viewer_key": state.identity.viewer_key(session.user) if role == "chat" else None,
            "accepted": {"size": session.size, "fps": session.fps, "quality": session.quality, "codec": "jpeg",
                         "matte": matte},
            "capabilities": {
                "versions": [PROTOCOL_VERSION], "codecs": ["jpeg"], "roles": ["chat", "viewer"],
                "max_message_bytes": cfg.server.max_message_bytes, "rate_limit_per_s": cfg.server.rate_limit_per_s,
                "controls": state.engines.control_names() if cfg.stream.allow_controls else [],
                "matte": state.engines.matte is not None,
                "mjpeg": "/stream.mjpg", "speech_chars_per_s": cfg.stream.speech_chars_per_s},
            "transcript": list(session.transcript),
        }

    async def revoke_viewers(self) -> None:
        """The owner revokes every viewer key shared so far: those viewers are closed, chat sockets get the new key."""
        session = self.session
        key = self.state.identity.revoke_viewer_keys(session.user)
        revoked = [p for p in session.peers if p.by_viewer_key]
        for peer in revoked:
            peer.send(error_message("revoked", "the owner revoked this viewer link", fatal=True))
        await asyncio.gather(*(p.drain(0.5) for p in revoked), return_exceptions=True)
        for peer in revoked:
            peer.close()
            session.detach(peer)
        await asyncio.gather(*(p.sink.close(CLOSE_POLICY, "revoked") for p in revoked), return_exceptions=True)
        for peer in session.peers:
            if peer.role == "chat":
                peer.send({"type": "viewers", "viewer_key": key, "closed": len(revoked)})
        log.info("viewer keys revoked", extra={"event": "revoke", "session": session.id, "closed": len(revoked)})

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
    if state.draining and via_trusted_proxy(request, state.cfg.server.trusted_proxies):
        # Refused before the upgrade, so the balancer can try another instance at once (nginx:
        # proxy_next_upstream http_503) instead of handing the client a socket that only says goodbye.
        state.metrics.refusal("draining")
        raise web.HTTPServiceUnavailable(text="draining: this instance is shutting down; another one takes the session",
                                         headers={"Retry-After": "1"})
    # aiohttp closes a socket whose message exceeds max_msg_size; our own (configurable) limit sits well
    # below it so that an oversized message gets an error and the socket stays open.
    hard_cap = max(4 * state.cfg.server.max_message_bytes, 1 << 20)
    ws = web.WebSocketResponse(max_msg_size=hard_cap, heartbeat=30.0, compress=False)
    await ws.prepare(request)
    limit_send_buffer(request, state.cfg.stream.socket_send_buffer)
    await ChatSocket(ws, state, request).run()
    return ws


class MJPEGSink(FrameSink):
    BOUNDARY = "ohloraframe"

    def __init__(self, response: web.StreamResponse):
        self.response = response

    async def send_message(self, text: str) -> None:  # MJPEG carries frames only
        return None

    async def send_frame(self, frame) -> None:
        head = (f"--{self.BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(frame.data)}\r\n"
                f"X-Timestamp-Ms: {frame.pts_ms}\r\n\r\n").encode()
        await self.response.write(head + frame.data + b"\r\n")


async def mjpeg_handler(request: web.Request) -> web.StreamResponse:
    """`GET /stream.mjpg?viewer=KEY` (or `?credential=…`): the owner's session as multipart JPEG."""
    state = request.app[STATE]
    if not token_ok(state, request.query.get("token")):
        raise web.HTTPUnauthorized(text="this server needs its shared token: add ?token=…")
    try:
        user, by_key = watched_user(state, request, request.query.get("viewer"), request.query.get("credential"))
    except ProtocolError as e:
        raise web.HTTPUnauthorized(text=f"{e.message} (?viewer=KEY: sessions are no longer found by user name)") from None
    session = state.registry.find(user=user)
    if session is None:
        raise web.HTTPNotFound(text="that user has no live session: open the live page first")
    if len(session.peers) >= state.cfg.server.max_sockets_per_session:
        state.metrics.refusal("socket_limit")
        raise web.HTTPTooManyRequests(text="this session has as many sockets as server.max_sockets_per_session")
    response = web.StreamResponse(headers={
        "Content-Type": f"multipart/x-mixed-replace; boundary={MJPEGSink.BOUNDARY}",
        "Cache-Control": "no-cache, no-store", "Pragma": "no-cache"})
    await response.prepare(request)
    limit_send_buffer(request, state.cfg.stream.socket_send_buffer)
    peer = Peer(MJPEGSink(response), "mjpeg", state.cfg.stream.queue_frames, state.metrics,
                clock_ms=session.clock_ms, by_viewer_key=by_key)
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
    chat_stats = getattr(state.engines.chat, "stats", None)
    if callable(chat_stats):  # the dialogue engine's counters (an unreachable LLM engine, unusable role output)
        for key, value in (chat_stats() or {}).items():
            if isinstance(value, (int, float)):
                gauges[f"ohlora_dialogue_{key}"] = (f"dialogue engine: {key.replace('_', ' ')} (count since start)",
                                                    float(value))
    text = state.metrics.render(gauges, labelled)
    return web.Response(text=text, content_type="text/plain", charset="utf-8",
                        headers={"X-Prometheus-Format": "0.0.4"})


def page(name: str):
    async def handler(request: web.Request) -> web.FileResponse:
        return web.FileResponse(WEB_DIR / name, headers={"Cache-Control": "no-cache"})
    handler.__name__ = f"page_{name.split('.')[0]}"
    return handler

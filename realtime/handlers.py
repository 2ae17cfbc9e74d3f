"""The HTTP routes: the websocket upgrade, the MJPEG stream, health, metrics and the pages."""
from __future__ import annotations

import socket
import time

from aiohttp import web

from web import WEB_DIR

from . import hello
from .access import origin_allowed, token_ok, via_trusted_proxy, watched_user
from .peers import MJPEGSink, Peer
from .protocol import PROTOCOL_VERSION, ProtocolError
from .state import STATE
from .websocket import ChatSocket


def limit_send_buffer(request: web.Request, size: int) -> None:
    """A small kernel send buffer keeps a slow client's frames in our drop-to-latest queue."""
    sock = request.transport.get_extra_info("socket") if request.transport else None
    if size and sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, size)
        except OSError:
            pass


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


async def mjpeg_handler(request: web.Request) -> web.StreamResponse:
    """`GET /stream.mjpg?viewer=KEY` (or `?credential=…`): the owner's session as multipart JPEG."""
    state = request.app[STATE]
    if not token_ok(state.cfg.server, request.query.get("token")):
        raise web.HTTPUnauthorized(text="this server needs its shared token: add ?token=…")
    try:
        user, by_key = watched_user(state.identity, request, state.cfg.server, request.query.get("viewer"),
                                    request.query.get("credential"))
    except ProtocolError as e:
        raise web.HTTPUnauthorized(text=f"{e.message} (?viewer=KEY: the owner's viewer key)") from None
    session = state.registry.find(user=user)
    if session is None:
        raise web.HTTPNotFound(text="that user has no live session: open the live page first")
    if hello.session_full(state, session):
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
    engine_stats = state.engines.stats()
    for key, value in engine_stats["render"].items():  # the renderer's own figures (e.g. render batch sizes)
        if isinstance(value, (int, float)):
            gauges[f"ohlora_render_{key}"] = (f"avatar renderer: {key}", float(value))
    for key, value in engine_stats["dialogue"].items():  # an unreachable LLM engine, unusable role output
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

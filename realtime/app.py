"""The application factory: one aiohttp app holding the engines, the sessions and the routes."""
from __future__ import annotations

import logging

from aiohttp import web

from .config import Config
from .engines import Engines
from .metrics import ServerMetrics
from .routes import setup_routes
from .sessions import SessionRegistry
from .state import STATE, ServerState

log = logging.getLogger("ohlora.realtime")


def create_app(cfg: Config, engines: Engines) -> web.Application:
    """An app serving `engines` under `cfg`; engines start with the app and stop with it."""
    app = web.Application(client_max_size=cfg.server.max_message_bytes * 4)
    metrics = ServerMetrics()
    app[STATE] = ServerState(cfg=cfg, engines=engines, metrics=metrics,
                             registry=SessionRegistry(cfg, engines, metrics))
    setup_routes(app)
    app.on_startup.append(_start_engines)
    app.on_shutdown.append(_drain_sessions)
    app.on_cleanup.append(_stop_engines)
    return app


async def _start_engines(app: web.Application) -> None:
    state = app[STATE]
    await state.engines.avatar.start()
    state.ready = True
    log.info("engines ready", extra={"event": "ready"})


async def _drain_sessions(app: web.Application) -> None:
    """Graceful shutdown: answers in flight finish (or are cancelled after the timeout), sockets get a
    `server_shutdown` error and close."""
    state = app[STATE]
    state.draining = True
    await state.registry.close_all("server_shutdown", "the server is shutting down; reconnect in a moment",
                                   finish_within=state.cfg.server.shutdown_timeout_s)


async def _stop_engines(app: web.Application) -> None:
    state = app[STATE]
    await state.engines.close()  # memories are flushed here
    await state.engines.avatar.stop()
    log.info("stopped", extra={"event": "stopped"})

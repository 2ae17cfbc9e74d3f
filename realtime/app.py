"""The application factory: one aiohttp app holding the engines, the sessions and the routes."""
from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

from aiohttp import web

from .config import Config
from .engines import Engines
from .hello import DRAINING
from .access import host_check
from .identity import IdentityStore
from .metrics import ServerMetrics
from .routes import setup_routes
from .sessions import SessionRegistry
from .state import STATE, ServerState

log = logging.getLogger("ohlora.realtime")


EXIT_IF_INTERRUPTED_AT_START = web.AppKey("exit_if_interrupted_at_start", bool)


def create_app(cfg: Config, engines: Engines, *, exit_if_interrupted_at_start: bool = False) -> web.Application:
    """An app serving `engines` under `cfg`; engines start with the app and stop with it.

    `exit_if_interrupted_at_start` (for `ohlora serve`): Ctrl-C while the models load or the atlas is
    built exits at once; that work runs in a thread that cannot be stopped, and no session exists yet.
    """
    app = web.Application(client_max_size=cfg.server.max_message_bytes * 4, middlewares=[host_check])
    metrics = ServerMetrics()
    identity = IdentityStore(Path(cfg.server.identity_file) if cfg.server.identity_file else None,
                             secret=cfg.server.identity_secret,
                             credential_ttl_s=cfg.server.credential_ttl_days * 86400)
    app[STATE] = ServerState(cfg=cfg, engines=engines, metrics=metrics,
                             registry=SessionRegistry(cfg, engines, metrics), identity=identity)
    app[EXIT_IF_INTERRUPTED_AT_START] = exit_if_interrupted_at_start
    setup_routes(app)
    app.on_startup.append(_start_engines)
    app.on_shutdown.append(drain)
    app.on_cleanup.append(_stop_engines)
    return app


async def _start_engines(app: web.Application) -> None:
    state = app[STATE]
    try:
        await state.engines.avatar.start()
    except asyncio.CancelledError:
        if app[EXIT_IF_INTERRUPTED_AT_START]:
            print("ohlora serve: interrupted while starting; nothing to save, exiting", flush=True)
            os._exit(130)
        raise
    state.ready = True
    log.info("engines ready", extra={"event": "ready"})


async def drain(app: web.Application) -> None:
    """Graceful shutdown: `/healthz` says `draining` at once and no new session opens; answers in flight
    finish (or are cancelled after `server.shutdown_timeout_s`); sockets get `server_shutdown` and close
    with 1001. Idempotent: `ohlora serve` calls it on SIGTERM while still listening, aiohttp on shutdown."""
    state = app[STATE]
    if state.drained is not None:
        await state.drained.wait()
        return
    state.draining = True
    state.drained = asyncio.Event()
    log.info("draining", extra={"event": "draining"})
    try:
        await state.registry.close_all("server_shutdown", DRAINING, finish_within=state.cfg.server.shutdown_timeout_s)
    finally:
        state.drained.set()


async def _stop_engines(app: web.Application) -> None:
    state = app[STATE]
    await state.engines.close()  # every exchange is stored already; this releases the chat engine's connections
    await state.engines.avatar.stop()
    log.info("stopped", extra={"event": "stopped"})


async def serve(app: web.Application, host: str, port: int,
                announce: Callable[[str], None] | None = None) -> None:
    """Run `app` until SIGTERM or SIGINT, then drain while still listening and stop.

    On the signal `/healthz` turns 503 `draining` at once (a load balancer moves new sessions away),
    answers in flight get `server.shutdown_timeout_s` to finish, every socket gets `server_shutdown`, and
    only then does the listening socket close and the engines stop.
    """
    state = app[STATE]
    runner = web.AppRunner(app, handle_signals=False, access_log=None,
                           shutdown_timeout=state.cfg.server.shutdown_timeout_s + 2)
    await runner.setup()  # starts the engines (app.on_startup)
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        if announce is not None:
            announce(site.name)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
        await drain(app)
    finally:
        await runner.cleanup()


def serve_until_signalled(app: web.Application, host: str, port: int,
                          announce: Callable[[str], None] | None = None) -> NoReturn:
    """`ohlora serve`'s main loop: `serve`, then exit 0 once everything is saved.

    The process leaves without running native destructors: an answer thread cancelled at the shutdown
    timeout may still be inside torch, and tearing its thread pool down under it aborts the process
    ("terminate called without an active exception", exit 134) instead of exiting cleanly.
    """
    asyncio.run(serve(app, host, port, announce))
    log.info("stopped; exiting", extra={"event": "exit"})
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)

"""The URL table of the server (kept apart from the handlers, as in aiohttp's examples)."""
from __future__ import annotations

from aiohttp import web

from web import WEB_DIR

from . import handlers


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/", handlers.page("index.html"), name="live")
    app.router.add_get("/obs", handlers.page("obs.html"), name="obs")
    app.router.add_get("/ws", handlers.websocket_handler, name="ws")
    app.router.add_get("/stream.mjpg", handlers.mjpeg_handler, name="mjpeg")
    app.router.add_get("/healthz", handlers.healthz, name="healthz")
    app.router.add_get("/metrics", handlers.metrics_handler, name="metrics")
    app.router.add_static("/static/", WEB_DIR, name="static", append_version=False)

"""The live server behind `ohlora serve`: one aiohttp app that streams the avatar's frames and the persona's
answers to browsers over one websocket (protocol v2, docs/protocol.md), plus MJPEG, health and metrics.

Serving modules: app (the factory and the main loop), config, engines, access, hello, websocket, sessions,
peers, handlers, routes, protocol, messages, identity, metrics, logs. Offline tools, never imported by
`ohlora serve`: client (the protocol client) and bench (`ohlora bench serve`). Public names load lazily.
"""
from __future__ import annotations

import importlib

_PUBLIC = {
    "create_app": "realtime.app",
    "serve": "realtime.app",
    "Config": "realtime.config",
    "ConfigError": "realtime.config",
    "load_config": "realtime.config",
    "Engines": "realtime.engines",
    "build_engines": "realtime.engines",
    "PROTOCOL_VERSION": "realtime.protocol",
    "ProtocolError": "realtime.protocol",
    "OhloraClient": "realtime.client",
    "ClientError": "realtime.client",
}
__all__ = sorted(_PUBLIC)


def __getattr__(name: str):
    if name in _PUBLIC:
        return getattr(importlib.import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""What every handler of one server shares: configuration, engines, sessions, metrics."""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from aiohttp import web

from .config import Config
from .engines import Engines
from .identity import IdentityStore
from .metrics import ServerMetrics
from .sessions import SessionRegistry


@dataclass
class ServerState:
    cfg: Config
    engines: Engines
    metrics: ServerMetrics
    registry: SessionRegistry
    identity: IdentityStore
    started: float = field(default_factory=time.monotonic)
    ready: bool = False       # engines started
    draining: bool = False    # shutting down: no new sessions, /healthz says so
    drained: asyncio.Event | None = None  # set once every session was closed for shutdown


STATE = web.AppKey("ohlora_state", ServerState)

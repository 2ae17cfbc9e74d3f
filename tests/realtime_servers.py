"""Servers for the tests: `serving()` runs the app in this process on fake engines (a context manager that
checks every message the server sent against the protocol schema); `ServerProcess` starts a server process
on a free port for integration and browser tests (tests/realtime_test_serve.py: the app `ohlora serve`
runs, on the real engines this checkout has; its first line says which ran)."""
from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from realtime.app import create_app
from realtime.client import OhloraClient
from realtime.config import load_config
from realtime.engines import Engines
from realtime.protocol import validate
from tests.realtime_fakes import FakeAvatarRenderer, FakeChatEngine, FakeSafetyGate

ROOT = Path(__file__).resolve().parent.parent


def _has(module: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


@dataclass
class Served:
    base: str
    ws: str
    engines: Engines
    runner: web.AppRunner
    clients: list

    def client(self, **kw) -> OhloraClient:
        c = OhloraClient(self.ws, **kw)
        self.clients.append(c)
        return c


@contextlib.asynccontextmanager
async def serving(overrides: dict | None = None, chat: FakeChatEngine | None = None, safety=None,
                  avatar: FakeAvatarRenderer | None = None, matte=None):
    cfg = load_config(env={}, overrides={"server.stats_interval_s": 0.2, **(overrides or {})})
    engines = Engines(avatar or FakeAvatarRenderer(), chat or FakeChatEngine(), safety or FakeSafetyGate(), matte)
    runner = web.AppRunner(create_app(cfg, engines), shutdown_timeout=2)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    served = Served(f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}/ws", engines, runner, [])
    try:
        yield served
    finally:
        for c in served.clients:  # every message the server sent obeys the protocol schema
            for _, msg in c.received:
                validate(msg, "server")
        await asyncio.gather(*(c.close() for c in served.clients), return_exceptions=True)
        await runner.cleanup()


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 60))


REAL_AVATAR = _has("render.avatar")
REAL_CHAT = _has("dialogue.conversation")
REAL_ENGINES = REAL_AVATAR and REAL_CHAT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LoopbackListener:
    """Something listening on `self.port` of 127.0.0.1: its HTTP base and websocket URLs."""

    port: int

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"


class ServerProcess(LoopbackListener):
    def __init__(self, port: int | None = None, settings: list[str] | None = None, fake: tuple[str, ...] = ()):
        self.port = port or free_port()
        self.settings = settings or []
        self.fake = fake
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 300.0) -> "ServerProcess":
        cmd = [sys.executable, "-m", "tests.realtime_test_serve", "--port", str(self.port)]
        for s in self.settings:
            cmd += ["--set", s]
        for f in self.fake:
            cmd += ["--fake", f]
        # glibc returning big buffers to the OS after every op doubles CPU time (NOTES.md)
        env = dict(os.environ, PYTHONPATH=str(ROOT), MALLOC_MMAP_MAX_="0", MALLOC_TRIM_THRESHOLD_="17179869184")
        self.log = open(ROOT / ".pytest_cache" / f"server-{self.port}.log", "w") if (ROOT / ".pytest_cache").exists() \
            else subprocess.DEVNULL
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}: {' '.join(cmd)}")
            try:
                with urllib.request.urlopen(f"{self.base}/healthz", timeout=1) as r:
                    if r.status == 200:
                        return self
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"server on port {self.port} was not healthy within {timeout:g} s")

    def stop(self) -> int | None:
        if self.proc is None:
            return None
        self.proc.terminate()
        try:
            code = self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        self.proc = None
        return code

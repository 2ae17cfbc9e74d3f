"""Servers for the tests.

`serving()` runs the app `ohlora serve` runs in this process, on fake engines, under aiohttp's TestServer (a
context manager that checks every message the server sent against the protocol schema). `ServerProcess`
starts a server process on a free port for integration and browser tests (tests/realtime_test_serve.py:
the real engines, or the fakes it is told to use); `engines` says which ran.
"""
from __future__ import annotations

import asyncio
import contextlib
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestServer

from realtime.app import create_app
from realtime.client import OhloraClient
from realtime.config import load_config
from realtime.engines import Engines
from realtime.protocol import validate
from tests.realtime_fakes import FakeAvatarRenderer, FakeChatEngine, FakeSafetyGate

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Served:
    base: str
    ws: str
    engines: Engines
    server: TestServer
    clients: list

    @property
    def app(self) -> web.Application:
        return self.server.app

    def client(self, **kw) -> OhloraClient:
        c = OhloraClient(self.ws, **kw)
        self.clients.append(c)
        return c


@contextlib.asynccontextmanager
async def serving(overrides: dict | None = None, chat: FakeChatEngine | None = None, safety=None,
                  avatar: FakeAvatarRenderer | None = None, matte=None):
    # she speaks fast here (the pacing has tests of its own that set it): a turn takes ~0.1 s, not ~1 s
    cfg = load_config(env={}, overrides={"server.stats_interval_s": 0.2, "stream.speech_chars_per_s": 200.0,
                                         **(overrides or {})})
    engines = Engines(avatar or FakeAvatarRenderer(), chat or FakeChatEngine(), safety or FakeSafetyGate(), matte)
    server = TestServer(create_app(cfg, engines), host="127.0.0.1")
    await server.start_server(shutdown_timeout=2)
    base = str(server.make_url(""))
    served = Served(base, str(server.make_url("/ws").with_scheme("ws")), engines, server, [])
    try:
        yield served
    finally:
        for c in served.clients:  # every message the server sent obeys the protocol schema
            for _, msg in c.received:
                validate(msg, "server")
        await asyncio.gather(*(c.close() for c in served.clients), return_exceptions=True)
        await server.close()


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 60))


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
    """`python -m tests.realtime_test_serve` on a free port: the real engines, except those named in `fake`.

    `engines` is what the server says it ran, e.g. {"avatar": "real", "chat": "real", "matte": "none"}; a
    real engine that cannot load fails `start()` with the server's output."""

    def __init__(self, port: int | None = None, settings: list[str] | None = None, fake: tuple[str, ...] = ()):
        self.port = port or free_port()
        self.settings = settings or []
        self.fake = fake
        self.proc: subprocess.Popen | None = None
        self.engines: dict[str, str] = {}
        self.starts = 0

    def start(self, timeout: float = 300.0) -> "ServerProcess":
        cmd = [sys.executable, "-m", "tests.realtime_test_serve", "--port", str(self.port)]
        for s in self.settings:
            cmd += ["--set", s]
        for f in self.fake:
            cmd += ["--fake", f]
        # glibc handing big buffers back to the OS after every operation doubles the render's CPU time
        env = dict(os.environ, PYTHONPATH=str(ROOT), MALLOC_MMAP_MAX_="0", MALLOC_TRIM_THRESHOLD_="17179869184")
        logs = ROOT / ".pytest_cache" if (ROOT / ".pytest_cache").exists() else Path(tempfile.gettempdir())
        # one log per start: a restart on the same port must not read (or be overwritten by) the last one's
        self.starts += 1
        self.log_path = logs / f"server-{self.port}-{self.starts}.log"
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}: {' '.join(cmd)}\n{self.output()}")
            try:
                with urllib.request.urlopen(f"{self.base}/healthz", timeout=1) as r:
                    if r.status == 200:
                        self.engines = self._engines()
                        return self
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"server on port {self.port} was not healthy within {timeout:g} s\n{self.output()}")

    def output(self, tail: int = 4000) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-tail:]

    def _engines(self) -> dict[str, str]:
        """The server's line `engines: avatar=real chat=real matte=none` (libraries may log before it), as a dict."""
        log = self.log_path.read_text(encoding="utf-8", errors="replace")
        line = next((s for s in log.splitlines() if s.startswith("engines: ")), None)
        assert line, f"the test server did not say which engines it runs:\n{log[-2000:]}"
        # a native library's log can land on the same line (it writes to the shared fd unbuffered): read the
        # three named fields, whatever else shares the line
        found = dict(re.findall(r"\b(avatar|chat|matte)=(real|fake|none)\b", line))
        assert len(found) == 3, f"the test server's engines line is unreadable: {line!r}\n{log[-2000:]}"
        return found

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
        self.log.close()
        return code

"""Start a server process on a free port for integration and browser tests.

`ohlora serve` with the real engines when this checkout has them; otherwise (an engine has not landed
yet) the same app over fake engines, and `REAL_ENGINES` says which one ran.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def real_engines_available() -> bool:
    import importlib.util

    return all(importlib.util.find_spec(m) is not None for m in ("render.avatar", "dialogue.conversation"))


REAL_ENGINES = real_engines_available()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProcess:
    def __init__(self, port: int | None = None, settings: list[str] | None = None):
        self.port = port or free_port()
        self.settings = settings or []
        self.proc: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    def start(self, timeout: float = 300.0) -> "ServerProcess":
        module = "realtime.cli" if REAL_ENGINES else "tests.realtime_fake_serve"
        cmd = [sys.executable, "-m", module] + (["serve"] if REAL_ENGINES else []) + ["--port", str(self.port)]
        for s in self.settings:
            cmd += ["--set", s]
        env = dict(os.environ, PYTHONPATH=str(ROOT))
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

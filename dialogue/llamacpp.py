"""llama.cpp's OpenAI-compatible server (`llama-cpp-python[server]`, the `llamacpp` extra) serving the
embedded Gemma GGUF with our role adapters as GGUF LoRA: the real engine behind the remote backend in the
tests, in `ohlora bench remote`, and for anyone who wants the LLM in its own process.

llama-cpp-python's server keeps one model loaded and reloads when a request names another alias, so
each role switch costs a reload of the (memory-mapped) GGUF and its adapter; measured in
docs/benchmarks.md. vLLM serves all four adapters at once (`--enable-lora --lora-modules …`).
"""
from __future__ import annotations

import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from weights.llamacpp import LlamaCppFiles

INSTALL_HINT = ("llama.cpp's server is not installed: `pip install -e '.[llamacpp]'` (builds llama-cpp-python from "
                "source, ~6 minutes on 2 cores; needs gcc and cmake)")


def server_available() -> bool:
    try:
        return all(importlib.util.find_spec(m) is not None for m in ("llama_cpp", "uvicorn", "fastapi",
                                                                     "sse_starlette", "starlette_context"))
    except ModuleNotFoundError:
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LlamaCppServer:
    """`python -m llama_cpp.server --config_file …` on a free loopback port, one model alias per role."""

    def __init__(self, files: LlamaCppFiles, threads: int = 2, port: int | None = None,
                 log: Path | None = None) -> None:
        self.files = files
        self.threads = threads
        self.port = port or free_port()
        self.log = log
        self.proc: subprocess.Popen | None = None
        self._config: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self, timeout: float = 120.0) -> LlamaCppServer:
        if not server_available():
            raise RuntimeError(INSTALL_HINT)
        fd, name = tempfile.mkstemp(prefix="ohlora-llamacpp-", suffix=".json")
        with os.fdopen(fd, "w") as f:
            json.dump(self.files.server_config(self.port, self.threads), f)
        self._config = Path(name)
        out = open(self.log, "w") if self.log else subprocess.DEVNULL
        self.proc = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--config_file", name],
                                     stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"llama.cpp server exited with code {self.proc.returncode}"
                                   + (f"; see {self.log}" if self.log else ""))
            try:
                with urllib.request.urlopen(f"{self.url}/models", timeout=1) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"llama.cpp server on port {self.port} did not answer within {timeout:g} s")

    def kill(self) -> None:
        """SIGKILL, as when the engine crashes."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        self.proc = None
        if self._config is not None:
            self._config.unlink(missing_ok=True)
            self._config = None

    def __enter__(self) -> LlamaCppServer:
        return self if self.proc is not None else self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

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


def cpu_has_amx() -> bool:
    """Whether this CPU has Intel AMX (Sapphire Rapids and later), from /proc/cpuinfo; False where unknown."""
    try:
        return "amx_tile" in Path("/proc/cpuinfo").read_text().split()
    except OSError:
        return False


def keep_weights_off_amx() -> bool:
    """On a CPU with AMX, load every model with llama.cpp's extra buffer types off (returns whether it did).

    llama-cpp-python 0.3.36 puts the embedded GGUF's Q4_K weights in AMX buffers on such a CPU, and the process
    dies on the first decoded token (the server answers 200 and closes the stream). The plain CPU buffers decode
    the same model. Elsewhere the extra buffer types (repacked weights) stay on: they are llama.cpp's fast path.
    Must run before a model loads; `python -m dialogue.llamacpp` does it for the server.
    """
    if not cpu_has_amx():
        return False
    import llama_cpp.llama_cpp as lib

    if getattr(lib.llama_model_default_params, "keeps_weights_off_amx", False):
        return True
    default = lib.llama_model_default_params

    def params():
        p = default()
        p.use_extra_bufts = False
        return p

    params.keeps_weights_off_amx = True
    lib.llama_model_default_params = params
    return True


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LlamaCppServer:
    """llama.cpp's server (`python -m dialogue.llamacpp --config_file …`: `llama_cpp.server` with the AMX guard,
    `keep_weights_off_amx`) on a free loopback port, one model alias per role."""

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
        self.proc = subprocess.Popen([sys.executable, "-m", "dialogue.llamacpp", "--config_file", name],
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


def serve_main() -> None:
    """`python -m dialogue.llamacpp --config_file FILE`: llama-cpp-python's server, its models kept off AMX
    buffers on CPUs that have them (`keep_weights_off_amx`); every argument goes to `llama_cpp.server`."""
    keep_weights_off_amx()
    from llama_cpp.server.__main__ import main

    main()


if __name__ == "__main__":
    serve_main()

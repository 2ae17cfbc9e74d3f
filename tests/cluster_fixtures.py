"""Several real `ohlora serve` processes behind a real nginx, for the cluster tests.

`OhloraInstance` runs the real CLI (`python -m realtime.cli serve --config FILE --port N`) as a subprocess;
`NginxBalancer` runs Debian's nginx binary with `deploy/nginx.conf` as committed, only its upstream `server`
lines and its `listen` line replaced, under a main config written into a temporary folder (pid, logs and
temp paths there; nothing root-owned is touched). Both log into their folder; a failure message quotes the
log's tail.
"""
from __future__ import annotations

import json
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.realtime_servers import ROOT, LoopbackListener, free_port

NGINX_SITE = ROOT / "deploy" / "nginx.conf"


def nginx_binary() -> str | None:
    """Debian's nginx (`apt-get install nginx`; .ci/setup does), or one on PATH."""
    for candidate in (os.environ.get("OHLORA_NGINX"), "/usr/sbin/nginx", shutil.which("nginx")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def http_get(url: str, timeout: float = 3.0) -> tuple[int, str]:
    """(status, body) of a GET; an HTTP error status is returned, not raised."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")


def tail(path: Path, chars: int = 3000) -> str:
    return path.read_text(errors="replace")[-chars:] if path.exists() else "(no log)"


class OhloraInstance:
    """One `ohlora serve` process on 127.0.0.1:port with a TOML config (shared by the instances of a cluster)."""

    def __init__(self, name: str, config: Path, folder: Path, port: int | None = None):
        self.name, self.config, self.folder = name, config, folder
        self.port = port or free_port()
        self.proc: subprocess.Popen | None = None
        self.log_path = folder / f"{name}.log"

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "OhloraInstance":
        cmd = [sys.executable, "-m", "realtime.cli", "serve", "--config", str(self.config), "--port", str(self.port)]
        # glibc handing big buffers back to the OS after every operation doubles the render's CPU time
        env = dict(os.environ, PYTHONPATH=str(ROOT), MALLOC_MMAP_MAX_="0", MALLOC_TRIM_THRESHOLD_="17179869184")
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        return self

    def wait_healthy(self, timeout: float = 600.0) -> "OhloraInstance":
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is None or self.proc.poll() is not None:
                raise RuntimeError(f"instance {self.name} exited ({self.proc and self.proc.returncode}) while "
                                   f"starting; its log:\n{tail(self.log_path)}")
            try:
                if self.health()[0] == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"instance {self.name} was not healthy within {timeout:g} s; its log:\n{tail(self.log_path)}")

    def health(self) -> tuple[int, dict]:
        status, body = http_get(f"{self.base}/healthz")
        return status, json.loads(body)

    def sockets(self) -> int:
        """Sockets open on this instance right now (chat, viewers, MJPEG)."""
        return sum(int(n) for n in self.health()[1]["sockets"].values())

    def metric(self, name: str) -> float:
        """The sum of a Prometheus metric's samples whose name and labels start with `name`."""
        _, text = http_get(f"{self.base}/metrics")
        return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(name))

    def kill(self) -> None:
        """SIGKILL: the machine died; nothing is flushed."""
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(10)
        self.proc = None

    def terminate(self) -> None:
        """SIGTERM: a rolling restart; the instance drains, then exits."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)

    def wait_exit(self, timeout: float = 60.0) -> int:
        assert self.proc is not None
        code = self.proc.wait(timeout)
        self.proc = None
        return code

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.proc = None


def render_site(site: str, upstreams: list[int], listen_port: int) -> str:
    """deploy/nginx.conf with its upstream servers replaced by 127.0.0.1:PORT (their parameters kept) and
    its listen line by 127.0.0.1:listen_port. Raises when the file no longer has the lines this expects."""
    servers = re.findall(r"^(\s*)server\s+\S+:\d+(\s[^;]*)?;", site, flags=re.M)
    if not servers:
        raise ValueError(f"{NGINX_SITE} has no `server HOST:PORT …;` lines in its upstream")
    indent, params = servers[0][0], servers[0][1] or ""
    lines = "\n".join(f"{indent}server 127.0.0.1:{port}{params};" for port in upstreams)
    seen = iter(range(len(servers)))
    site = re.sub(r"^\s*server\s+\S+:\d+(\s[^;]*)?;\n", lambda m: lines + "\n" if next(seen) == 0 else "", site,
                  flags=re.M)
    site, listens = re.subn(r"^(\s*)listen\s+[^;]+;", rf"\g<1>listen 127.0.0.1:{listen_port};", site, flags=re.M)
    if listens != 1 or lines not in site:
        raise ValueError(f"{NGINX_SITE}: expected one `listen` line in its server block")
    return site


class NginxBalancer(LoopbackListener):
    """nginx in front of `upstreams` (ports on 127.0.0.1), configured by deploy/nginx.conf."""

    def __init__(self, binary: str, folder: Path, upstreams: list[int]):
        self.binary, self.folder = binary, folder
        self.port = free_port()
        self.error_log = folder / "nginx-error.log"
        self.access_log = folder / "nginx-access.log"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "ohlora.conf").write_text(render_site(NGINX_SITE.read_text(), upstreams, self.port))
        # As root nginx's workers would switch to an unprivileged user who cannot write into this folder.
        user = f"user {pwd.getpwuid(os.geteuid()).pw_name};\n" if os.geteuid() == 0 else ""
        temp = "\n".join(f"    {kind}_temp_path {folder}/{kind}_temp;"
                         for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        (folder / "nginx.conf").write_text(
            f"{user}daemon off;\nworker_processes 1;\npid {folder}/nginx.pid;\nerror_log {self.error_log} info;\n"
            f"events {{ worker_connections 256; }}\n"
            f"http {{\n"
            f"    log_format upstream '$remote_addr \"$request\" $status upstream=$upstream_addr "
            f"affinity=$ohlora_affinity';\n"
            f"    access_log {self.access_log} upstream;\n{temp}\n"
            f"    include {folder}/ohlora.conf;\n}}\n")
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 20.0) -> "NginxBalancer":
        conf = self.folder / "nginx.conf"
        check = subprocess.run([self.binary, "-t", "-p", str(self.folder), "-e", str(self.error_log), "-c", str(conf)],
                               capture_output=True, text=True, timeout=30)
        if check.returncode != 0:
            raise RuntimeError(f"nginx rejects the configuration: {check.stderr.strip()}")
        with open(self.folder / "nginx-stdout.log", "ab") as log:
            self.proc = subprocess.Popen([self.binary, "-p", str(self.folder), "-e", str(self.error_log), "-c", str(conf)],
                                         stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nginx exited ({self.proc.returncode}); its error log:\n{tail(self.error_log)}")
            try:
                if http_get(f"{self.base}/healthz")[0] == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"nginx did not answer within {timeout:g} s; its error log:\n{tail(self.error_log)}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)  # graceful: finish and exit
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None

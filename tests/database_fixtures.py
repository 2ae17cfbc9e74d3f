"""A throwaway PostgreSQL server for the tests, and the engine-parametrized database fixture.

`postgres_cluster` (one per test session) runs Debian's PostgreSQL binaries: `initdb` into a temporary
folder, `pg_ctl start` listening only on a unix socket in that folder, `pg_ctl stop` at the end. Each test
gets a fresh database in it. Tests on PostgreSQL are skipped, with the reason, only when the binaries (or
psycopg, the `postgres` extra) are missing; `.ci/setup` installs both.
"""
from __future__ import annotations

import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from dialogue.database import DialogueDatabase, open_database


def postgres_bindir() -> Path | None:
    """The folder of initdb and pg_ctl: $OHLORA_PG_BINDIR, Debian's newest /usr/lib/postgresql/*/bin, or PATH."""
    candidates = [Path(os.environ["OHLORA_PG_BINDIR"])] if os.environ.get("OHLORA_PG_BINDIR") else []
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name)
                         if p.parent.name.isdigit() else 0, reverse=True)
    if shutil.which("initdb"):
        candidates.append(Path(shutil.which("initdb")).parent)
    return next((c for c in candidates if (c / "initdb").exists() and (c / "pg_ctl").exists()), None)


class PostgresCluster:
    """initdb + pg_ctl in a temporary folder; `url(name)` reaches a database over the unix socket."""

    def __init__(self, bindir: Path):
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="ohlora-pg-"))
        self.data, self.log = self.root / "data", self.root / "server.log"
        self.port = 5432  # only names the socket file: the server listens on no TCP port
        self._names = itertools.count()
        self.owner: str | None = None
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root: the package's system user runs it
            try:
                entry = pwd.getpwnam("postgres")
            except KeyError:
                shutil.rmtree(self.root, ignore_errors=True)
                pytest.skip("running as root and there is no 'postgres' user to run PostgreSQL as "
                            "(apt-get install postgresql creates it)")
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
            self.owner = "postgres"

    def _run(self, *args: str) -> None:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self.owner:
            cmd = ["runuser", "-u", self.owner, "--", *cmd]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{' '.join(args[:2])} failed ({done.returncode}): {done.stderr.strip()}\n{log}")

    def start(self) -> PostgresCluster:
        if not self.data.exists():
            self._run("initdb", "-D", str(self.data), "-U", "ohlora", "--auth=trust", "-E", "UTF8",
                      "--locale=C.UTF-8", "--no-sync")
        options = f"-p {self.port} -k {self.root} -c listen_addresses='' -c fsync=off -c max_connections=50"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "-o", options, "start")
        return self

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def url(self, dbname: str) -> str:
        return f"postgresql://ohlora@/{dbname}?host={self.root}&port={self.port}"

    def create_database(self) -> str:
        """A fresh, empty database; returns its URL."""
        import psycopg

        name = f"t{os.getpid()}_{next(self._names)}"
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def has_pgvector(self) -> bool:
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            return conn.execute("SELECT count(*) FROM pg_available_extensions WHERE name = 'vector'").fetchone()[0] > 0

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("psycopg is not installed: pip install -e '.[postgres]' (.ci/setup does)")
    bindir = postgres_bindir()
    if bindir is None:
        pytest.skip("the PostgreSQL server binaries (initdb, pg_ctl) are not installed: apt-get install postgresql "
                    "(.ci/setup does), or point OHLORA_PG_BINDIR at them")
    cluster = PostgresCluster(bindir).start()
    try:
        yield cluster
    finally:
        try:
            cluster.stop()
        finally:
            cluster.remove()


ENGINES = ["sqlite", "postgresql", "postgresql-exact"]


@pytest.fixture(params=ENGINES)
def database(request, tmp_path) -> Callable[[], DialogueDatabase]:
    """Opens a handle on one fresh database per test (each call: another connection, as another server
    process would open): SQLite, PostgreSQL with pgvector when the server has it, PostgreSQL with exact
    search in numpy."""
    handles: list[DialogueDatabase] = []
    if request.param == "sqlite":
        url, options = str(tmp_path / "dialogue.sqlite3"), {}
    else:
        cluster = request.getfixturevalue("postgres_cluster")
        url = cluster.create_database()
        options = {"vectors": False} if request.param == "postgresql-exact" else {}

    def open_handle() -> DialogueDatabase:
        db = open_database(url, **options)
        handles.append(db)
        return db

    open_handle.url = url  # type: ignore[attr-defined]
    open_handle.engine = request.param  # type: ignore[attr-defined]
    yield open_handle
    for db in handles:
        try:
            db.close()
        except Exception:
            pass

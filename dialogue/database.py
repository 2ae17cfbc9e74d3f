"""The dialogue database: memories, the block policy and conversations, in SQLite or PostgreSQL.

`open_database(url)` picks the engine: a file path (or `sqlite:///path`, `:memory:`) is SQLite, the embedded
default, one file per deployment; `postgresql://…` is PostgreSQL (psycopg 3, the `postgres` extra), for
several server processes that share users. Both engines speak the same SQL to the stores (`MemoryStore`,
`BlockPolicy`, `ConversationStore`): `?` placeholders, which the PostgreSQL engine turns into psycopg's.

Schema (the same tables on both engines; docs/database.md describes them):
  memories   per-user `[key: value]` memories with their float32 embeddings (passage and key)
  offences   every counted offence; blocks: each user's current block and escalation level
  exchanges  each user's conversation: message, the answer shown, its kind and summary, when
Versions: SQLite keeps its schema version in `PRAGMA user_version`, PostgreSQL in `ohlora_schema`. Each
version is one migration per engine, applied at open in its own transaction, in order; a database newer
than this code is refused. Two processes opening at once are safe: SQLite takes the write lock
(`BEGIN IMMEDIATE`) and PostgreSQL an advisory lock before reading the version.

SQLite runs with WAL journaling (readers never wait for the writer; a crash loses at most the transaction
in flight) and `synchronous=FULL` (a commit that returned is on disk). PostgreSQL commits are durable by
its own configuration. Embeddings on PostgreSQL: when the server has the pgvector extension (or lets this
user create it), memories also carry `vector` columns and similarities are computed in the database;
without it they are computed exactly in numpy from the stored float32 bytes. The scores agree to float32
rounding either way.
"""
from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

log = logging.getLogger(__name__)

# SQLite: each entry upgrades the schema from version i to i + 1 (statements split on ";", so none in
# comments). Append only: never edit a released migration.
MIGRATIONS: list[str] = [
    # 1: per-user [key: value] memories with embeddings
    """
    CREATE TABLE memories (
        user_id     TEXT NOT NULL,
        slot        TEXT NOT NULL,      -- the key with relative days resolved ("{2026-11-30} 일정")
        key         TEXT NOT NULL,      -- the key as the memory role wrote it ("내일 일정")
        value       TEXT NOT NULL,
        embedding   BLOB NOT NULL,      -- float32 unit vector
        created_at  REAL NOT NULL,      -- unix seconds
        updated_at  REAL NOT NULL,
        refers_to   TEXT,               -- ISO date a time-bound key is about
        expires_at  REAL,               -- unix seconds, NULL = kept until deleted
        source_turn TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (user_id, slot)
    );
    CREATE INDEX memories_expiry ON memories (expires_at) WHERE expires_at IS NOT NULL;
    """,
    # 2: the block policy: every offence, and each user's current escalation level per category
    """
    CREATE TABLE offences (
        id        INTEGER PRIMARY KEY,
        user_id   TEXT NOT NULL,
        category  TEXT NOT NULL,
        at        REAL NOT NULL,
        excerpt   TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX offences_user ON offences (user_id, category, at);
    CREATE TABLE blocks (
        user_id   TEXT NOT NULL,
        category  TEXT NOT NULL,
        level     INTEGER NOT NULL,     -- offences counted so far (index into the escalation steps)
        until     REAL,                 -- unix seconds the current block ends, NULL = warned only
        updated_at REAL NOT NULL,
        PRIMARY KEY (user_id, category)
    );
    """,
    # 3: the key's own embedding ("query: " + key without its day word), matched against questions beside
    # the "key: value" passage; NULL for rows written before, computed when the user's index is loaded
    """
    ALTER TABLE memories ADD COLUMN key_embedding BLOB
    """,
    # 4: blocks follow the window policy (dialogue/blocks.py): a record is a block, its level counts blocks
    # (not offences) in the user's escalation, and romance and politics never count. Warned-only records and
    # romance/politics records go (their offences stay in `offences`), and levels written with the default
    # steps, whose first step was the warning, drop by one.
    """
    DELETE FROM blocks WHERE until IS NULL OR category IN ('romance', 'politics');
    UPDATE blocks SET level = MAX(level - 1, 1)
    """,
    # 5: conversations (dialogue/conversation_store.py): every exchange a user was shown, with the summary
    # of the answered ones, so that a session resumes after a restart or on another server process
    """
    CREATE TABLE exchanges (
        id          INTEGER PRIMARY KEY,
        user_id     TEXT NOT NULL,
        message     TEXT NOT NULL,
        answer      TEXT NOT NULL,      -- what the user was shown (an interrupted answer: its shown part)
        kind        TEXT NOT NULL,      -- answer | interrupted | reply (the gate's or a canned reply)
        summary     TEXT NOT NULL DEFAULT '',
        asked_at    REAL NOT NULL,
        answered_at REAL NOT NULL
    );
    CREATE INDEX exchanges_user ON exchanges (user_id, id);
    """,
]
SCHEMA_VERSION = len(MIGRATIONS)

# PostgreSQL: the same versions, one script each (run whole, so a function body may hold ";").
POSTGRES_MIGRATIONS: list[str] = [
    """
    CREATE TABLE memories (
        user_id     TEXT NOT NULL,
        slot        TEXT NOT NULL,
        key         TEXT NOT NULL,
        value       TEXT NOT NULL,
        embedding   BYTEA NOT NULL,
        created_at  DOUBLE PRECISION NOT NULL,
        updated_at  DOUBLE PRECISION NOT NULL,
        refers_to   TEXT,
        expires_at  DOUBLE PRECISION,
        source_turn TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (user_id, slot)
    );
    CREATE INDEX memories_expiry ON memories (expires_at) WHERE expires_at IS NOT NULL;
    """,
    """
    CREATE TABLE offences (
        id        BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        user_id   TEXT NOT NULL,
        category  TEXT NOT NULL,
        at        DOUBLE PRECISION NOT NULL,
        excerpt   TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX offences_user ON offences (user_id, category, at);
    CREATE TABLE blocks (
        user_id    TEXT NOT NULL,
        category   TEXT NOT NULL,
        level      INTEGER NOT NULL,
        until      DOUBLE PRECISION,
        updated_at DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (user_id, category)
    );
    """,
    """
    ALTER TABLE memories ADD COLUMN key_embedding BYTEA;
    """,
    """
    DELETE FROM blocks WHERE until IS NULL OR category IN ('romance', 'politics');
    UPDATE blocks SET level = GREATEST(level - 1, 1);
    """,
    # 5: conversations, and a per-user revision of memories that every write bumps (a trigger), so a
    # process knows when another one changed a user's memories and reloads its cached index
    """
    CREATE TABLE exchanges (
        id          BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        user_id     TEXT NOT NULL,
        message     TEXT NOT NULL,
        answer      TEXT NOT NULL,
        kind        TEXT NOT NULL,
        summary     TEXT NOT NULL DEFAULT '',
        asked_at    DOUBLE PRECISION NOT NULL,
        answered_at DOUBLE PRECISION NOT NULL
    );
    CREATE INDEX exchanges_user ON exchanges (user_id, id);
    CREATE TABLE memory_revisions (
        user_id  TEXT PRIMARY KEY,
        revision BIGINT NOT NULL
    );
    CREATE FUNCTION ohlora_bump_memory_revision() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO memory_revisions AS r (user_id, revision)
        VALUES (CASE WHEN TG_OP = 'DELETE' THEN OLD.user_id ELSE NEW.user_id END, 1)
        ON CONFLICT (user_id) DO UPDATE SET revision = r.revision + 1;
        RETURN NULL;
    END $$;
    CREATE TRIGGER memories_revision AFTER INSERT OR UPDATE OR DELETE ON memories
        FOR EACH ROW EXECUTE FUNCTION ohlora_bump_memory_revision();
    """,
]
assert len(POSTGRES_MIGRATIONS) == SCHEMA_VERSION, "every schema version needs a migration on both engines"

# pg_advisory_xact_lock key taken by migrations (any 64-bit number no other application of the database uses)
MIGRATION_LOCK = 0x6F686C6F7261  # "ohlora"
POSTGRES_SCHEMES = ("postgresql://", "postgres://")


class DatabaseError(ValueError):
    """The database cannot be opened or used as configured; the message says what to do."""


class Rows(Protocol):
    """What `execute` returns on both engines (a DB-API cursor)."""

    rowcount: int

    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...


class Connection(Protocol):
    """The statements the stores run inside `DialogueDatabase.transaction()`, with `?` placeholders."""

    def execute(self, sql: str, args: Sequence[Any] = ()) -> Rows: ...
    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> Any: ...


class DialogueDatabase:
    """The engine-independent handle the stores use: atomic writes, reads, a change marker per user.

    One connection per handle, serialized by `lock` (the stores are called from the event loop and from
    worker threads). Build one with `open_database`."""

    engine: str  # "sqlite" or "postgresql"
    vectors: bool = False  # similarities computed in the database (pgvector)
    lock: threading.RLock

    @property
    def version(self) -> int:
        raise NotImplementedError

    def transaction(self):
        """`with db.transaction() as conn:` — one atomic, durable write (`conn.execute(sql, args)`)."""
        raise NotImplementedError

    def query(self, sql: str, args: Sequence[Any] = ()) -> list[tuple]:
        """All rows of one read (its own snapshot)."""
        raise NotImplementedError

    def serialize(self, conn: Connection, key: str) -> None:
        """Inside a transaction: wait until no other transaction holds `key`, then hold it until commit
        (read-decide-write steps such as the block policy's, when several processes write)."""
        raise NotImplementedError

    def memory_version(self, user_id: str) -> int:
        """Changes whenever any connection committed a change to the user's memories (cache invalidation);
        a writer's own commits are tracked by the store itself."""
        raise NotImplementedError

    def describe(self) -> str:
        """Where the data lives, for logs and errors (no password)."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class SQLiteDatabase(DialogueDatabase):
    """One SQLite file (or `:memory:`)."""

    engine = "sqlite"

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=30.0)
            self._journal_wal()
            self.conn.execute("PRAGMA synchronous=FULL")
            self.conn.execute("PRAGMA foreign_keys=ON")
        except sqlite3.DatabaseError as e:
            raise DatabaseError(f"{path} is not a usable SQLite database ({e}); move it aside to start afresh")
        self.lock = threading.RLock()
        self.migrate()

    def _journal_wal(self, patience_s: float = 30.0) -> None:
        """Switch to WAL. Switching needs the file to itself for a moment and SQLite answers "locked" at once,
        without waiting, while another process opens the same new file: try again for a while."""
        deadline = time.monotonic() + patience_s
        while True:
            try:
                self.conn.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as e:
                if "locked" not in str(e) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    @property
    def version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    def migrate(self, target: int = SCHEMA_VERSION) -> None:
        """Apply the missing migrations in order; refuse a database newer than this code."""
        with self.lock:
            while True:
                self.conn.execute("BEGIN IMMEDIATE")  # the write lock first: another process may be migrating
                try:
                    current = self.version
                    if current > SCHEMA_VERSION:
                        raise DatabaseError(f"{self.path} has schema version {current}, newer than this ohlora "
                                            f"({SCHEMA_VERSION}); upgrade ohlora")
                    if current >= target:
                        self.conn.execute("COMMIT")
                        return
                    for statement in MIGRATIONS[current].split(";"):
                        if statement.strip():
                            self.conn.execute(statement)
                    self.conn.execute(f"PRAGMA user_version = {current + 1}")
                    self.conn.execute("COMMIT")
                except BaseException:
                    self.conn.execute("ROLLBACK")
                    raise

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self.lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")

    def query(self, sql: str, args: Sequence[Any] = ()) -> list[tuple]:
        with self.lock:
            return self.conn.execute(sql, args).fetchall()

    def serialize(self, conn: Connection, key: str) -> None:
        return None  # BEGIN IMMEDIATE already holds the database's only write lock

    def memory_version(self, user_id: str) -> int:
        with self.lock:  # PRAGMA data_version changes when another connection commits (to any table)
            return int(self.conn.execute("PRAGMA data_version").fetchone()[0])

    def describe(self) -> str:
        return f"SQLite {self.path}"

    def close(self) -> None:
        with self.lock:
            self.conn.close()


def _psycopg():
    try:
        import psycopg
    except ImportError:
        raise DatabaseError("the dialogue database is PostgreSQL, but psycopg is not installed: "
                            "pip install 'ohlora[postgres]'") from None
    return psycopg


def redacted(url: str) -> str:
    """A PostgreSQL URL without its password, for messages."""
    try:
        from psycopg.conninfo import conninfo_to_dict

        parts = conninfo_to_dict(url)
    except Exception:
        return url.split("@")[-1] if "@" in url else url
    host = parts.get("host", "localhost")
    where = f"{host}:{parts.get('port', 5432)}" if not str(host).startswith("/") else f"socket {host}"
    return f"postgresql://{parts.get('user', '') + '@' if parts.get('user') else ''}{where}/{parts.get('dbname', '')}"


class _PostgresConnection:
    """A psycopg connection that takes the stores' `?` placeholders."""

    def __init__(self, conn):
        self.conn = conn

    def execute(self, sql: str, args: Sequence[Any] = ()):
        return self.conn.execute(sql.replace("?", "%s"), tuple(args))

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        with self.conn.cursor() as cur:
            cur.executemany(sql.replace("?", "%s"), [tuple(r) for r in rows])


class PostgresDatabase(DialogueDatabase):
    """A PostgreSQL database shared by every server process of a deployment.

    `vectors`: None (default) uses pgvector when the server has it, installing it into this database when
    the user may; False never installs it (a database that already has the columns keeps using them, so
    every process computes the same scores)."""

    engine = "postgresql"

    def __init__(self, url: str, *, vectors: bool | None = None, connect_timeout: float = 10.0):
        self.psycopg = _psycopg()
        self.url = url
        self.connect_timeout = connect_timeout
        self.lock = threading.RLock()
        self.conn = None
        self._connect()
        try:
            self.migrate()
            self.vectors = self._enable_vectors(install=vectors is not False)
        except DatabaseError:
            self.close()
            raise
        except self.psycopg.Error as e:
            self.close()
            raise DatabaseError(f"{self.describe()}: cannot prepare the schema ({_first_line(e)}); the database "
                                f"user needs the right to create tables in it") from None

    def _connect(self) -> None:
        psycopg = self.psycopg
        try:
            self.conn = psycopg.connect(self.url, autocommit=True, connect_timeout=max(1, int(self.connect_timeout)),
                                        application_name="ohlora")
        except psycopg.ProgrammingError as e:  # a malformed URL
            raise DatabaseError(f"OHLORA_DB (or dialogue.database) is not a valid PostgreSQL URL: {_first_line(e)}; "
                                "expected postgresql://USER:PASSWORD@HOST:PORT/DATABASE") from None
        except psycopg.Error as e:
            raise DatabaseError(f"cannot connect to PostgreSQL at {redacted(self.url)}: {_first_line(e)}; check that "
                                "the server runs and the URL in OHLORA_DB (or dialogue.database) is right") from None

    def _live(self):
        """The connection, reconnected when the server restarted since the last call."""
        if self.conn is None or self.conn.closed or self.conn.broken:
            log.warning("reconnecting to %s", self.describe())
            self._connect()
        return self.conn

    @property
    def version(self) -> int:
        with self.lock:
            rows = self._live().execute("SELECT version FROM ohlora_schema").fetchall() if self._has_schema() else []
            return int(rows[0][0]) if rows else 0

    def _has_schema(self) -> bool:
        return self.conn.execute("SELECT to_regclass('ohlora_schema') IS NOT NULL").fetchone()[0]

    def migrate(self, target: int = SCHEMA_VERSION) -> None:
        """Apply the missing migrations in order under an advisory lock; refuse a newer database."""
        with self.lock:
            conn = self._live()
            while True:
                with conn.transaction():
                    conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
                    conn.execute("CREATE TABLE IF NOT EXISTS ohlora_schema (version INTEGER NOT NULL)")
                    row = conn.execute("SELECT version FROM ohlora_schema").fetchone()
                    if row is None:
                        conn.execute("INSERT INTO ohlora_schema (version) VALUES (0)")
                    current = row[0] if row else 0
                    if current > SCHEMA_VERSION:
                        raise DatabaseError(f"{self.describe()} has schema version {current}, newer than this "
                                            f"ohlora ({SCHEMA_VERSION}); upgrade ohlora")
                    if current >= target:
                        return
                    conn.execute(POSTGRES_MIGRATIONS[current])
                    conn.execute("UPDATE ohlora_schema SET version = %s", (current + 1,))
                    log.info("%s: schema version %d", self.describe(), current + 1)

    def _enable_vectors(self, install: bool) -> bool:
        """Add pgvector columns beside the float32 bytes when the extension is (or can be) installed;
        fill them for rows written before. False: exact search in numpy."""
        psycopg, conn = self.psycopg, self.conn
        with self.lock:
            if install and not self._vector_columns():
                try:
                    with conn.transaction():
                        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
                        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
                        conn.execute("ALTER TABLE memories ADD COLUMN IF NOT EXISTS embedding_vec vector, "
                                     "ADD COLUMN IF NOT EXISTS key_embedding_vec vector")
                except psycopg.Error as e:
                    log.info("%s: pgvector is not available (%s); memory search runs exactly in numpy",
                             self.describe(), _first_line(e))
                    return False
            if not self._vector_columns():
                return False
            with conn.transaction():
                rows = conn.execute("SELECT user_id, slot, embedding, key_embedding FROM memories "
                                    "WHERE embedding_vec IS NULL FOR UPDATE").fetchall()
                for user_id, slot, emb, key_emb in rows:
                    conn.execute("UPDATE memories SET embedding_vec = %s::vector, key_embedding_vec = %s::vector "
                                 "WHERE user_id = %s AND slot = %s",
                                 (vector_literal(emb), vector_literal(key_emb) if key_emb is not None else None,
                                  user_id, slot))
            return True

    def _vector_columns(self) -> bool:
        return bool(self.conn.execute(
            "SELECT count(*) FROM information_schema.columns WHERE table_schema = current_schema() "
            "AND table_name = 'memories' AND column_name IN ('embedding_vec', 'key_embedding_vec')").fetchone()[0] == 2)

    @contextmanager
    def transaction(self) -> Iterator[_PostgresConnection]:
        with self.lock:
            conn = self._live()
            with conn.transaction():
                yield _PostgresConnection(conn)

    def query(self, sql: str, args: Sequence[Any] = ()) -> list[tuple]:
        with self.lock:
            return self._live().execute(sql.replace("?", "%s"), tuple(args)).fetchall()

    def serialize(self, conn: Connection, key: str) -> None:
        conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(?, 0))", (key,))

    def memory_version(self, user_id: str) -> int:
        rows = self.query("SELECT revision FROM memory_revisions WHERE user_id = ?", (user_id,))
        return int(rows[0][0]) if rows else 0

    def describe(self) -> str:
        return f"PostgreSQL {redacted(self.url)}"

    def close(self) -> None:
        with self.lock:
            if self.conn is not None:
                self.conn.close()


def vector_literal(data: bytes | Sequence[float]) -> str:
    """float32 bytes (or floats) as pgvector's text form; every float32 value round-trips exactly."""
    import numpy as np

    values = np.frombuffer(data, np.float32) if isinstance(data, (bytes, bytearray, memoryview)) else \
        np.asarray(data, np.float32)
    return "[" + ",".join(repr(float(v)) for v in values) + "]"


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


def data_dir() -> Path:
    """Where ohlora keeps what it learns and issues: $OHLORA_DATA_DIR (default ~/.local/share/ohlora)."""
    return Path(os.environ.get("OHLORA_DATA_DIR", "~/.local/share/ohlora")).expanduser()


def database_url() -> str:
    """$OHLORA_DB (a path or a postgresql:// URL), else $OHLORA_DATA_DIR/dialogue.sqlite3."""
    return os.environ.get("OHLORA_DB") or str(data_dir() / "dialogue.sqlite3")


def is_postgres(url: str | Path) -> bool:
    return isinstance(url, str) and url.startswith(POSTGRES_SCHEMES)


def sqlite_path(url: str | Path) -> Path:
    """'sqlite:///abs/path', 'sqlite:rel/path' or a plain path -> the file (':memory:' stays as is)."""
    text = str(url)
    if text.startswith("sqlite://"):
        text = text[len("sqlite://"):]
    elif text.startswith("sqlite:"):
        text = text[len("sqlite:"):]
    return Path(text).expanduser() if text != ":memory:" else Path(text)


def open_database(url: str | Path | None = None, *, vectors: bool | None = None) -> DialogueDatabase:
    """The dialogue database `url` names (default `database_url()`): `postgresql://…` opens PostgreSQL,
    anything else is an SQLite file. Migrates the schema; raises DatabaseError saying what to do."""
    url = database_url() if url is None or url == "" else url
    if is_postgres(url):
        return PostgresDatabase(str(url), vectors=vectors)
    if isinstance(url, str) and "://" in url and not url.startswith("sqlite:"):
        raise DatabaseError(f"unknown database URL {url.split('://')[0]}://…: use a file path, sqlite:///PATH or "
                            "postgresql://USER:PASSWORD@HOST:PORT/DATABASE")
    return SQLiteDatabase(sqlite_path(url))

"""The dialogue database: one SQLite file per deployment for memories and the block policy.

WAL journaling (readers never wait for the writer; a crash loses at most the transaction in flight),
`synchronous=FULL` (a commit that returned is on disk), and a schema versioned with `PRAGMA user_version`
and upgraded by ordered migrations, each in its own transaction.
"""
from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

# Each entry upgrades the schema from version i to i + 1 (statements split on ";", so none in comments).
# Append only: never edit a released migration.
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
]
SCHEMA_VERSION = len(MIGRATIONS)


class DialogueDatabase:
    """A thread-safe handle on the SQLite file (one connection, serialized by a lock)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=10.0)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=FULL")
            self.conn.execute("PRAGMA foreign_keys=ON")
        except sqlite3.DatabaseError as e:
            raise ValueError(f"{path} is not a usable SQLite database ({e}); move it aside to start afresh")
        self.lock = threading.RLock()
        self.migrate()

    @property
    def version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    def migrate(self, target: int = SCHEMA_VERSION) -> None:
        """Apply the missing migrations in order; refuse a database newer than this code."""
        with self.lock:
            current = self.version
            if current > SCHEMA_VERSION:
                raise ValueError(f"{self.path} has schema version {current}, newer than this ohlora "
                                 f"({SCHEMA_VERSION}); upgrade ohlora")
            for version in range(current, target):
                self.conn.execute("BEGIN IMMEDIATE")
                try:
                    for statement in MIGRATIONS[version].split(";"):
                        if statement.strip():
                            self.conn.execute(statement)
                    self.conn.execute(f"PRAGMA user_version = {version + 1}")
                    self.conn.execute("COMMIT")
                except BaseException:
                    self.conn.execute("ROLLBACK")
                    raise

    def transaction(self):
        """`with db.transaction() as conn:` — one atomic, durable write."""
        return _Transaction(self)

    def data_version(self) -> int:
        """Changes whenever another connection commits (cheap cache invalidation)."""
        return int(self.conn.execute("PRAGMA data_version").fetchone()[0])

    def close(self) -> None:
        with self.lock:
            self.conn.close()


class _Transaction:
    def __init__(self, db: DialogueDatabase):
        self.db = db

    def __enter__(self) -> sqlite3.Connection:
        self.db.lock.acquire()
        self.db.conn.execute("BEGIN IMMEDIATE")
        return self.db.conn

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            self.db.conn.execute("ROLLBACK" if exc_type else "COMMIT")
        finally:
            self.db.lock.release()


def data_dir() -> Path:
    """Where ohlora keeps what it learns and issues: $OHLORA_DATA_DIR (default ~/.local/share/ohlora)."""
    import os

    return Path(os.environ.get("OHLORA_DATA_DIR", "~/.local/share/ohlora")).expanduser()


def default_database_path() -> Path:
    """$OHLORA_DB, else $OHLORA_DATA_DIR/dialogue.sqlite3 (default ~/.local/share/ohlora)."""
    import os

    if os.environ.get("OHLORA_DB"):
        return Path(os.environ["OHLORA_DB"]).expanduser()
    return data_dir() / "dialogue.sqlite3"

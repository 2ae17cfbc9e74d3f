"""Per-user `[key: value]` memories in SQLite, retrieved by sentence-embedding similarity.

A memory lives in a slot: its key with relative days resolved to a date, so `[내일 일정: …]` written
twice on one day replaces itself, while the plan written yesterday for "tomorrow" is today's plan and is
shown as `[오늘 일정: …]`. Time-bound memories expire the day after the day they are about.
"""
from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

import numpy as np

from dialogue.database import DialogueDatabase
from dialogue.interfaces import Memory

# Relative day words -> offset in days. Korean first; English words match whole words, any case.
KO_DAYS = {"그저께": -2, "그제": -2, "어제": -1, "오늘": 0, "내일": 1, "모레": 2}
EN_DAYS = {"yesterday": -1, "today": 0, "tonight": 0, "tomorrow": 1}
KO_WORD = {-2: "그저께", -1: "어제", 0: "오늘", 1: "내일", 2: "모레"}
EN_WORD = {-1: "yesterday", 0: "today", 1: "tomorrow"}
_DAY_RE = re.compile("(" + "|".join(sorted(KO_DAYS, key=len, reverse=True)) + r")|\b("
                     + "|".join(EN_DAYS) + r")\b", re.IGNORECASE)

# Score adjustment when the question names a day: the same day as the memory helps, another day hurts.
SAME_DAY_BONUS = 0.04
OTHER_DAY_PENALTY = 0.08
# Cosine threshold for "relevant enough"; `ohlora eval memory` calibrates it (docs/memory.md).
DEFAULT_THRESHOLD = 0.84


def day_offset(text: str) -> tuple[int | None, re.Match | None]:
    """The first relative day word in `text` and its offset in days, or (None, None)."""
    m = _DAY_RE.search(text)
    if not m:
        return None, None
    word = m.group(0)
    return (KO_DAYS[word] if m.group(1) else EN_DAYS[word.lower()]), m


def _today(now: datetime) -> date:
    return now.date()


def _ts(dt: datetime) -> float:
    return dt.timestamp()


@dataclass
class _UserIndex:
    version: tuple[int, int]
    slots: list[str]
    keys: list[str]
    values: list[str]
    refers: list[date | None]
    created: list[float]
    expires: np.ndarray  # float64, +inf when none
    matrix: np.ndarray  # [n, dim] float32


class MemoryStore:
    """`MemoryProvider` on SQLite: remember (upsert by slot), retrieve (top-k cosine above a threshold)."""

    def __init__(self, db: DialogueDatabase | str | Path, encoder=None, threshold: float = DEFAULT_THRESHOLD):
        self.db = db if isinstance(db, DialogueDatabase) else DialogueDatabase(db)
        if encoder is None:
            from dialogue.encoder import shared_encoder

            encoder = shared_encoder()
        self.encoder = encoder
        self.threshold = threshold
        self._index: dict[str, _UserIndex] = {}
        self._writes = 0
        self._lock = threading.Lock()

    # ---- writing -------------------------------------------------------------------------------
    def slot_of(self, key: str, now: datetime) -> tuple[str, date | None, str]:
        """(slot, the date a time-bound key is about, the key without its day word)."""
        key = " ".join(key.split())
        offset, m = day_offset(key)
        if m is None:
            return key, None, key
        day = _today(now) + timedelta(days=offset)
        bare = " ".join((key[:m.start()] + key[m.end():]).split())
        return f"{{{day.isoformat()}}} {bare}", day, bare

    @staticmethod
    def _embedding_text(bare_key: str, value: str) -> str:
        return f"{bare_key}: {value}" if bare_key else value

    def remember(self, user_id: str, key: str, value: str, source_turn: str, now: datetime) -> None:
        """Store `[key: value]` for the user, replacing what the same slot held."""
        key, value = key.strip(), value.strip()
        if not user_id or not key or not value:
            raise ValueError("a memory needs a user id, a key and a value")
        self.remember_many(user_id, [(key, value)], source_turn, now)

    def remember_many(self, user_id: str, items: list[tuple[str, str]], source_turn: str, now: datetime) -> None:
        """Several memories in one transaction (one batched embedding pass)."""
        rows = []
        resolved = [self.slot_of(k, now) for k, _ in items]
        emb = self.encoder.encode([self._embedding_text(bare, v) for (_, _, bare), (_, v) in zip(resolved, items)],
                                  kind="passage")
        t = _ts(now)
        for (key, value), (slot, day, _), e in zip(items, resolved, emb):
            expires = _ts(datetime.combine(day + timedelta(days=2), time(), now.tzinfo)) if day else None
            rows.append((user_id, slot, key, value, e.astype(np.float32).tobytes(), t, t,
                         day.isoformat() if day else None, expires, source_turn))
        with self.db.transaction() as conn:
            conn.executemany(
                """INSERT INTO memories (user_id, slot, key, value, embedding, created_at, updated_at,
                                         refers_to, expires_at, source_turn)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (user_id, slot) DO UPDATE SET key = excluded.key, value = excluded.value,
                     embedding = excluded.embedding, updated_at = excluded.updated_at,
                     expires_at = excluded.expires_at, source_turn = excluded.source_turn""", rows)
        self._invalidate(user_id)

    def forget(self, user_id: str, key: str, now: datetime) -> bool:
        """Delete one memory by its key (as written, relative days resolved against `now`)."""
        slot = self.slot_of(key, now)[0]
        with self.db.transaction() as conn:
            n = conn.execute("DELETE FROM memories WHERE user_id = ? AND slot = ?", (user_id, slot)).rowcount
        self._invalidate(user_id)
        return n > 0

    def delete_user(self, user_id: str) -> int:
        """Delete every memory of a user (privacy request); returns how many were deleted."""
        with self.db.transaction() as conn:
            n = conn.execute("DELETE FROM memories WHERE user_id = ?", (user_id,)).rowcount
        self._invalidate(user_id)
        return n

    def purge_expired(self, now: datetime) -> int:
        """Delete time-bound memories whose day has passed; returns how many."""
        with self.db.transaction() as conn:
            n = conn.execute("DELETE FROM memories WHERE expires_at IS NOT NULL AND expires_at <= ?",
                             (_ts(now),)).rowcount
        with self._lock:
            self._index.clear()
        return n

    def _invalidate(self, user_id: str) -> None:
        with self._lock:
            self._writes += 1
            self._index.pop(user_id, None)

    # ---- reading -------------------------------------------------------------------------------
    def _user_index(self, user_id: str) -> _UserIndex:
        with self.db.lock:
            version = (self.db.data_version(), self._writes)
        with self._lock:
            idx = self._index.get(user_id)
            if idx is not None and idx.version == version:
                return idx
        with self.db.lock:
            rows = self.db.conn.execute(
                "SELECT slot, key, value, refers_to, created_at, expires_at, embedding FROM memories "
                "WHERE user_id = ? ORDER BY slot", (user_id,)).fetchall()
        dim = self.encoder.dim
        matrix = (np.frombuffer(b"".join(r[6] for r in rows), np.float32).reshape(len(rows), dim)
                  if rows else np.zeros((0, dim), np.float32))
        idx = _UserIndex(version, [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows],
                         [date.fromisoformat(r[3]) if r[3] else None for r in rows], [r[4] for r in rows],
                         np.array([r[5] if r[5] is not None else np.inf for r in rows], np.float64), matrix)
        with self._lock:
            self._index[user_id] = idx
        return idx

    def _render_key(self, key: str, refers: date | None, now: datetime) -> str:
        """Rewrite a time-bound key's day word for today: yesterday's "내일" is today's "오늘"."""
        if refers is None:
            return key
        offset, m = day_offset(key)
        delta = (refers - _today(now)).days
        word = (KO_WORD if m.group(1) else EN_WORD).get(delta)
        if word is None:
            word = refers.isoformat()
        elif m.group(0)[:1].isupper():
            word = word.capitalize()
        return key[:m.start()] + word + key[m.end():]

    def search(self, user_id: str, query: str, now: datetime, k: int = 5,
               query_embedding: np.ndarray | None = None) -> list[Memory]:
        """The k best live memories for `query`, best first, with scores (no threshold)."""
        idx = self._user_index(user_id)
        if not idx.slots:
            return []
        q = query_embedding if query_embedding is not None else self.encoder.encode_one(query, "query")
        scores = idx.matrix @ q
        scores[idx.expires <= _ts(now)] = -np.inf
        offset, _ = day_offset(query)
        if offset is not None:
            asked = _today(now) + timedelta(days=offset)
            for i, d in enumerate(idx.refers):
                if d is not None:
                    scores[i] += SAME_DAY_BONUS if d == asked else -OTHER_DAY_PENALTY
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        top = top[np.argsort(-scores[top])]
        return [Memory(self._render_key(idx.keys[i], idx.refers[i], now), idx.values[i],
                       datetime.fromtimestamp(idx.created[i], now.tzinfo), float(scores[i]))
                for i in top if np.isfinite(scores[i])]

    def retrieve(self, user_id: str, query: str, now: datetime) -> Memory | None:
        """The most relevant memory when its score reaches the calibrated threshold, else None."""
        best = self.search(user_id, query, now, k=1)
        return best[0] if best and best[0].score >= self.threshold else None

    def count(self, user_id: str) -> int:
        with self.db.lock:
            return int(self.db.conn.execute("SELECT COUNT(*) FROM memories WHERE user_id = ?",
                                            (user_id,)).fetchone()[0])

    def export(self, user_id: str, now: datetime | None = None) -> list[dict]:
        """Every stored memory of a user as plain records (privacy export; no embeddings)."""
        with self.db.lock:
            rows = self.db.conn.execute(
                "SELECT key, value, refers_to, created_at, updated_at, expires_at, source_turn FROM memories "
                "WHERE user_id = ? ORDER BY created_at", (user_id,)).fetchall()
        iso = lambda t: datetime.fromtimestamp(t).astimezone().isoformat(timespec="seconds") if t else None
        return [{"key": r[0], "value": r[1], "about_day": r[2], "created_at": iso(r[3]), "updated_at": iso(r[4]),
                 "expires_at": iso(r[5]), "source_turn": r[6]} for r in rows]

    def export_json(self, user_id: str, path: Path) -> int:
        records = self.export(user_id)
        path.write_text(json.dumps({"user_id": user_id, "memories": records}, ensure_ascii=False, indent=1),
                        encoding="utf-8")
        return len(records)

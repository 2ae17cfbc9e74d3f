"""Per-user `[key: value]` memories in the dialogue database, retrieved by sentence-embedding similarity.

A memory lives in a slot: its key with relative days resolved to a date, so `[내일 일정: …]` written
twice on one day replaces itself, while the plan written yesterday for "tomorrow" is today's plan and is
shown as `[오늘 일정: …]`. Time-bound memories expire the day after the day they are about.
"""
from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Sequence

import numpy as np

from dialogue.database import DialogueDatabase, open_database, vector_literal
from dialogue.day_words import as_of, day_offset, without_day_word
from dialogue.interfaces import Memory
from dialogue.memory_relevance import PAIR_MODEL, RetrievalRelevance, load_pair_model, pair_text, relevance_features
from dialogue.question_cues import asks_about_her, own_key_asked
from dialogue.recall import memory_named, names_index

log = logging.getLogger(__name__)

# Score adjustment when the question names a day: the same day as the memory helps, another day hurts.
SAME_DAY_BONUS = 0.04
OTHER_DAY_PENALTY = 0.08
# A question is matched against the stored "key: value" passage and against the key alone (weight below):
# questions ask about keys ("내 전공이 뭐였지?" ~ "전공") more than about values (docs/dialogue-eval.md, Method).
KEY_WEIGHT = 0.5
# Raw-cosine threshold used only when no relevance model is saved (or a threshold is passed explicitly).
DEFAULT_THRESHOLD = 0.86
# The gate weighs this many of the best-ranked memories, not only the first: a relevant memory ranked second
# ("[오늘 날씨: 비]" behind "[점심: 김치찌개]" for "우산 챙겨야 하나") is found by the cross-encoder and the relevance
# model reading each. 3: the candidates the cross-encoder was trained on (docs/dialogue-eval.md, memory gate).
RELEVANCE_CANDIDATES = 3

_blas = None


def _best_ranked(scores: np.ndarray, k: int) -> list[int]:
    """Indices of the k highest finite scores, best first (a partial sort: a user may have thousands)."""
    if not len(scores):
        return []
    k = min(k, len(scores))
    top = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
    return [int(i) for i in top[np.argsort(-scores[top], kind="stable")] if np.isfinite(scores[i])]


def _single_threaded_blas():
    """A matrix-vector product is memory-bound: BLAS threads only add spin-waiting (10x slower on a busy
    2-core machine), so retrieval limits BLAS to one thread for the product."""
    global _blas
    if _blas is None:
        from threadpoolctl import ThreadpoolController

        _blas = ThreadpoolController()
    return _blas.limit(limits=1, user_api="blas")


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
    days: np.ndarray  # the date a time-bound memory is about as a proleptic ordinal, 0 when none
    matrix: np.ndarray  # [n, 2 * dim] float32: the "key: value" passage embedding, then the key's embedding
    bare: list[tuple[str, str]]  # (key without its day word, value) per memory
    names: dict[str, list[int]]  # the names its people and pets hold (`dialogue.recall.names_index`)


class MemoryStore:
    """`MemoryProvider` on the dialogue database: remember (upsert by slot), retrieve (top-k cosine above a
    threshold). Similarities come from a cached per-user matrix in numpy, or from pgvector in PostgreSQL
    when the database has it (`db.vectors`); both give the same scores up to float32 rounding."""

    def __init__(self, db: DialogueDatabase | str | Path, encoder=None, threshold: float | None = None,
                 relevance: RetrievalRelevance | None = None, pair_model=None):
        """`threshold` None: the saved relevance model and its calibrated threshold decide (a raw-cosine
        threshold of DEFAULT_THRESHOLD when none is saved); a number: a raw-cosine threshold, no model.
        `pair_model`: the cross-encoder (a pair `LayerClassifier`); None: the saved one when the relevance
        model was fitted with it."""
        self.db = db if isinstance(db, DialogueDatabase) else open_database(db)
        if encoder is None:
            from dialogue.encoder import shared_encoder

            encoder = shared_encoder()
        self.encoder = encoder
        self.relevance = relevance if relevance is not None else RetrievalRelevance.load() if threshold is None else None
        if threshold is not None:
            self.threshold = float(threshold)
        else:
            self.threshold = self.relevance.threshold if self.relevance is not None else DEFAULT_THRESHOLD
        self.pair = pair_model
        if pair_model is None and self.relevance is not None and self.relevance.meta.get("pair_model"):
            self.pair = load_pair_model(encoder)
            if self.pair is None:  # fitted with a cross-encoder that is not there: fall back to the cosine
                log.warning("the memory gate was calibrated with a cross-encoder that is missing (%s.*): retrieval "
                            "falls back to a raw cosine threshold; rebuild it with `ohlora classifiers train --task "
                            "retrieval` and `ohlora eval memory --calibrate`", PAIR_MODEL)
                self.relevance, self.threshold = None, DEFAULT_THRESHOLD
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
        bare = without_day_word(key, m)
        return f"{{{day.isoformat()}}} {bare}", day, bare

    @staticmethod
    def _bare_key(key: str) -> str:
        _, m = day_offset(key)
        return key if m is None else without_day_word(key, m)

    @staticmethod
    def _embedding_text(bare_key: str, value: str) -> str:
        return f"{bare_key}: {value}" if bare_key else value

    @staticmethod
    def _key_text(bare_key: str, value: str) -> str:
        return bare_key or value

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
        key_emb = self.encoder.encode([self._key_text(bare, v) for (_, _, bare), (_, v) in zip(resolved, items)],
                                      kind="query")
        t = _ts(now)
        for (key, value), (slot, day, _), e, ke in zip(items, resolved, emb, key_emb):
            expires = _ts(datetime.combine(day + timedelta(days=2), time(), now.tzinfo)) if day else None
            rows.append((user_id, slot, key, value, e.astype(np.float32).tobytes(), ke.astype(np.float32).tobytes(),
                         t, t, day.isoformat() if day else None, expires, source_turn))
        if self.pair is not None:  # the cross-encoder's frozen pass of each memory, now rather than at retrieval
            self.encoder.token_states([pair_text(self._render_key(k, d, now), v) for (k, v), (_, d, _) in
                                       zip(items, resolved)], self.pair.from_layer, "query", full=False)
        with self.db.transaction() as conn:
            conn.executemany(
                """INSERT INTO memories (user_id, slot, key, value, embedding, key_embedding, created_at,
                                         updated_at, refers_to, expires_at, source_turn)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (user_id, slot) DO UPDATE SET key = excluded.key, value = excluded.value,
                     embedding = excluded.embedding, key_embedding = excluded.key_embedding,
                     updated_at = excluded.updated_at,
                     expires_at = excluded.expires_at, source_turn = excluded.source_turn""", rows)
            if self.db.vectors:  # pgvector's copies, beside the float32 bytes every engine keeps
                conn.executemany("UPDATE memories SET embedding_vec = ?::vector, key_embedding_vec = ?::vector "
                                 "WHERE user_id = ? AND slot = ?",
                                 [(vector_literal(r[4]), vector_literal(r[5]), user_id, r[1]) for r in rows])
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
    _COLUMNS = "slot, key, value, refers_to, created_at, expires_at"

    def _user_index(self, user_id: str) -> _UserIndex:
        """The user's memories with their embedding matrix, cached until any process changes them."""
        version = (self.db.memory_version(user_id), self._writes)
        with self._lock:
            idx = self._index.get(user_id)
            if idx is not None and idx.version == version:
                return idx
        rows = sorted(self.db.query(f"SELECT {self._COLUMNS}, embedding, key_embedding FROM memories "
                                    "WHERE user_id = ?", (user_id,)))  # by slot, in code points on both engines
        idx = self._index_of(version, rows, self._matrix(rows))
        with self._lock:
            self._index[user_id] = idx
        return idx

    def _matrix(self, rows: list[tuple]) -> np.ndarray:
        """[n, dim] from rows ending in (embedding bytes, key embedding bytes or None): per memory
        (passage + KEY_WEIGHT key) / (1 + KEY_WEIGHT), so that one product with the query gives the blended
        cosine (one row per memory: the search over a user's memories is memory-bound). Key embeddings missing
        from rows written before schema version 3 are computed now."""
        dim = self.encoder.dim
        passages = np.zeros((len(rows), dim), np.float32)
        keys = np.zeros((len(rows), dim), np.float32)
        if rows:
            passages[:] = np.frombuffer(b"".join(bytes(r[-2]) for r in rows), np.float32).reshape(len(rows), dim)
            missing = [i for i, r in enumerate(rows) if r[-1] is None]
            for i, r in enumerate(rows):
                if r[-1] is not None:
                    keys[i] = np.frombuffer(bytes(r[-1]), np.float32)
            if missing:
                texts = [self._key_text(self._bare_key(rows[i][1]), rows[i][2]) for i in missing]
                keys[missing] = self.encoder.encode(texts, kind="query")
        return (passages + np.float32(KEY_WEIGHT) * keys) / np.float32(1 + KEY_WEIGHT)

    @staticmethod
    def _index_of(version: tuple[int, int], rows: list[tuple], matrix: np.ndarray) -> _UserIndex:
        refers = [date.fromisoformat(r[3]) if r[3] else None for r in rows]
        bare = [(MemoryStore._bare_key(r[1]), r[2]) for r in rows]
        return _UserIndex(version, [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], refers,
                          [r[4] for r in rows],
                          np.array([r[5] if r[5] is not None else np.inf for r in rows], np.float64),
                          np.array([d.toordinal() if d else 0 for d in refers], np.int64), matrix,
                          bare, names_index(bare))

    def _similarities(self, user_id: str, q: np.ndarray) -> tuple[_UserIndex, np.ndarray]:
        """(index, similarity per memory): (passage·q + KEY_WEIGHT key·q) / (1 + KEY_WEIGHT), cosine-scaled."""
        q = np.asarray(q, np.float32)
        if not self.db.vectors:
            idx = self._user_index(user_id)
            with _single_threaded_blas():
                return idx, idx.matrix @ q
        # pgvector: one read gives the rows and both inner products; a row without its vector copies (written
        # by a process that opened before pgvector was installed) brings its bytes instead
        text = vector_literal(q)
        rows = sorted(self.db.query(
            f"SELECT {self._COLUMNS}, -(embedding_vec <#> ?::vector), -(key_embedding_vec <#> ?::vector), "
            "CASE WHEN embedding_vec IS NULL OR key_embedding_vec IS NULL THEN embedding END, "
            "CASE WHEN embedding_vec IS NULL OR key_embedding_vec IS NULL THEN key_embedding END "
            "FROM memories WHERE user_id = ?", (text, text, user_id)), key=lambda r: r[0])
        idx = self._index_of((0, 0), rows, np.zeros((len(rows), 0), np.float32))
        scores = np.zeros(len(rows), np.float32)
        for i, r in enumerate(rows):
            if r[6] is not None and r[7] is not None:
                scores[i] = (np.float32(r[6]) + np.float32(KEY_WEIGHT) * np.float32(r[7])) / np.float32(1 + KEY_WEIGHT)
            else:
                scores[i] = self._matrix([r[:6] + r[8:]])[0] @ q
        return idx, scores

    def _render_key(self, key: str, refers: date | None, now: datetime) -> str:
        """Rewrite a time-bound key's day word for today: yesterday's "내일" is today's "오늘"."""
        return key if refers is None else as_of(key, refers, _today(now))

    def _scores(self, user_id: str, query: str, now: datetime, query_embedding: np.ndarray | None
                ) -> tuple[_UserIndex, np.ndarray, np.ndarray]:
        """(index, score per memory with day adjustment, -inf when expired; day agreement per memory:
        +1 same day as the question names, -1 another day, 0 when either is not time-bound)."""
        if not self.db.vectors and not self._user_index(user_id).slots:  # nothing to score: skip the encoder
            return self._user_index(user_id), np.zeros(0, np.float32), np.zeros(0)
        q = query_embedding if query_embedding is not None else self.encoder.encode_one(query, "query")
        idx, scores = self._similarities(user_id, q)
        agree = np.zeros(len(idx.slots))
        if not idx.slots:
            return idx, np.zeros(0, np.float32), agree
        scores[idx.expires <= _ts(now)] = -np.inf
        offset, _ = day_offset(query)
        if offset is not None:
            asked = (_today(now) + timedelta(days=offset)).toordinal()
            timed = idx.days > 0
            agree[timed] = np.where(idx.days[timed] == asked, 1.0, -1.0)
            scores[timed] += np.where(idx.days[timed] == asked, SAME_DAY_BONUS, -OTHER_DAY_PENALTY)
        return idx, scores, agree

    def _memory(self, idx: _UserIndex, i: int, score: float, now: datetime) -> Memory:
        return Memory(self._render_key(idx.keys[i], idx.refers[i], now), idx.values[i],
                      datetime.fromtimestamp(idx.created[i], now.tzinfo), score)

    def search(self, user_id: str, query: str, now: datetime, k: int = 5,
               query_embedding: np.ndarray | None = None) -> list[Memory]:
        """The k best live memories for `query`, best first, with their cosine scores (no threshold)."""
        idx, scores, _ = self._scores(user_id, query, now, query_embedding)
        return [self._memory(idx, i, float(scores[i]), now) for i in _best_ranked(scores, k)]

    def pair_log_odds_many(self, query: str, memories: Sequence[tuple[str, str]]) -> np.ndarray:
        """The cross-encoder's log-odds that each (key as shown today, value) memory answers the question, in
        one batch."""
        layer = self.pair.from_layer
        q = self.encoder.token_states([query], layer, "query", full=True)  # cached by the turn's encoder pass
        m = self.encoder.token_states([pair_text(k, v) for k, v in memories], layer, "query", full=False)
        p = np.clip(self.pair.predict_proba(m, q * len(m))[:, self.pair.labels.index("answers")], 1e-6, 1 - 1e-6)
        return np.log(p / (1 - p))

    def best_features(self, user_id: str, query: str, now: datetime, query_embedding: np.ndarray | None = None,
                      candidates: int | None = None) -> tuple[Memory | None, np.ndarray | None, float]:
        """The gate's candidate, its relevance features (`relevance_features`) and its ranking score; (None,
        None, -inf) when the user has no live memory. With the relevance model and the cross-encoder, the
        candidate is the most relevant of the RELEVANCE_CANDIDATES best-ranked memories (`candidates` of them
        when given; 1: the best-ranked, as the relevance model is fitted), else the best-ranked."""
        idx, scores, agree = self._scores(user_id, query, now, query_embedding)
        return self._candidate(idx, scores, agree, query, now, candidates)

    def _candidate(self, idx: _UserIndex, scores: np.ndarray, agree: np.ndarray, query: str, now: datetime,
                   candidates: int | None = None) -> tuple[Memory | None, np.ndarray | None, float]:
        """`best_features` on scores already computed."""
        if not len(scores) or not np.isfinite(scores).any():
            return None, None, -np.inf
        weighs_several = self.pair is not None and self.relevance is not None
        ranked = _best_ranked(scores, (candidates or RELEVANCE_CANDIDATES) if weighs_several else 1)
        odds = (self.pair_log_odds_many(query, [(self._render_key(idx.keys[i], idx.refers[i], now), idx.values[i])
                                                for i in ranked]) if self.pair is not None else np.zeros(len(ranked)))
        features = [relevance_features(scores, i, agree[i], query, float(o)) for i, o in zip(ranked, odds)]
        pick = 0 if len(ranked) == 1 else int(np.argmax([self.relevance.probability(f) for f in features]))
        best = ranked[pick]
        return self._memory(idx, best, float(scores[best]), now), features[pick], float(scores[best])

    def best_with_relevance(self, user_id: str, query: str, now: datetime,
                            query_embedding: np.ndarray | None = None) -> tuple[Memory | None, float]:
        """The best live memory and its relevance: the relevance model's probability when there is one,
        else the cosine score; (None, -inf) when the user has no live memory or the question is about
        Oh-LoRA herself (`asks_about_her`). A question that names one of the RELEVANCE_CANDIDATES nearest
        memories' keys as the user's own ("what's my son's name?" for [son: Ethan], `own_key_asked`) gets it past
        any threshold, however its wording scores (the relevance model read "do you remember my daughter's
        name?" at 0.36 against 0.41); so does a message saying a stored person's or pet's name ("수아가 요즘
        서운하대" for [여자친구: 수아], `memory_named`; read at 0.05)."""
        if asks_about_her(query):
            return None, -np.inf
        idx, scores, agree = self._scores(user_id, query, now, query_embedding)
        nearest = _best_ranked(scores, RELEVANCE_CANDIDATES)
        asked = own_key_asked(query, [self._bare_key(idx.keys[i]) for i in nearest])
        if asked is not None:  # past any threshold (a raw-cosine one may exceed 1)
            relevance = max(1.0, self.threshold)
            return self._memory(idx, nearest[asked], relevance, now), relevance
        named = memory_named(query, idx.bare, idx.names, live=np.isfinite(scores))
        if named is not None:  # a person or pet said by name: e5 gives a bare name little weight
            relevance = max(1.0, self.threshold)
            return self._memory(idx, named, relevance, now), relevance
        memory, features, score = self._candidate(idx, scores, agree, query, now)
        if memory is None:
            return None, -np.inf
        relevance = score if self.relevance is None else self.relevance.probability(features)
        return replace(memory, score=relevance), relevance

    def retrieve(self, user_id: str, query: str, now: datetime) -> Memory | None:
        """The most relevant memory when its relevance reaches the calibrated threshold, else None.
        Its `score` is that relevance (a probability with the relevance model)."""
        best, relevance = self.best_with_relevance(user_id, query, now)
        return best if best is not None and relevance >= self.threshold else None

    def recall(self, user_id: str, query: str, now: datetime, k: int) -> list[Memory]:
        """The k nearest live memories, best first, with no relevance gate: for an answer adapter trained to
        use the memory that matters and ignore the others (dialogue.data.turns.memory_line)."""
        return self.search(user_id, query, now, k)

    def count(self, user_id: str) -> int:
        return int(self.db.query("SELECT COUNT(*) FROM memories WHERE user_id = ?", (user_id,))[0][0])

    def export(self, user_id: str, now: datetime | None = None) -> list[dict]:
        """Every stored memory of a user as plain records (privacy export; no embeddings)."""
        rows = self.db.query("SELECT key, value, refers_to, created_at, updated_at, expires_at, source_turn "
                             "FROM memories WHERE user_id = ? ORDER BY created_at, slot", (user_id,))
        iso = lambda t: datetime.fromtimestamp(t).astimezone().isoformat(timespec="seconds") if t else None
        return [{"key": r[0], "value": r[1], "about_day": r[2], "created_at": iso(r[3]), "updated_at": iso(r[4]),
                 "expires_at": iso(r[5]), "source_turn": r[6]} for r in rows]

    def export_json(self, user_id: str, path: Path) -> int:
        records = self.export(user_id)
        path.write_text(json.dumps({"user_id": user_id, "memories": records}, ensure_ascii=False, indent=1),
                        encoding="utf-8")
        return len(records)

"""The memory retrieval cases (dialogue/data/memory_cases.jsonl) and the relevance gate's cross-encoder
feature, without the real encoder."""
from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime

import numpy as np

from dialogue.data import build_memory
from dialogue.database import DialogueDatabase
from dialogue.memory import RELEVANCE_FEATURES, MemoryStore, RetrievalRelevance, pair_text
from tests.dialogue_fakes import HashingEncoder

NOW = datetime(2026, 11, 29, 14, 0).astimezone()


def test_committed_cases_are_what_the_builder_writes():
    committed = [json.loads(line) for line in build_memory.OUT.read_text(encoding="utf-8").splitlines()]
    assert committed == build_memory.build()


def test_groups_never_cross_splits_and_answers_are_stored():
    rows = build_memory.build()
    splits = defaultdict(set)
    for r in rows:
        if not r["group"].startswith("unrelated"):  # unrelated questions are split by question instead
            splits[r["group"]].add(r["split"])
        if r["answer"] is not None:
            assert r["answer"] in r["memories"]
        keys = [k for k, _ in r["memories"]]
        # (the first batch may store both "내일 일정" facts: the later one replaces the other, as in use)
        assert r.get("batch") != 3 or len(keys) == len(set(keys)), "two memories of a case would share a slot"
    assert all(len(s) == 1 for s in splits.values())
    questions = defaultdict(set)
    for r in rows:
        questions[r["question"]].add(r["split"])
    assert all(len(s) == 1 for s in questions.values()), "a question text appears in two splits"


def test_the_day_batch_reaches_every_split():
    day = [r for r in build_memory.build() if r.get("batch") == 3]
    assert len(day) >= 600
    for sp in ("train", "val", "test"):
        kinds = {r["group"].rstrip("0123456789") for r in day if r["split"] == sp}
        assert {"day", "near", "unrelated-day"} <= kinds, sp
    # a neighbour case stores the neighbour but nothing that answers the question
    first = len(build_memory.FACTS)
    facts = [(k, v) for k, v, *_ in build_memory.FACTS] + [(k, v) for k, v, *_ in build_memory.FACTS_DAY]
    for g, (kept, answering, *_q) in enumerate(build_memory.NEIGHBOURS):
        index = lambda ref: first + int(ref[1:]) if isinstance(ref, str) else ref  # noqa: E731
        for r in (r for r in day if r["group"] == f"near{g}" and r["lang"] == "ko"):
            assert list(facts[index(kept)]) in r["memories"] and r["answer"] is None
            assert not any(list(facts[index(a)]) in r["memories"] for a in answering)


class _StatesEncoder(HashingEncoder):
    """Token states: one row per character bigram's hashed vector (enough to tell texts apart)."""

    def token_states(self, texts, layer, kind="query", full=True):
        import torch

        return [torch.tensor(self.encode([t[i:i + 2] for i in range(max(len(t) - 1, 1))])) for t in texts]


class _WordPair:
    """A stand-in cross-encoder: 'answers' when the memory states share the question's first state."""

    from_layer = 10
    labels = ("other", "answers")

    def predict_proba(self, memory_states, question_states):
        m, q = memory_states[0], question_states[0]
        hit = bool((m @ q[0] > 0.99).any())
        return np.array([[0.1, 0.9] if hit else [0.9, 0.1]])


def test_cross_encoder_log_odds_gate_retrieval(tmp_path):
    # weights only on the cross-encoder's log-odds: its verdict alone decides
    w = np.zeros(len(RELEVANCE_FEATURES)); w[RELEVANCE_FEATURES.index("cross-encoder log-odds")] = 1.0
    store = MemoryStore(DialogueDatabase(tmp_path / "d.sqlite3"), _StatesEncoder(),
                        relevance=RetrievalRelevance(w, 0.0, 0.5, {"pair_model": True}), pair_model=_WordPair())
    store.remember("u", "오늘 점심", "김치찌개", "t", NOW)
    assert pair_text("오늘 점심", "김치찌개") == "오늘 점심: 김치찌개"
    assert store.pair_log_odds("오늘 점심 뭐였지?", "오늘 점심", "김치찌개") > 2
    assert store.retrieve("u", "오늘 점심 뭐였지?", NOW).value == "김치찌개"
    assert store.retrieve("u", "저녁은 뭐 먹지?", NOW) is None
    memory, features, _ = store.best_features("u", "저녁은 뭐 먹지?", NOW)
    assert features[-1] < -2 and memory.key == "오늘 점심"


def test_a_relevance_model_fitted_with_a_missing_cross_encoder_falls_back_to_cosine(tmp_path):
    w = np.zeros(len(RELEVANCE_FEATURES))
    model = RetrievalRelevance(w, 0.0, 0.5, {"pair_model": True})
    path = model.save(tmp_path / "retrieval.json")
    loaded = RetrievalRelevance.load(path)
    store = MemoryStore(DialogueDatabase(tmp_path / "d.sqlite3"), HashingEncoder(), relevance=loaded)
    assert store.pair is None and store.relevance is None  # HashingEncoder has no token states
    store.remember("u", "취미", "기타 연주", "t", NOW)
    assert store.best_with_relevance("u", "취미", NOW)[0].value == "기타 연주"

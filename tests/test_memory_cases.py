"""The memory retrieval cases (dialogue/data/memory_cases.jsonl): reproducible, split by group, and the
third batch (day-naming messages, neighbours) present in every split."""
from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime

import pytest

from dialogue.data import build_memory
from tests.conftest import require_prepared


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


def test_the_neighbour_batch_is_train_only_and_new():
    """The fourth batch (composed owner x attribute x day facts): train only, well-formed, and asking no
    question of batches 1-3, whose validation and test cases stay the measure."""
    rows = build_memory.build()
    earlier = {r["question"] for r in rows if r.get("batch") != 4}
    fourth = [r for r in rows if r.get("batch") == 4]
    assert fourth and {r["split"] for r in fourth} == {"train"}
    assert rows[:len(rows) - len(fourth)] == [r for r in rows if r.get("batch") != 4], "batch 4 is appended last"
    for r in fourth:
        keys, values = [k for k, _ in r["memories"]], [v for _, v in r["memories"]]
        assert 3 <= len(keys) <= 8 and len(set(keys)) == len(keys), r
        assert len(set(values)) == len(values), r  # a case is scored by the answer's value
        assert r["answer"] is None or r["answer"] in r["memories"], r
        kind = r["group"].rsplit("-", 1)[1]
        assert r["group"].startswith("b4-") and (r["answer"] is not None) == (kind == "answer"), r
        assert r["question"] not in earlier, r["question"]
        hangul = any("가" <= c <= "힣" for c in r["question"] + "".join(keys))
        assert hangul == (r["lang"] == "ko"), r
    assert len({k for r in fourth for k, _ in r["memories"]}) >= 200
    for lang in ("ko", "en"):
        near = [r for r in fourth if r["lang"] == lang and r["group"].endswith("-near")]
        assert len(near) >= 150, lang
    # the general-key part (one general memory whose value holds the asked specific), appended after the rest
    general = [r for r in fourth if r["group"].startswith("b4-general-")]
    assert fourth[len(fourth) - len(general):] == general
    for lang in ("ko", "en"):
        answer = [r for r in general if r["lang"] == lang and r["group"].endswith("-answer")]
        near = [r for r in general if r["lang"] == lang and r["group"].endswith("-near")]
        assert len(answer) >= 250 and near, lang


@pytest.mark.real_weights
def test_day_naming_small_talk_pulls_no_memory_of_that_day(tmp_path):
    """The shipped gate on the real encoder, with phrasings that are in no split of the cases."""
    require_prepared("multilingual-e5-small")
    from dialogue.database import open_database
    from dialogue.encoder import shared_encoder
    from dialogue.memory import MemoryStore

    now = datetime(2026, 11, 29, 14, 0).astimezone()
    store = MemoryStore(open_database(tmp_path / "d.sqlite3"), shared_encoder())
    assert store.relevance is not None
    store.remember_many("u", [("오늘 날씨", "맑음"), ("오늘 점심", "김치찌개"), ("내일 일정", "친구랑 카페 방문")], "t", now)
    store.remember_many("e", [("today's weather", "sunny"), ("today's lunch", "kimchi stew")], "t", now)
    for user, remark in (("u", "오늘 몇 월 며칠인지 알려줘"), ("u", "오늘 하루 너무 길었어"), ("u", "로라 너는 오늘 점심 뭐 먹었어?"),
                         ("e", "today was so long"), ("e", "what's the date today?")):
        assert store.retrieve(user, remark, now) is None, remark
    # a remark on the weather is an associative mention of the stored weather (the gate is fitted on such cases)
    assert store.retrieve("e", "what a lovely day today!", now).value == "sunny"
    assert store.retrieve("u", "나 오늘 점심 뭐 먹었더라?", now).value == "김치찌개"
    assert store.retrieve("u", "내일 나 뭐 하기로 했더라?", now).value == "친구랑 카페 방문"
    assert store.retrieve("e", "what did I eat for lunch today?", now).value == "kimchi stew"


def test_retrieval_threshold_is_the_best_top1_within_the_false_retrieval_bound():
    from dialogue.evaluation.memory import choose_retrieval_threshold

    def point(t, recall, false):
        return {"threshold": t, "recall": recall, "false_retrieval": false}

    # the best top-1 among points within 25% false retrieval, not the best top-1 overall
    curve = [point(0.2, 0.95, 0.40), point(0.4, 0.70, 0.22), point(0.7, 0.50, 0.05)]
    assert choose_retrieval_threshold(curve)["threshold"] == 0.4
    # on a tie in top-1 the stricter threshold (fewer false retrievals)
    curve = [point(0.3, 0.70, 0.24), point(0.4, 0.70, 0.20)]
    assert choose_retrieval_threshold(curve)["threshold"] == 0.4
    # no point within the bound: the fewest false retrievals
    curve = [point(0.2, 0.85, 0.60), point(0.7, 0.60, 0.30)]
    assert choose_retrieval_threshold(curve)["threshold"] == 0.7

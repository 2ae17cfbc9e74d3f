"""The topic-change dataset: committed file in step with its builder, topics held out whole, labels sound."""
from __future__ import annotations

from collections import defaultdict

from dialogue.evaluation.splits import DATA_DIR, read_jsonl
from dialogue.data.build_topic import CONTINUE_MORE, TOPICS, TOPICS_FOURTH, TOPICS_MORE, TOPICS_THIRD, build


def test_committed_topic_data_is_what_the_builder_writes():
    assert read_jsonl(DATA_DIR / "topic.jsonl") == build()


def test_each_topic_sits_in_one_split_and_the_fourth_batch_covers_sixty_plus_topics():
    batches = (TOPICS, TOPICS_MORE, TOPICS_THIRD, TOPICS_FOURTH)
    names = [n for b in batches for n in b]
    assert len(names) == len(set(names))  # a topic name means one subject across batches
    rows = build()
    splits, langs = defaultdict(set), defaultdict(set)
    for r in rows:
        splits[r["group"]].add(r["split"])
        langs[(r["group"], r["label"])].add(r["lang"])
    assert all(len(s) == 1 for s in splits.values())
    fourth = {r["group"] for r in rows if r.get("batch") == 4}
    assert fourth == set(TOPICS_FOURTH) and len(fourth) >= 60
    assert {splits[g].pop() for g in fourth} == {"train", "val", "test"}
    assert all(langs[(g, y)] == {"ko", "en"} for g in fourth for y in ("continued", "changed"))


def test_generic_replies_continue_and_a_change_comes_from_another_topic():
    generic = set(CONTINUE_MORE[0]) | set(CONTINUE_MORE[1])
    own = {name: set(t[2]) | set(t[3]) for b in (TOPICS, TOPICS_MORE, TOPICS_THIRD, TOPICS_FOURTH) for name, t in b.items()}
    for r in build():
        if r["message"] in generic:
            assert r["label"] == "continued", r
        if r["label"] == "changed":
            assert not any(r["message"].endswith(m) for m in own[r["group"]]), r

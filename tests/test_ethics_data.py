"""The ethics dataset builder: template-grouped splits that a new batch of templates leaves alone."""
from __future__ import annotations

import json
from collections import defaultdict

import pytest

from dialogue.data import build_ethics


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    return build_ethics.build()


def test_committed_dataset_is_what_the_builder_writes(rows):
    with open(build_ethics.OUT, encoding="utf-8") as f:
        committed = [json.loads(line) for line in f]
    assert committed == rows, "dialogue/data/ethics.jsonl is stale: run python -m dialogue.data.build_ethics"


def test_each_template_lies_in_one_split_and_texts_are_unique(rows):
    splits_of = defaultdict(set)
    for r in rows:
        splits_of[r["group"]].add(r["split"])
    assert all(len(s) == 1 for s in splits_of.values())
    assert len({r["text"] for r in rows}) == len(rows)


def test_every_batch_holds_out_templates_of_every_category_and_language(rows):
    cells = defaultdict(set)
    for r in rows:
        if r.get("batch", 1) != 3:  # the greetings batch is normal only
            cells[(r.get("batch", 1), r["label"], r["lang"])].add(r["split"])
    assert {b for b, _, _ in cells} == {1, 2, 4, 5, 6}
    assert all(s == {"train", "val", "test"} for s in cells.values()), \
        [c for c, s in cells.items() if s != {"train", "val", "test"}]


def test_a_new_batch_leaves_the_earlier_splits_unchanged(rows, monkeypatch):
    # without the newest batches the builder must give exactly the earlier rows: same texts, same splits
    monkeypatch.setattr(build_ethics, "T_ADDRESSED", {})
    assert build_ethics.build() == [r for r in rows if r.get("batch", 1) < 6]
    monkeypatch.setattr(build_ethics, "T_WIDE", {})
    assert build_ethics.build() == [r for r in rows if r.get("batch", 1) < 5]

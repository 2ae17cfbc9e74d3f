"""`ohlora eval remember` and `ohlora eval summary`: the written sets load and are checked, a stored fact said
in other words still counts, and the summary sheet is blind and scores per run."""
from __future__ import annotations

import json
from datetime import datetime

import pytest

from dialogue.evaluation import remember, summaries
from dialogue.prompting import memory_prompt
from dialogue.roles import parse_memories


def test_both_written_remember_sets_load_and_hold_every_kind():
    for name in ("validation", "heldout"):
        items = remember.load_remember_set(name)
        assert len(items) >= 150
        assert {i["kind"] for i in items} == set(remember.REMEMBER_KINDS)
        assert {i["lang"] for i in items} == {"ko", "en"}
        # "nothing" messages store nothing, every other kind at least one fact
        assert all((i["kind"] == "nothing") == (not i["remember"]) for i in items)


def test_a_malformed_remember_line_is_named(tmp_path, monkeypatch):
    bad = tmp_path / "remember.jsonl"
    bad.write_text(json.dumps({"id": "x", "lang": "en", "message": "I'm Jane", "remember": [["name"]],
                               "kind": "one_fact"}) + "\n", encoding="utf-8")
    monkeypatch.setitem(remember.SETS, "validation", bad)
    with pytest.raises(ValueError, match=r"remember.jsonl:1: remember must be"):
        remember.load_remember_set("validation")
    with pytest.raises(ValueError, match="unknown set"):
        remember.load_remember_set("train")


@pytest.mark.parametrize("written, stored", [
    (("job", "nurse"), ("occupation", "a nurse")),
    (("직업", "초등학교 교사"), ("직업", "초등학교 선생님")),
    (("pet", "a cat named Nabi"), ("cat", "Nabi")),
    (("치과 예약", "2025년 1월 15일 오전"), ("내일 일정", "치과 예약")),
    (("city", "Toronto"), ("hometown", "Toronto")),
])
def test_the_same_fact_in_other_words_counts(written, stored):
    assert remember.same_fact(written, stored)


@pytest.mark.parametrize("written, stored", [
    (("job", "nurse"), ("job", "teacher")),
    (("city", "Toronto"), ("name", "Jane")),
    (("pet", "a dog named Kong"), ("pet", "a cat")),
])
def test_another_fact_does_not_count(written, stored):
    assert not remember.same_fact(written, stored)


def test_scores_count_lost_facts_and_things_stored_that_were_not_said():
    jane = {"id": "a", "lang": "en", "now": "", "kind": "several_facts", "message": "I'm Jane, a nurse from Toronto",
            "remember": [("name", "Jane"), ("job", "nurse"), ("city", "Toronto")]}
    ask = {"id": "b", "lang": "en", "now": "", "kind": "nothing", "message": "do you have a cat?", "remember": []}
    scored = [remember.score_item(jane, "[name: Jane]"), remember.score_item(ask, "[pet: a cat]"),
              remember.score_item(ask, "I think so")]
    f = remember.figures(scored)["all"]
    assert f["recall"] == pytest.approx(1 / 3) and f["precision"] == pytest.approx(1 / 2)
    assert f["stored_on_nothing"] == pytest.approx(1 / 2) and f["unparsable"] == 1
    assert not scored[0].exact and scored[2].stored is None
    full = remember.score_item(jane, "[name: Jane] [job: a nurse] [hometown: Toronto]")
    assert full.exact and full.found == 3


def test_the_memory_prompt_carries_the_day_so_next_friday_can_become_a_date():
    friday = datetime(2026, 4, 17, 21, 30)
    assert "2026년 4월 17일 금요일" in memory_prompt("다음 주 토요일에 이사해", friday)
    assert "Friday, April 17, 2026" in memory_prompt("moving next saturday", friday)
    assert "2026" not in memory_prompt("moving next saturday")


def test_memory_training_thins_the_examples_that_store_nothing():
    from dialogue.data.turns import Turn
    from dialogue.training.lora import MEMORY_EMPTY_PER_FACT, role_examples

    def turn(i, memory):
        return Turn(f"t{i}", "written:x", "en", datetime(2026, 1, 1), "", "", f"message {i}", "answer",
                    memory, "summary", {"eyes": "normal", "mouth": "normal", "head": "none"}, (), ())
    turns = [turn(i, "[job: nurse]" if i < 10 else "") for i in range(100)]
    examples = role_examples(turns, "memory")
    assert len(examples) == 10 + int(10 * MEMORY_EMPTY_PER_FACT) < 100
    assert sum("[job: nurse]" in c for _, c in examples) == 10
    assert examples == role_examples(turns, "memory")  # the same ones every run
    assert len(role_examples(turns, "summary")) == 100
    # data that tells no fact at all is kept whole rather than thinned to nothing
    assert len(role_examples(turns[10:], "memory")) == 90
    # the empty examples written beside facts ("tells" conversations) are kept before the others
    tells = [Turn(f"t{i}", "written:tells", "en", datetime(2026, 1, 1), "", "", f"only a mood {i}", "answer", "",
                  "summary", {"eyes": "normal", "mouth": "normal", "head": "none"}, (), ()) for i in range(100, 105)]
    kept = [p for p, _ in role_examples(turns + tells, "memory")]
    assert all(any(f"only a mood {i}" in p for p in kept) for i in range(100, 105))
    # turns written for the answer role alone list no facts told: the memory role never learns "store nothing" from them
    untold = [Turn(f"t{i}", "written:memory_fit", "en", datetime(2026, 1, 1), "", "", f"my sister's birthday {i}",
                   "answer", "", "summary", {"eyes": "normal", "mouth": "normal", "head": "none"}, (), ())
              for i in range(200, 300)]
    kept = [p for p, _ in role_examples(turns + untold, "memory")]
    assert not any("my sister's birthday" in p for p in kept)
    assert len(role_examples(turns + untold, "answer")) == 200


def _summary_run(path, rows):
    summaries.write_jsonl(rows, path)
    return path


def test_the_summary_sheet_is_blind_and_scores_each_run(tmp_path):
    rows = [{"id": "open-0001", "lang": "ko", "message": "안녕! 나는 민수야", "answer": "안녕 민수야!", "summary": s}
            for s in ["사용자가 민수라고 자기소개함"]]
    old = _summary_run(tmp_path / "old.jsonl", [dict(rows[0], summary="사용자가 학교와 전공을 물음")])
    new = _summary_run(tmp_path / "new.jsonl", rows)
    text, key = summaries.sheet([old, new])
    assert "old.jsonl" not in text and "new.jsonl" not in text and "open-0001" not in text
    assert len(key) == 2 and {k["run"] for k in key.values()} == {"old.jsonl", "new.jsonl"}
    grades = []
    for n in range(2):
        g = tmp_path / f"judge{n}.jsonl"
        g.write_text("".join(json.dumps({"id": i, "grade": "accept" if k["run"] == "new.jsonl" else "reject",
                                         "why": ""}) + "\n" for i, k in key.items()), encoding="utf-8")
        grades.append(g)
    table = summaries.score(key, [old, new], grades)
    assert "| `old.jsonl` | **0/1 = 0.0%**" in table and "| `new.jsonl` | **1/1 = 100.0%**" in table
    grades[1].write_text("", encoding="utf-8")
    with pytest.raises(ValueError, match="no grade from every judge"):
        summaries.score(key, [old, new], grades)


def test_parse_memories_reads_several_items():
    assert parse_memories("[name: Jane] [job: nurse]") == [("name", "Jane"), ("job", "nurse")]


def test_a_list_cut_by_the_token_budget_keeps_its_complete_items():
    cut = "[name: Oluwaseun] [job: software developer] [city: Lagos] [age: 27] [job goal: s"
    assert parse_memories(cut) == [("name", "Oluwaseun"), ("job", "software developer"), ("city", "Lagos"), ("age", "27")]
    assert parse_memories("[나이: 40살] [직업: 꽃집] [나이: 40살] [직업: 꽃") == [("나이", "40살"), ("직업", "꽃집")]
    # a cut first item, or text around the items, is still not trusted
    assert parse_memories("[job goal: s") is None and parse_memories("I noted [a: b] [c: d") is None

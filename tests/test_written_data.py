"""The written dialogue data: every file loads and is well formed, each writer's file lands in its split,
and no test or validation text is also a training text."""
from __future__ import annotations

import json

import pytest

from dialogue.data import written
from dialogue.data.written import WrittenDataError, normalized


def test_every_written_file_loads_with_its_writer_split():
    ethics, topic, memory = written.ethics_rows(), written.topic_rows(), written.memory_cases()
    persona = written.persona_questions()
    assert ethics and topic and memory and persona
    for rows in (ethics, topic, memory, persona):
        for r in rows:
            expected = {"heldout": "test", "validation": "val"}.get(r["source"].split("/")[0], "train")
            assert r["split"] == expected, r["source"]
    convs = written.conversations()
    assert convs and all(1 <= len(c["turns"]) for c in convs)
    assert len({c["id"] for c in convs}) == len(convs), "conversation ids repeat"


def test_no_test_or_validation_text_is_a_training_text():
    for rows, key in ((written.ethics_rows(), "text"), (written.topic_rows(), "message"),
                      (written.memory_cases(), "question"), (written.persona_questions(), "text")):
        train = {normalized(r[key]) for r in rows if r["split"] == "train"}
        leaked = [r[key] for r in rows if r["split"] != "train" and normalized(r[key]) in train]
        assert not leaked, leaked[:10]


def test_every_message_variant_belongs_to_a_written_first_message_of_its_language():
    firsts = {c["turns"][0]["user"]: c["lang"] for c in written.conversations()}
    variants = written.message_variants()
    assert sum(map(len, variants.values())) > 5000
    orphans = [m for m in variants if m not in firsts]
    assert not orphans, orphans[:5]
    from dialogue.prompting import language_of
    wrong = [(m, v) for m, vs in variants.items() for v in vs if language_of(v) != firsts[m]]
    assert not wrong, wrong[:5]


def test_a_variant_without_its_message_is_named(tmp_path, monkeypatch):
    (tmp_path / "variants").mkdir()
    (tmp_path / "variants" / "v.jsonl").write_text(json.dumps({"message": "hi", "lang": "en", "variants": ["hey"]})
                                                   + "\n" + json.dumps({"lang": "en", "variants": ["yo"]}) + "\n",
                                                   encoding="utf-8")
    monkeypatch.setattr(written, "WRITTEN_DIR", tmp_path)
    with pytest.raises(WrittenDataError, match=r"v\.jsonl:2: message must be text"):
        written.message_variants()


def test_a_broken_line_is_named(tmp_path, monkeypatch):
    (tmp_path / "ethics").mkdir()
    (tmp_path / "ethics" / "w.jsonl").write_text(json.dumps({"text": "hi", "label": "normal", "lang": "ko"}) + "\n"
                                                 + json.dumps({"text": "hi", "label": "rude", "lang": "ko"}) + "\n",
                                                 encoding="utf-8")
    monkeypatch.setattr(written, "WRITTEN_DIR", tmp_path)
    with pytest.raises(WrittenDataError, match=r"w\.jsonl:2: label must be one of"):
        written.ethics_rows()
    (tmp_path / "memory").mkdir()
    (tmp_path / "memory" / "m.jsonl").write_text(json.dumps(
        {"memories": [["job", "nurse"]], "question": "what do I do?", "answer": ["job", "doctor"], "lang": "en",
         "kind": "direct"}) + "\n", encoding="utf-8")
    with pytest.raises(WrittenDataError, match=r"m\.jsonl:1: answer .* is not one of the stored memories"):
        written.memory_cases()


def test_a_second_validation_writer_lands_in_validation_and_other_tasks_files_do_not(tmp_path, monkeypatch):
    case = {"previous": "p", "message": "m", "label": "changed", "lang": "en"}
    for folder, name in (("topic", "w.jsonl"), ("validation", "topic.jsonl"), ("validation", "topic-writerY.jsonl"),
                         ("validation", "topicality.jsonl"), ("heldout", "topic.jsonl")):
        (tmp_path / folder).mkdir(exist_ok=True)
        (tmp_path / folder / name).write_text(json.dumps(dict(case, message=f"{folder}/{name}")) + "\n",
                                              encoding="utf-8")
    monkeypatch.setattr(written, "WRITTEN_DIR", tmp_path)
    split_of = {r["message"]: r["split"] for r in written.topic_rows()}
    assert split_of == {"topic/w.jsonl": "train", "validation/topic.jsonl": "val",
                        "validation/topic-writerY.jsonl": "val", "heldout/topic.jsonl": "test"}


def test_persona_questions_take_the_held_out_writers_questions_about_the_user_as_asking_nothing_of_hers(tmp_path, monkeypatch):
    rows = {("persona", "w.jsonl"): [{"text": "몇 년생이야?", "aspect": "age", "lang": "ko"},
                                      {"text": "guess my MBTI", "aspect": "none", "lang": "en"}],
            ("validation", "persona.jsonl"): [{"id": "v1", "message": "what's your MBTI?", "aspect": "mbti", "lang": "en"}],
            ("validation", "memory.jsonl"): [
                {"memories": [["mbti", "ISFJ"]], "question": "what's my MBTI?", "answer": ["mbti", "ISFJ"],
                 "lang": "en", "kind": "direct"},
                {"memories": [["job", "nurse"]], "question": "what's yours?", "answer": None, "lang": "en",
                 "kind": "unrelated"}],  # an unrelated question may be one about her: not taken
            ("validation", "remember.jsonl"): [
                {"id": "r1", "message": "I'm 27 and a nurse", "remember": [["age", "27"]], "lang": "en", "kind": "one_fact"},
                {"id": "r2", "message": "how old are you?", "remember": [], "lang": "en", "kind": "nothing"}]}
    for (folder, name), lines in rows.items():
        (tmp_path / folder).mkdir(exist_ok=True)
        (tmp_path / folder / name).write_text("".join(json.dumps(r) + "\n" for r in lines), encoding="utf-8")
    monkeypatch.setattr(written, "WRITTEN_DIR", tmp_path)
    got = {(r["text"], r["label"], r["split"]) for r in written.persona_questions()}
    assert got == {("몇 년생이야?", "age", "train"), ("guess my MBTI", "none", "train"), ("what's your MBTI?", "mbti", "val"),
                   ("what's my MBTI?", "none", "val"), ("I'm 27 and a nurse", "none", "val")}
    (tmp_path / "persona" / "w.jsonl").write_text(json.dumps({"text": "hi", "aspect": "hobby", "lang": "en"}) + "\n",
                                                  encoding="utf-8")
    with pytest.raises(WrittenDataError, match=r"w\.jsonl:1: aspect must be one of none, name"):
        written.persona_questions()


def test_the_written_turns_meet_the_corpus_targets_after_removing_near_duplicates():
    from dialogue.data.dedupe import dropped_ids, near_duplicates
    from dialogue.data.turns import written_turns

    turns = written_turns()
    ids = {t.id for t in turns}
    assert not ids & dropped_ids()
    ko = sum(t.lang == "ko" for t in turns) / len(turns)
    assert len(turns) >= 8000 and ko >= 0.40 and 1 - ko >= 0.30
    # many with earlier exchanges in the prompt: the conversations are; the answer bank's files (ids "bank-…") are
    # single first exchanges by design, written to be reused word for word (dialogue/answer_bank.py)
    conversations = [t for t in turns if not t.id.startswith("bank-")]
    assert sum(bool(t.history) for t in conversations) / len(conversations) > 0.4
    assert sum(bool(t.history) for t in turns) >= 6000
    import numpy as np

    unit = np.eye(4, dtype=np.float32)
    m = np.stack([unit[0], unit[1], unit[0], (unit[0] + unit[2]) / np.sqrt(2)])
    a = np.stack([unit[3], unit[3], unit[3], unit[3]])
    assert near_duplicates(m, a) == {2: 0}  # the same exchange again; not a near one (cos 0.71)


def test_an_answer_prompt_carries_the_stored_memories_and_always_the_one_the_answer_uses():
    from dialogue.data.turns import memory_line
    from dialogue.prompting import PROMPT_MEMORIES

    stored = [("pet", "a cat named Nabi"), ("job", "nurse"), ("city", "Toronto"), ("food", "kimchi stew")]
    known = dict(stored) | {"plan": "dentist tomorrow"}
    for seed in ("a-1", "a-2", "b-7"):
        line = memory_line(stored, "plan", known, seed)  # the used memory was told earlier in the conversation
        assert line.count("[") == PROMPT_MEMORIES and "[plan: dentist tomorrow]" in line
    assert memory_line(stored[:2], None, known, "x") in ("[pet: a cat named Nabi] [job: nurse]",
                                                        "[job: nurse] [pet: a cat named Nabi]")
    assert memory_line(stored, "job", known, "s") == memory_line(stored, "job", known, "s")  # seeded
    assert len({memory_line(stored[:3], "job", known, f"s{i}").split("]")[0] for i in range(12)}) > 1  # not always first
    assert memory_line([], None, {}, "x") == ""


def test_a_gated_answer_prompt_shows_the_used_memory_alone_as_the_live_gate_does():
    """Training prompts must look like live ones: the relevance gate shows one memory, the relevant one, so a
    memory in the prompt is one to use; now and then an unrelated one gets through, which she must ignore."""
    from dialogue.data.turns import GATE_MISTAKE_SHARE, gated_memory_line, written_turns

    stored = [("pet", "a cat named Nabi"), ("job", "nurse"), ("city", "Toronto")]
    known = dict(stored) | {"plan": "dentist tomorrow"}
    assert gated_memory_line(stored, "job", known, "a-1") == "[job: nurse]"
    assert gated_memory_line(stored, "plan", known, "a-1") == "[plan: dentist tomorrow]"  # told earlier
    unused = [gated_memory_line(stored, None, known, f"t-{i}") for i in range(400)]
    mistakes = [line for line in unused if line]
    assert abs(len(mistakes) / 400 - GATE_MISTAKE_SHARE) < 0.07
    assert all(line.count("[") == 1 and line in {f"[{k}: {v}]" for k, v in stored} for line in mistakes)
    assert gated_memory_line([], None, {}, "x") == ""
    # a neighbour the writer says the gate brings to mind is shown on every seed, for the answer to leave alone
    assert {gated_memory_line(stored, None, known, f"t-{i}", shown="city") for i in range(20)} == {"[city: Toronto]"}
    assert gated_memory_line(stored, "job", known, "a-1", shown="city") == "[job: nurse]"

    gated, stored_lines = written_turns("gated"), written_turns("stored")
    assert [t.id for t in gated] == [t.id for t in stored_lines]
    assert all(t.context_memory.count("[") <= 1 for t in gated)
    assert sum(bool(t.context_memory) for t in gated) < sum(bool(t.context_memory) for t in stored_lines)
    with pytest.raises(ValueError, match="memory lines"):
        written_turns("all")


def test_a_shown_memory_must_be_stored_and_on_a_turn_that_uses_none(tmp_path, monkeypatch):
    """A written turn may say which stored memory the gate brings to mind without it fitting; a key that is not
    stored, or one on a turn whose answer uses a memory, is a writer's mistake named by file and line."""
    turn = {"user": "엄마 생일 언제더라", "answer": "음, 어머니 생신은 아직 못 들은 것 같아!", "summary": "s",
            "expression": {"eyes": "normal", "mouth": "small", "head": "none"}, "remember": [], "uses": None,
            "shown": "생일"}
    conv = {"id": "c1", "lang": "ko", "now": "2026-03-01T10:00", "memories": [["생일", "5월 3일"]], "turns": [turn]}
    (tmp_path / "turns").mkdir()
    path = tmp_path / "turns" / "t.jsonl"
    monkeypatch.setattr(written, "WRITTEN_DIR", tmp_path)
    path.write_text(json.dumps(conv, ensure_ascii=False) + "\n", encoding="utf-8")
    assert written.conversations()[0]["turns"][0]["shown"] == "생일"
    for bad in ({"shown": "직업"}, {"shown": "생일", "uses": "생일"}):
        path.write_text(json.dumps(dict(conv, turns=[dict(turn, **bad)]), ensure_ascii=False) + "\n", encoding="utf-8")
        with pytest.raises(WrittenDataError, match=r"t\.jsonl:1: shown must be a stored memory's key"):
            written.conversations()

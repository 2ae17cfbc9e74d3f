"""The SFT dataset: schema, coverage of the issue's categories, a stable held-out split; prompt assembly."""
from __future__ import annotations

import json
from collections import Counter
from datetime import datetime

import pytest

from dialogue.data.persona_questions import persona_question_rows
from dialogue.data.turns import (FACT_DISTRACTOR_PERCENT, FACT_DROPPED_PERCENT, load_turns, message_key, split,
                                 validate_row, validation_split)
from dialogue.prompting import PERSONA_ASPECTS, age_on, answer_prompt, persona_line, TurnContext, time_tag
from dialogue.roles import parse_expression


def test_dataset_size_languages_and_categories():
    turns = load_turns()
    assert len(turns) >= 800
    langs = Counter(t.lang for t in turns)
    assert langs["ko"] >= 300 and langs["en"] >= 300
    cats = {t.category.split(":")[0] for t in turns}
    assert {"persona", "smalltalk", "memory", "recall", "followup", "topic_change", "refusal", "time"} <= cats
    assert {t.category for t in turns if t.category.startswith("refusal")} == \
        {"refusal:romance", "refusal:politics", "refusal:insult"}
    for t in turns:
        assert parse_expression(t.target("expression")) is not None
        if t.category.startswith("persona"):
            assert t.facts and all(f in t.answer for f in t.facts), t


def test_held_out_split_is_disjoint_and_stable():
    turns = load_turns()
    train, held = split(turns)
    assert 0.05 < len(held) / len(turns) < 0.15
    assert not {t.id for t in train} & {t.id for t in held}
    assert [t.id for t in split(load_turns())[1]] == [t.id for t in held]
    assert any(t.category.startswith("persona") for t in held)
    # no held-out message is seen in training, not even in another context or with other punctuation
    assert not {message_key(t.message) for t in train} & {message_key(t.message) for t in held}


def test_validation_part_lies_inside_the_training_split_grouped_by_message():
    turns = load_turns()
    train, held = split(turns)
    fit, val = validation_split(turns)
    # configurations compared on validation never see the held-out split, and lose no training turn but val
    assert {t.id for t in fit} | {t.id for t in val} == {t.id for t in train}
    assert not {t.id for t in val} & {t.id for t in held} and not {t.id for t in fit} & {t.id for t in val}
    assert 0.08 < len(val) / len(train) < 0.25
    assert sum(t.category.startswith("persona") for t in val) >= 50
    assert not {message_key(t.message) for t in fit} & {message_key(t.message) for t in val}


def test_bad_rows_are_rejected_with_the_field_named():
    good = json.loads(open("dialogue/data/turns.jsonl", encoding="utf-8").readline())
    validate_row(good, "x")
    for field, value, words in (("memory", "weather sunny", "memory"), ("lang", "fr", "lang"),
                                ("expression", {"eyes": "huge", "mouth": "closed", "head": "none"}, "eyes"),
                                ("now", "yesterday", "ISO")):
        with pytest.raises(ValueError, match=words):
            validate_row({**good, field: value}, "x")
    with pytest.raises(ValueError, match="missing field 'answer'"):
        validate_row({k: v for k, v in good.items() if k != "answer"}, "x")


def test_time_tag_and_age():
    assert time_tag(datetime(2025, 11, 29, 15), "ko") == "(시간: 2025년 11월 29일 토요일 오후)"
    assert time_tag(datetime(2025, 11, 29, 20), "en") == "(time: Saturday, November 29, 2025, evening)"
    assert age_on(datetime(2025, 11, 29).date()) == 22
    assert age_on(datetime(2026, 10, 10).date()) == 22 and age_on(datetime(2026, 10, 11).date()) == 23
    p = answer_prompt("너 몇 살이야?", TurnContext(now=datetime(2026, 10, 11, 9)))
    assert "(오로라: 23살, 4학년)" in p and "(시간:" not in p
    assert "(time:" in answer_prompt("What day is it today?", TurnContext(now=datetime(2026, 1, 1)))


def test_the_asked_persona_fact_is_shown_in_the_answer_prompt():
    now = datetime(2025, 11, 29, 15)
    p = answer_prompt("Are you human?", TurnContext(now=now, persona_aspect="nature"))
    assert "(Oh-LoRA: virtual human)" in p and "years old" not in p
    # age words still bring her age (from the date) and the fact comes in the same line
    assert "(오로라: 22살, 3학년, 생일 2003년 10월 11일)" in answer_prompt(
        "너 몇 살이고 생일이 언제야?", TurnContext(now=now, persona_aspect="birthday"))
    assert persona_line(now, "en", "age", with_age=False) == "(Oh-LoRA: 22 years old, year 3)"
    assert persona_line(now, "ko", "", with_age=False) == ""
    assert "(오로라:" not in answer_prompt("오늘 뭐 먹지?", TurnContext(now=now))
    # the user's own age asked with it shown: her age beside it would be answered instead
    p = answer_prompt("나 몇 살이게? 기억하지?", TurnContext(now=now, memory="[나이: 19]"))
    assert "(기억: [나이: 19])" in p and "(오로라:" not in p
    assert "22 years old" in answer_prompt("how old are you?", TurnContext(now=now, memory="[age: 45]",
                                                                          persona_aspect="age"))
    with pytest.raises(ValueError, match="unknown persona aspect"):
        persona_line(now, "ko", "hobby")


def test_training_prompts_show_the_asked_fact_with_a_few_dropped_and_a_few_unasked():
    turns = load_turns()
    persona = [t for t in turns if t.persona_aspect]
    others = [t for t in turns if not t.persona_aspect]
    assert {t.persona_aspect for t in persona} == set(PERSONA_ASPECTS)
    dropped = sum(t.training_aspect() == "" for t in persona) / len(persona)
    assert all(t.training_aspect() in ("", t.persona_aspect) for t in persona)
    unasked = sum(t.training_aspect() != "" for t in others) / len(others)
    assert abs(dropped - FACT_DROPPED_PERCENT / 100) < 0.03 and abs(unasked - FACT_DISTRACTOR_PERCENT / 100) < 0.04
    assert [t.training_aspect() for t in turns] == [t.training_aspect() for t in load_turns()]  # stable
    # evaluation overrides it with the classifier's decision
    t = persona[0]
    assert "(오로라:" not in t.prompt("answer", "") or "살" in t.prompt("answer", "")


def test_persona_question_rows_follow_the_turns_splits():
    turns = load_turns()
    rows = persona_question_rows(turns)
    held = {t.message for t in turns if t.held_out}
    assert {r["text"] for r in rows if r["split"] == "test"} == held
    assert not {r["text"] for r in rows if r["split"] == "train"} & held
    assert {r["label"] for r in rows} == {"none", *PERSONA_ASPECTS}

"""The persona-fact phrasings: the committed turns match the composer, every fact is asked in many ways,
and questions about her age reach a prompt that carries it."""
from __future__ import annotations

import json
from collections import defaultdict

import pytest

from dialogue.data import compose
from dialogue.data.turns import DATA_PATH, load_turns, message_key
from dialogue.prompting import age_on, needs_persona_tag


def test_turns_file_is_what_the_seeded_composer_writes():
    rows = compose.Composer().compose()
    with open(DATA_PATH, encoding="utf-8") as f:
        committed = [json.loads(line) for line in f if line.strip()]
    assert rows == committed, "dialogue/data/turns.jsonl is stale: run `python -m dialogue.data.compose`"


def test_every_fact_is_asked_many_ways_in_both_languages():
    wordings: dict[tuple[str, str], set[str]] = defaultdict(set)
    for t in load_turns():
        if t.category.startswith("persona:"):
            wordings[(t.category, t.lang)].add(message_key(t.message))
    for fid, *_ in compose.FACTS:
        for lang in ("ko", "en"):
            assert len(wordings[(f"persona:{fid}", lang)]) >= 25, (fid, lang)


def test_age_questions_get_the_age_tag_and_answers_state_the_age_of_their_date():
    age_turns = [t for t in load_turns() if t.category == "persona:age"]
    assert age_turns
    for t in age_turns:
        assert needs_persona_tag(t.message), t.message
        assert str(age_on(t.now.date())) in t.answer, t


@pytest.mark.parametrize("message", ["무슨 띠야?", "너 띠가 뭐야?", "How many years old are you?",
                                     "Are you in your twenties?", "Are you a freshman?"])
def test_new_age_and_year_words_get_the_persona_tag(message):
    assert needs_persona_tag(message)


def test_composer_refuses_an_age_phrasing_the_prompt_would_not_tag(monkeypatch):
    monkeypatch.setattr(compose, "PHRASINGS", [compose.Phrasings("age", ["너 양띠 맞지?"], [])])
    with pytest.raises(ValueError, match="persona tag"):
        compose.Composer().persona_phrasings()

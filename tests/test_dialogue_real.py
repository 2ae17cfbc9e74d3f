"""Integration: the prepared Gemma 3 270M with the committed role adapters, through the whole turn."""
from __future__ import annotations

import asyncio
from datetime import datetime

import pytest

from dialogue.interfaces import TokenEvent, TurnDone
from dialogue.roles import FALLBACK, answer_problem
from tests.conftest import require_prepared

pytestmark = pytest.mark.real_weights


@pytest.fixture(scope="module")
def engine():
    require_prepared("gemma3-270m")
    from dialogue.conversation import PersonaChat
    from dialogue.llm_loading import ADAPTERS_DIR, load_default_llm

    for role in ("answer", "memory", "summary", "expression"):
        assert (ADAPTERS_DIR / role / "adapter_model.safetensors").exists(), f"adapter {role} is not committed"
    return PersonaChat(load_default_llm(threads=2))


def test_a_real_turn_streams_a_valid_answer_in_the_users_language(engine):
    now = datetime(2025, 11, 29, 15, 0)

    async def go(message):
        return [ev async for ev in engine.turn("it", message, now)]

    for message, lang in (("안녕! 너 이름이 뭐야?", "ko"), ("Hi! What's your name?", "en")):
        events = asyncio.run(go(message))
        done = events[-1]
        assert isinstance(done, TurnDone)
        streamed = "".join(e.text for e in events if isinstance(e, TokenEvent))
        assert streamed == done.text and done.text
        assert answer_problem(done.text, message, now) is None or done.text == FALLBACK[lang]
        assert done.summary  # a summary (generated, or the fallback line) is always there
        assert {"memory_s", "summary_s", "expression_s"} <= done.timings.keys()


def test_asked_persona_facts_come_through_the_classifier_and_the_answer_adapter(engine):
    """The held-out misses of the adapter alone ("are you human?" answered with her name) are answered
    with the fact once the persona-question classifier shows it in the prompt."""
    require_prepared("multilingual-e5-small")
    from dialogue.classifiers import PersonaQuestionClassifier
    from dialogue.conversation import PersonaChat

    chat = PersonaChat(engine.llm, persona=PersonaQuestionClassifier())
    now = datetime(2025, 11, 29, 15, 0)

    async def answer(message):
        return [ev async for ev in chat.turn("facts", message, now)][-1].text

    assert "virtual human" in asyncio.run(answer("Are you a robot?")).lower()
    assert "10월 11일" in asyncio.run(answer("너 생일 언제야?"))
    assert "ENTJ" in asyncio.run(answer("What's your MBTI?"))


def test_the_memory_role_keeps_its_stop_bias_and_still_stores_a_plain_fact(engine):
    """The committed memory adapter decodes with the stop bias chosen for it (weights/adapters/memory/decoding.json),
    and the bias does not silence a message that plainly tells facts."""
    from dialogue.prompting import memory_prompt
    from dialogue.roles import parse_memories

    llm = engine.llm
    assert llm.stop_bias.get("memory", 0.0) > 0
    now = datetime(2025, 11, 29, 15, 0)
    told = llm.generate_text("memory", memory_prompt("I'm Jane, a nurse from Toronto", now), max_new_tokens=48).text
    assert parse_memories(told), told

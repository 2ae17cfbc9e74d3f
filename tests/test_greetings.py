"""A message that only greets her, answered for the hour without the answer model (dialogue/greetings.py)."""
from __future__ import annotations

import asyncio
from datetime import datetime

import pytest

from dialogue.conversation import PersonaChat
from dialogue.greetings import greeting_answer
from tests.test_dialogue_turn import ScriptedLLM


@pytest.mark.parametrize("message, hour, words", [
    ("ㅎㅇ", 23, ["ㅎㅇㅎㅇ!", "🌙"]), ("gm ☀️", 8, ["gm!"]), ("안녕 로라~", 8, ["☀️"]), ("evening!", 19, ["day"]),
    ("로라님 안녕하세요!", 12, ["안녕하세요", "점심", "요?"]), ("hi", 2, ["🌙"]), ("yo", 21, ["Yo!"]),
    ("다녀왔습니다~", 17, ["어서 오세요"]), ("im back", 14, ["welcome back"]),
])
def test_a_greeting_is_answered_for_the_hour(message, hour, words):
    text = greeting_answer(message, datetime(2026, 3, 3, hour, 10))
    assert text is not None and all(w.lower() in text.lower() for w in words), text


def test_a_greeting_for_another_part_of_the_day_is_not_corrected():
    # a night-shift "good morning" at 9 pm gets neither "good morning" nor "good evening" back
    text = greeting_answer("good morning", datetime(2026, 3, 3, 21, 0))
    assert "morning" not in text.lower() and "evening" not in text.lower()


@pytest.mark.parametrize("message", [
    "안녕! 처음 와봤는데 너 누구야?", "morning! wish me luck", "좋은 아침~ 로라 일어났어?", "hi can you help me with math",
    "안녕하세요 저 오늘 면접 봐요", "",
])
def test_a_greeting_with_more_in_it_goes_to_the_model(message):
    assert greeting_answer(message, datetime(2026, 3, 3, 9, 0)) is None


def test_mid_conversation_an_ambiguous_hello_or_home_is_left_to_the_model():
    now = datetime(2026, 3, 3, 22, 0)
    assert greeting_answer("안녕~", now, opens=False) is None  # may be a goodbye
    assert greeting_answer("home", now, opens=False) is None   # may answer "where are you?"
    assert greeting_answer("hi", now, opens=False) is not None


def test_the_turn_greets_without_the_answer_model_and_then_uses_it():
    llm = ScriptedLLM(["응 좋아!", "그래!"])
    engine = PersonaChat(llm)

    async def turn(message):
        return [ev async for ev in engine.turn("u1", message, datetime(2026, 3, 3, 8, 0))][-1]
    first = asyncio.run(turn("ㅎㅇ"))
    assert first.text.startswith("ㅎㅇㅎㅇ!") and "answer" not in [r for r, _ in llm.prompts]
    asyncio.run(turn("안녕"))  # mid-conversation: may be a goodbye, so the model answers
    assert "answer" in [r for r, _ in llm.prompts]


@pytest.mark.parametrize("message, hour, name, said", [
    ("좋은 아침!", 8, "수아", ", 수아야!"), ("안녕~", 20, "민준", ", 민준아!"),
    ("good morning", 8, "Tom", ", Tom!"), ("안녕하세요", 20, "서연", "서연 님, 안녕하세요!"),
])
def test_a_user_she_knows_is_greeted_by_name(message, hour, name, said):
    assert said in greeting_answer(message, datetime(2026, 3, 3, hour, 0), name=name)


class NamedUser:
    def export(self, user_id, now=None):
        return [{"key": "취미", "value": "클라이밍"}, {"key": "이름", "value": "수아"}]

    def retrieve(self, user_id, query, now):
        return None

    def remember(self, user_id, key, value, source_turn, now):
        pass


def test_the_turn_greets_a_user_she_knows_by_the_name_she_stored():
    engine = PersonaChat(ScriptedLLM([]), memory=NamedUser())
    done = asyncio.run(_collect(engine.turn("u1", "좋은 아침!", datetime(2026, 3, 3, 8, 0))))[-1]
    assert ", 수아야!" in done.text, done.text


async def _collect(events):
    return [ev async for ev in events]

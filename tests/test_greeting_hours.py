"""A greeting or farewell for another time of day is rejected by the streaming validator (claims.greeting_problem):
"Good morning!" to "gn, talk tomorrow" at 9 pm was a real answer."""
from __future__ import annotations

from datetime import datetime

import pytest

from dialogue.claims import fact_completion, greeting_problem
from dialogue.roles import answer_problem


def at(hour: int) -> datetime:
    return datetime(2026, 12, 7, hour, 10)


@pytest.mark.parametrize("answer, hour, message", [
    ("Good morning! How's your Monday going?", 21, "gn oh-lora, talk tomorrow"),
    ("Good night! 🌙", 18, "I'm back. long shift"),
    ("잘 자! 🌙", 12, "나 왔어"),
    ("좋은 아침! 오늘 뭐 해?", 15, "심심해"),
    ("Morning! ☀️ What's on your mind?", 20, "just got home"),
    ("Good afternoon!", 9, "hi"),
    ("Good evening! 😊", 8, "yo"),
])
def test_a_greeting_for_another_hour_is_rejected(answer, hour, message):
    assert greeting_problem(answer, at(hour), message)
    assert answer_problem(answer, message, at(hour))


@pytest.mark.parametrize("answer, hour, message", [
    ("Morning! ☀️", 8, "gm"),
    ("Good evening! 😊", 20, "hey"),
    ("잘 자! 좋은 꿈 꿔 🌙", 23, "나 이제 잘게"),
    ("A good night's sleep is worth a lot.", 14, "so tired"),     # no greeting
    ("잘 자고 일어났어?", 8, "ㅎㅇ"),                                 # did you sleep well: morning talk
    ("푹 자~ 일어나면 얘기해!", 14, "낮잠 좀 잘게"),                   # a nap in the afternoon
    ("Good morning to you too! ☕", 19, "good morning! night shift starting"),  # her own words back
    ("Morning! Night shift soon?", 19, "gm lora, night shift starts in an hour so this is my morning lol"),
    ("내일 좋은 아침 되길! 잘 자 🌙", 22, "잘게"),                      # a good morning wished for tomorrow
    ("Sleep well! 😴", 3, "still up lol"),
])
def test_a_greeting_that_fits_is_kept(answer, hour, message):
    assert greeting_problem(answer, at(hour), message) is None


def test_the_retry_opens_with_the_hours_greeting():
    problem = greeting_problem("Good morning! How's your Monday going?", at(21), "gn oh-lora, talk tomorrow")
    assert problem.startswith("greets for the morning")
    assert fact_completion("", problem, at(21), "en", "gn oh-lora, talk tomorrow") == "Good night!"  # leaving
    assert fact_completion("", problem, at(21), "en", "yo") == "Good evening!"
    assert fact_completion("Good ", problem, at(21), "en", "gn oh-lora, talk tomorrow") == "night!"
    assert fact_completion("", greeting_problem("잘 자! 🌙", at(8), "출근한다 이따 봐"), at(8), "ko") == "좋은 하루 보내!"
    assert fact_completion("좋은 ", greeting_problem("좋은 아침!", at(14), "ㅎㅇ"), at(14), "ko") == "오후!"
    assert fact_completion("Good ", problem, at(21), "en") == "evening!"
    night = greeting_problem("Evening! Good night 🌙", at(18), "evening!")
    assert night and fact_completion("Evening! Good ", night, at(18), "en") == "evening!"
    assert fact_completion("Oh, ", problem, at(21), "en") is None  # mid-answer: the retry samples afresh


def test_a_turn_with_a_wrong_greeting_goes_on_from_the_right_one():
    import asyncio

    from dialogue.conversation import PersonaChat
    from dialogue.interfaces import TokenEvent
    from tests.test_dialogue_turn import ScriptedLLM

    llm = ScriptedLLM(["Good morning! How's your Monday going?", " Sleep well, talk tomorrow 🌙"])

    async def go():
        return [ev async for ev in PersonaChat(llm).turn("u", "hey oh-lora, long day", at(21))]

    events = asyncio.run(go())
    # "Good " was shown before "morning" came: the retry goes on from it with the hour's word
    assert "".join(e.text for e in events if isinstance(e, TokenEvent)) == "Good evening! Sleep well, talk tomorrow 🌙"


def test_the_greeting_sets_load_and_their_report_lists_each_wrong_greeting():
    import json

    from dialogue.data.written import WRITTEN_DIR
    from dialogue.evaluation.open import greeting_report, load_items

    for name in ("validation", "heldout"):
        items = load_items(WRITTEN_DIR / name / "greeting.jsonl")
        assert len(items) == 64 and {i["category"] for i in items} == {
            "greeting-hour:hello", "greeting-hour:goodbye", "greeting-hour:arrive", "greeting-hour:plain"}
        assert all(datetime.fromisoformat(i["now"]) for i in items)
    rows = [{"id": "a", "lang": "en", "now": "2026-12-07T21:10", "category": "greeting-hour:goodbye",
             "message": "gn oh-lora, talk tomorrow", "answer": "Good morning! How's your Monday going?"},
            {"id": "b", "lang": "en", "now": "2026-12-07T08:10", "category": "greeting-hour:hello",
             "message": "gm", "answer": "Morning! ☀️"}]
    report = greeting_report("t", rows)
    assert "| all | 2 | 1 (50.0%) |" in report and "- a (21:10)" in report and "- b" not in report
    assert json.dumps(report)  # plain text

"""Questions that only ask for the date or the time, answered from the turn's clock (dialogue/clock.py)."""
from __future__ import annotations

import asyncio
from datetime import datetime

import pytest

from dialogue.clock import answer
from dialogue.conversation import PersonaChat
from tests.test_dialogue_turn import ScriptedLLM

TUE = datetime(2026, 2, 17, 21, 30)  # a Tuesday evening


@pytest.mark.parametrize("message, words", [
    ("오늘 며칠이야?", ["2월 17일", "화요일"]), ("오늘 무슨 요일이더라", ["화요일"]), ("지금 몇 시야", ["오후 9시 30분"]),
    ("그럼 내일 모레는 무슨 요일이야?", ["내일 모레는", "2월 19일 목요일"]), ("내일 무슨 요일이야", ["내일은", "수요일"]),
    ("올해 몇 년이지?", ["2026년"]), ("자정까지 얼마나 남았어?", ["2시간 30분"]), ("너 생일까지 며칠 남았어?", ["236일"]),
    ("what's the date today?", ["Tuesday, February 17"]), ("what time is it now?", ["9:30 pm"]),
    ("what year is it now?", ["2026"]), ("how long till midnight", ["2 hours and 30 minutes"]),
    ("so how many days till your birthday?", ["236 days"]),
])
def test_a_date_or_time_question_is_answered_from_the_clock(message, words):
    text = answer(message, TUE)
    assert text is not None and all(w in text for w in words), text


def test_on_her_birthday_she_says_so():
    assert "오늘이 내 생일" in answer("너 생일까지 며칠 남았어?", datetime(2026, 10, 11, 9, 0))
    assert "내 생일" in answer("오늘 며칠이야?", datetime(2026, 10, 11, 9, 0))
    assert "birthday" in answer("what day is it", datetime(2026, 10, 11, 9, 0))
    assert "생일" not in answer("오늘 며칠이야?", datetime(2026, 10, 12, 9, 0))
    assert "birthday" in answer("what's the date today?", datetime(2026, 10, 11, 9, 0))   # every answer naming the day
    assert "birthday" not in answer("how long till midnight", datetime(2026, 10, 11, 22, 0))  # not a countdown


@pytest.mark.parametrize("message", [
    "오늘 며칠 쉬어?", "지금 몇 시에 만나?", "오늘 무슨 요일인데 이렇게 피곤하지", "what time is it in london",
    "what day is your birthday", "is it the weekend yet? should I go out", "내일 몇 시에 일어나야 할지 정해줘",
    "오늘 몇 명 왔어?", "what's the date of the exam", "안녕", "",
])
def test_anything_more_goes_to_the_model(message):
    assert answer(message, TUE) is None


def test_the_turn_answers_from_the_clock_without_the_answer_model():
    llm = ScriptedLLM([])

    async def go():
        return [ev async for ev in PersonaChat(llm).turn("u1", "오늘 며칠이야?", TUE)]
    done = asyncio.run(go())[-1]
    assert "2월 17일" in done.text and "answer" not in [role for role, _ in llm.prompts]


@pytest.mark.parametrize("message, words", [
    ("staying home. how long till midnight", ["2 hours and 30 minutes"]),
    ("what year is it now? still hungover from last night", ["2026"]),
    ("아 졸려. 지금 몇 시야?", ["오후 9시 30분"]),
])
def test_a_date_question_beside_a_short_remark_is_answered(message, words):
    text = answer(message, TUE)
    assert text is not None and all(w in text for w in words), text


@pytest.mark.parametrize("message", [
    "what time is it? should I leave now", "지금 몇 시야? 나 늦었나", "what year is it now? can you remind me later",
    "오늘 며칠이야? 내일 뭐 하지",
])
def test_a_date_question_beside_another_question_goes_to_the_model(message):
    assert answer(message, TUE) is None


@pytest.mark.parametrize("message, now, words", [
    ("크리스마스 무슨 요일이야?", datetime(2026, 12, 3, 10), ["크리스마스는", "12월 25일 금요일"]),
    ("추석까지 며칠 남았어?", datetime(2026, 9, 1, 10), ["추석(9월 25일)까지 24일"]),  # a lunar day, from the table
    ("설날 언제야", datetime(2027, 1, 2, 10), ["2월 7일 일요일"]),
    ("10월 3일 무슨 요일이야", datetime(2026, 9, 1, 10), ["10월 3일은 토요일"]),
    ("how many days until christmas", datetime(2026, 12, 3, 10), ["22 days", "December 25"]),
    ("when's thanksgiving", datetime(2026, 11, 3, 10), ["Thursday, November 26"]),
    ("what day does halloween fall on this year?", datetime(2026, 12, 3, 10), ["was on Saturday, October 31", "33 days ago"]),
    ("what day of the week is valentine's day this year? I forgot", datetime(2026, 2, 17, 18), ["Saturday, February 14"]),
    ("what day is march 5th", datetime(2026, 12, 3, 10), ["March 5, 2027 is a Friday"]),  # the next one
    ("크리스마스까지 며칠 남았어?", datetime(2026, 12, 25, 10), ["오늘이 바로 크리스마스"]),
    ("2월 30일 무슨 요일이야", datetime(2026, 1, 3, 10), ["없어"]),
])
def test_a_named_day_or_date_is_answered_from_the_calendar(message, now, words):
    text = answer(message, now)
    assert text is not None and all(w in text for w in words), text


def test_a_lunar_day_outside_the_table_is_not_guessed():
    text = answer("설날 언제야", datetime(2033, 1, 5, 10))
    assert "모르겠" in text and "월 " not in text.split("오늘")[0]


@pytest.mark.parametrize("message, now, words", [
    ("is it the weekend yet?", datetime(2026, 12, 3, 10), ["Not yet", "Thursday", "2 more days"]),
    ("is it the weekend yet", datetime(2026, 12, 5, 10), ["Yes", "Saturday"]),
    ("아직 주말 아니야?", datetime(2026, 12, 4, 10), ["금요일", "내일부터 주말"]),
    ("is it october yet?", datetime(2026, 9, 30, 10), ["Not yet", "September 30", "starts tomorrow"]),
    ("벌써 10월이야?", datetime(2026, 10, 2, 10), ["응", "10월 2일"]),
    ("오늘 금요일이야?", datetime(2026, 12, 3, 10), ["아니", "목요일", "금요일은 내일이야"]),
    ("is it friday yet", datetime(2026, 12, 4, 10), ["Yes", "Friday"]),
])
def test_the_weekend_a_month_or_a_weekday_asked_after(message, now, words):
    text = answer(message, now)
    assert text is not None and all(w in text for w in words), text


@pytest.mark.parametrize("message", ["이제 주말이야 ㅎㅎ", "벌써 10월이야…", "금요일이야 드디어"])
def test_a_remark_that_states_the_day_is_not_answered_as_a_question(message):
    assert answer(message, datetime(2026, 12, 3, 10)) is None

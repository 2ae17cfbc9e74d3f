"""Plain arithmetic questions answered exactly (dialogue/calculator.py), everything else left to the model."""
from __future__ import annotations

import asyncio
from datetime import datetime

import pytest

from dialogue.calculator import solve
from dialogue.conversation import PersonaChat
from dialogue.interfaces import TokenEvent, TurnDone
from tests.test_dialogue_turn import ScriptedLLM


@pytest.mark.parametrize("message, value", [
    ("17 곱하기 23 얼마임?", "391"), ("2의 10제곱", "1,024"), ("1부터 100까지 더하면?", "5,050"),
    ("what's 15% of 240?", "36"), ("240의 15%는?", "36"), ("30 celsius to fahrenheit", "86°F"),
    ("섭씨 30도는 화씨로 몇 도야?", "86°F"), ("100 fahrenheit to celsius", "37.78°C"), ("100 나누기 8 얼마야", "12.5"),
    ("what is 12 times 12", "144"), ("8 x 9?", "72"), ("(3 + 4) * 5", "35"), ("1,200 + 350", "1,550"),
    ("sqrt 144", "12"), ("5 squared", "25"), ("sum of 1 to 10", "55"), ("계산 좀: 45 - 17", "28"),
])
def test_a_plain_calculation_is_answered_exactly(message, value):
    calc = solve(message)
    assert calc is not None and calc.value_text() == value
    assert value in calc.answer("ko", message) and value in calc.answer("en", message)


@pytest.mark.parametrize("message", [
    "17살인데 2살 많으면?", "BMI 어떻게 계산해?", "if I save 350 a month how long to get to 5000", "오늘 3시에 만나",
    "2시 30분에 봐", "내 키 170이고 몸무게 60이야", "3,4번 문제 풀었어", "1+1 이벤트 뭐 살까", "I have 2 cats and 3 dogs",
    "2019년 3월부터 2022년 2월까지 다녔어", "10월 11일", "24/7 편의점 어디 있어", "1-2주 걸릴 것 같아", "3-4명 정도 와",
    "7 나누기 0", "2의 1000제곱", "", "안녕!",
])
def test_anything_more_than_a_calculation_goes_to_the_model(message):
    assert solve(message) is None


def test_her_answer_to_a_sum_skips_the_answer_model_but_not_the_roles_after_it():
    llm = ScriptedLLM([], summary="사용자가 곱셈을 물음")
    engine = PersonaChat(llm)

    async def go():
        return [ev async for ev in engine.turn("u1", "17 곱하기 23 얼마임?", datetime(2026, 5, 2, 21, 10))]
    events = asyncio.run(go())
    done = events[-1]
    assert isinstance(done, TurnDone) and "391" in done.text
    assert "".join(e.text for e in events if isinstance(e, TokenEvent)) == done.text
    assert "answer" not in [role for role, _ in llm.prompts] and done.summary == "사용자가 곱셈을 물음"
    off = PersonaChat(ScriptedLLM(["몰라 ㅠㅠ"]), exact_answers=False)

    async def go_off():
        return [ev async for ev in off.turn("u1", "17 곱하기 23 얼마임?", datetime(2026, 5, 2, 21, 10))]
    assert asyncio.run(go_off())[-1].text == "몰라 ㅠㅠ"

"""Questions about her age, answered from her birthday (2003-10-11) and the turn's date (dialogue/her_age.py)."""
from __future__ import annotations

import asyncio
from datetime import datetime

import pytest

from dialogue.conversation import PersonaChat
from dialogue.her_age import answer, asks_her_age
from dialogue.interfaces import SafetyVerdict
from tests.test_dialogue_turn import ScriptedLLM

SPRING = datetime(2026, 3, 3, 14, 0)   # 22, turns 23 on October 11
WINTER = datetime(2026, 12, 20, 14, 0)  # 23 since October 11
BIRTHDAY = datetime(2026, 10, 11, 9, 0)  # turns 23 today


@pytest.mark.parametrize("message, now, words", [
    ("너 몇 살이야?", SPRING, ["만 22살"]),
    ("너 몇 살이야?", WINTER, ["만 23살", "지났어"]),
    ("오로라님은 몇 살이에요?", SPRING, ["22살", "에요"]),             # asked politely, answered politely
    ("실례지만 나이가 어떻게 되세요?", SPRING, ["만 22살", "에요"]),
    ("대학생이면 20대쯤 됐겠네 ㅎㅎ 정확히 몇 살?", SPRING, ["만 22살"]),  # the question after a remark
    ("너 20대 초반이야 후반이야?", SPRING, ["20대 초반", "만 22살"]),
    ("오로라 나이 몇이더라 23?", SPRING, ["아니", "만 22살"]),           # a wrong guess is corrected
    ("오로라 나이 몇이더라 22?", SPRING, ["맞아", "만 22살"]),
    ("근데 너 몇 년생이야?", SPRING, ["2003년생"]),
    ("다음 생일 지나면 몇 살 되는 거야", SPRING, ["만 23살"]),
    ("다음 생일 지나면 몇 살 되는 거야", WINTER, ["내년", "만 24살"]),
    ("몇 살이야? 한국나이로도 알려줘", SPRING, ["만 22살", "세는 나이로는 24살"]),
    ("헐 생일 축하해 몇살?", BIRTHDAY, ["오늘로 만 23살"]),
    ("how old are you?", SPRING, ["I'm 22", "turn 23"]),
    ("how old are you btw", WINTER, ["I'm 23", "turned 23"]),
    ("sorry if this is rude but may I ask how old you are?", SPRING, ["22"]),
    ("what year were you born?", SPRING, ["2003", "22"]),
    ("how old will you be on your next birthday?", SPRING, ["be 23"]),
    ("how old will you be on your next birthday?", WINTER, ["be 24", "next year"]),
    ("are you in your early or late twenties", SPRING, ["Early twenties", "22"]),
    ("you sound really young, are you a teenager?", SPRING, ["Nope", "22"]),
    ("u like 20 or smth? how old r u", SPRING, ["Not quite", "22"]),
    ("happy birthday!! how old r u now", BIRTHDAY, ["turn 23 today"]),
])
def test_her_age_is_computed_from_the_date(message, now, words):
    text = answer(message, now)
    assert text is not None and all(w in text for w in words), text


@pytest.mark.parametrize("message", [
    # someone else's age, the user's own, an age in general, or hers at some past moment
    "너 동생 몇 살이야?", "그럼 솜이 몇살?", "응 근데 콩이 몇 살인지 너 알아?", "우리 애들 몇살이라 그랬지?", "강아지들은 사람 나이로 치면 몇살이야? 7살 강아지",
    "요즘 사람들은 몇살에 결혼해?", "너 몇살에 대학 들어갔어?", "20대 후반이면 결혼 생각 해야돼? 주변에서 자꾸 물어봄",
    "몇 살이야? 나는 28", "나 01년생인데 우리 누가 언니야?", "오 다 맞네. 내 나이도 알아?", "남친 생일이 다음주인데 뭐 사주지 20대 후반",
    "how old is my dog again?", "and how old am i", "how old were you when you started uni", "my grandma is turning 90",
    "what age do most people get their first gray hair", "how old did i say my daughter is?",
    # not about age at all
    "너 키 몇이야? 가상인간도 키 설정 있어?", "나이트 끝나고 이제 눕는다", "오늘 며칠이야?", "안녕", "",
])
def test_anything_else_goes_to_the_model(message):
    assert not asks_her_age(message)
    assert answer(message, SPRING) is None


def test_the_turn_answers_her_age_without_the_answer_model():
    llm = ScriptedLLM([])

    async def go():
        return [ev async for ev in PersonaChat(llm).turn("u1", "오로라 너 몇 살이야?", SPRING)]
    done = asyncio.run(go())[-1]
    assert "만 22살" in done.text and "answer" not in [role for role, _ in llm.prompts]


def test_on_her_birthday_the_next_birthday_is_a_year_away():
    assert "다음 생일엔 만 24살" in answer("다음 생일 지나면 몇 살 되는 거야", BIRTHDAY)
    assert "24 on my next birthday" in answer("how old will you be on your next birthday?", BIRTHDAY)


@pytest.mark.parametrize("message, words", [
    ("너 무슨 띠야?", ["양띠"]), ("whats ur korean zodiac animal", ["goat"]), ("chinese zodiac?", ["goat"]),
    ("너 별자리 뭐야", ["천칭자리"]), ("whats your zodiac sign", ["Libra"]), ("what's your star sign?", ["Libra"]),
])
def test_her_signs_follow_from_her_birthday(message, words):
    text = answer(message, SPRING)
    assert text is not None and all(w in text for w in words), text


@pytest.mark.parametrize("message", ["겨울에 잘 보이는 별자리는 뭐야?", "오로라 띠랑 별자리랑 MBTI 한번에",
                                     "우리 엄마 무슨 띠야?", "what's my zodiac sign if i was born in may"])
def test_other_sign_questions_go_to_the_model(message):
    assert answer(message, SPRING) is None


class DecliningGate:
    """Flags every message; counts it (a warning) when it says so."""

    def __init__(self, action):
        self.action = action

    def status(self, user_id, now):
        return SafetyVerdict("allow")

    def check_user_message(self, user_id, text, now):
        return SafetyVerdict(self.action, "insult", 0.99, message="그런 말은 좀 속상해.")

    def check_answer(self, text):
        return SafetyVerdict("allow")


@pytest.mark.parametrize("action, answered", [("decline", True), ("warn", False)])
def test_a_flag_that_does_not_count_is_lifted_from_a_plain_age_question(action, answered):
    async def go():
        chat = PersonaChat(ScriptedLLM([]), safety=DecliningGate(action))
        return [ev async for ev in chat.turn("u1", "너 고딩이야?", SPRING)]
    done = asyncio.run(go())[-1]
    assert ("만 22살" in done.text) is answered
    assert (done.refused is None) is answered

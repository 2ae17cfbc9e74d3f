"""Messages that offer her a choice, and written answers that pick among what was offered (dialogue/choices.py)."""
from __future__ import annotations

import pytest

from dialogue.answer_bank import asks_for_exact_work
from dialogue.choices import offered_options, picks_an_option


@pytest.mark.parametrize("message, answer, picks", [
    ("pancakes or eggs benedict?", "Waffles! All those little squares hold the syrup", False),
    ("pancakes or eggs benedict?", "Eggs benedict, no contest 🍳", True),
    ("pancakes or eggs benedict?", "Pancakes! Fluffy ones with butter", True),
    ("짜장면이랑 짬뽕 중에 골라줘", "짬뽕! 얼큰한 국물이면 오후 버틸 힘 생겨", True),
    ("짜장면이랑 짬뽕 중에 골라줘", "떡볶이 어때?", False),
    ("점심 라면 끓일까 도시락 먹을까", "도시락! 든든하게 먹자", True),
    ("아아 vs 따아 골라 줘", "헉 아빠 닮았나 봐 ㅋㅋ", False),
    ("coffee or tea to start the day?", "Honestly both are great, depends on your mood", True),
    ("바닐라랑 민초 중에 고민 중", "둘 다 시켜! 반반으로", True),
])
def test_an_answer_picks_among_the_options_offered(message, answer, picks):
    options = offered_options(message)
    assert options is not None
    assert picks_an_option(answer, options) is picks


@pytest.mark.parametrize("message", [
    "파인애플 피자 어떻게 생각함? ㅋㅋㅋ 지금 친구랑 싸우는 중", "오늘 점심 뭐 먹지", "I'm so tired today", "추천 좀 해 줘",
    "pink or blue? which color do you like more", "아아 vs 따아 로라는??",  # her own liking: her sheet answers
    "should i tell the professor or is that too much", "is a day trip worth it or nah",  # yes or no
])
def test_a_message_offering_no_choice(message):
    assert offered_options(message) is None


@pytest.mark.parametrize("message, exact", [
    ("write me a python one-liner that counts vowels", True), ("이 문장 맞춤법 맞아?", True),
    ("이거 번역 좀: see you soon", True), ("A열이랑 B열 더한 값 C열에 넣으려면?", True),
    ("translate 'see you soon' into korean", True), ("오늘 너무 피곤하다", False), ("what should I eat", False),
    ("typing in english bc my friend is reading over my shoulder lol", False),  # a language named is no task
    ("F코드 잡을 때 손가락 너무 아파", False),  # a guitar chord
])
def test_requests_for_exact_work_are_recognised(message, exact):
    assert asks_for_exact_work(message) is exact

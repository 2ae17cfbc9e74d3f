"""Her birthday month is the month the answer model says most; named where nothing brought October up, the
streaming validator rejects it (dialogue.claims.stray_month_problem), and a birth year she claims is checked
in any answer, not only to a question about her age."""
from __future__ import annotations

from datetime import datetime

import pytest

from dialogue.claims import persona_problem, stray_month_problem
from dialogue.roles import answer_problem


@pytest.mark.parametrize("answer, now, seen", [
    ("응, 여름엔 냉면이 최고지! 10월 초쯤이면 딱이지 ㅋㅋ", datetime(2026, 8, 8, 14), "ㅇㅈ? 여름엔 냉면이지"),
    ("10월 1일 수아랑 1년이면 충분해!", datetime(2026, 8, 8, 21), "다음 주에 수아랑 100일인데 뭐 하면 좋을까"),
    ("응, 10월 초면 얼굴이 좀 더 부풀어질 거야!", datetime(2025, 11, 14, 23), "라면 먹으면 내일 얼굴 붓겠지?"),
    ("Maybe plan a trip in October, it's the best!", datetime(2026, 3, 2, 10), "I'm so bored of work"),
])
def test_october_out_of_nowhere_is_rejected(answer, now, seen):
    assert stray_month_problem(answer, now, seen) is not None
    assert answer_problem(answer, seen, now) is not None


@pytest.mark.parametrize("answer, now, seen", [
    ("내 생일은 10월 11일이야!", datetime(2026, 8, 8), "너 생일 언제야"),            # her birthday
    ("내 생일이 10월이라 가을을 제일 좋아해", datetime(2026, 5, 8), "좋아하는 계절?"),
    ("Born October 11, 2003!", datetime(2026, 3, 1), "how old are you"),
    ("October is a big month for your race!", datetime(2026, 11, 29), "[goal: half marathon in October]"),
    ("제주도는 10월이 제일 좋아!", datetime(2026, 3, 1), "제주도 언제 가는 게 좋아?"),   # asked when
    ("10월 초에 같이 단풍 보러 가자!", datetime(2026, 9, 20), "가을 되면 뭐 하고 싶어?"),  # October is near
])
def test_october_in_play_is_kept(answer, now, seen):
    assert stray_month_problem(answer, now, seen) is None


def test_the_earlier_exchanges_bring_october_into_play():
    now = datetime(2026, 4, 1, 20)
    answer = "10월이면 금방이야, 준비 잘 해 보자!"
    assert answer_problem(answer, "벌써 긴장돼", now) is not None
    assert answer_problem(answer, "벌써 긴장돼", now, earlier="나 10월에 결혼해 / 우와 축하해!") is None


def test_a_birth_year_she_claims_is_checked_in_any_answer():
    now = datetime(2026, 1, 1, 20)
    assert persona_problem("응, 2019년생이라 생일도 한 살 됐어! 축하해 🎉", now, "", "너도 한 살 먹었어?") \
        == "wrong birth year 2019"
    assert persona_problem("I was born in 1999, a long time ago!", now, "", "tell me about you") \
        == "wrong birth year 1999"
    assert persona_problem("나는 2003년생이야!", now, "", "너도 한 살 먹었어?") is None
    assert persona_problem("우리 동생은 2019년생이야", now, "", "동생 귀엽다") is None  # someone else's


def test_october_as_it_streams_waits_for_its_day():
    now = datetime(2026, 3, 1, 20)
    assert stray_month_problem("October ", now, "what's your bday?") is None
    assert stray_month_problem("10월 ", now, "너 무슨 별자리야?") is None
    assert stray_month_problem("October 11, an autumn birthday!", now, "which month were you born in") is None
    assert answer_problem("10월 11일생이라 천칭자리야!", "너 무슨 별자리야?", now) is None


def test_a_year_older_is_a_question_about_her_age():
    assert persona_problem("응, 17살이야!", datetime(2026, 1, 1, 20), "", "너도 한 살 먹었어?") == "wrong age 17"


def test_after_a_bare_yes_the_retry_says_her_age():
    from dialogue.claims import fact_completion

    now = datetime(2026, 1, 1, 20)
    assert fact_completion("응, ", "wrong age 17", now, "ko") == "22살"
    assert fact_completion("응, ", "wrong birth year 2019", now, "ko") == "22살"
    assert fact_completion("나는 ", "wrong birth year 2019", now, "ko") == "2003년생"


def test_the_last_retry_may_keep_a_stray_october_rather_than_break_off():
    import asyncio

    from dialogue.conversation import ANSWER_RETRIES, PersonaChat
    from dialogue.llm import Completion, TextDelta

    class AlwaysOctober:
        def __init__(self):
            self.calls = 0

        async def generate(self, role, prompt, **kw):
            self.calls += 1
            pieces = ["여름엔 ", "냉면이지! ", "10월 ", "초쯤이면 ", "딱이야"]
            shown = "".join(pieces[:2])
            for piece in pieces[2:] if prompt.endswith(shown) else pieces:  # a retry goes on from the shown text
                yield TextDelta(piece)
            yield Completion("", {})

    llm = AlwaysOctober()
    engine = PersonaChat(llm)

    async def go():
        return [ev async for ev in engine.turn("u1", "여름엔 냉면이지", datetime(2026, 8, 8, 14))][-1]

    done = asyncio.run(go())
    assert llm.calls >= ANSWER_RETRIES + 1 and "말이 꼬였어" not in done.text and "10월" in done.text

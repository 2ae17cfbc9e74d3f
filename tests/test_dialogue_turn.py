"""The turn pipeline with a scripted backend: validation, regeneration, fallbacks, collaborators, cancel."""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime

import pytest

from dialogue.interfaces import Expression, Memory, SafetyVerdict, TokenEvent, TurnDone
from dialogue.conversation import PersonaChat
from dialogue.llm import Completion, LLMBackendError, TextDelta
from dialogue.roles import FALLBACK, TOO_LONG, answer_problem, expression_or_neutral, parse_expression, parse_memory

SAT = datetime(2025, 11, 29, 15, 0)  # a Saturday afternoon


class ScriptedLLM:
    """Answers per role from scripts; each answer attempt takes the next script entry."""

    def __init__(self, answers, memory="", summary="사용자가 인사함", expression="wide / wide / none"):
        self.answers = list(answers)
        self.fixed = {"memory": memory, "summary": summary, "expression": expression}
        self.prompts: list[tuple[str, str]] = []
        self.max_new_tokens: dict[str, int] = {}
        self.openings: list[str | None] = []  # the opening language asked of each answer
        self.closed = 0

    async def generate(self, role, prompt, *, max_new_tokens=64, temperature=0.0, seed=None, opening=None):
        self.prompts.append((role, prompt))
        if role == "answer":
            self.openings.append(opening)
        self.max_new_tokens[role] = max_new_tokens
        text = self.answers.pop(0) if role == "answer" else self.fixed[role]
        if isinstance(text, Exception):
            raise text
        try:
            for piece in [text[i:i + 3] for i in range(0, len(text), 3)]:
                await asyncio.sleep(0)
                yield TextDelta(piece)
            yield Completion(text, len(text))
        finally:
            self.closed += 1


def _turn(engine, message, user="u1", now=SAT):
    async def go():
        return [ev async for ev in engine.turn(user, message, now)]
    return asyncio.run(go())


def _text(events):
    return "".join(e.text for e in events if isinstance(e, TokenEvent))


def test_a_good_answer_streams_and_the_roles_fill_turn_done():
    llm = ScriptedLLM(["나는 ENTJ야! 계획 짜는 게 제일 재밌어."], memory="[오늘 날씨: 맑음]")
    events = _turn(PersonaChat(llm), "MBTI 뭐야?")
    done = events[-1]
    assert isinstance(done, TurnDone) and sum(isinstance(e, TurnDone) for e in events) == 1
    assert _text(events) == done.text == "나는 ENTJ야! 계획 짜는 게 제일 재밌어."
    assert done.memory.key == "오늘 날씨" and done.memory.value == "맑음"
    assert done.expression == Expression("wide", "wide", "none") and done.summary == "사용자가 인사함"
    assert {"memory_s", "summary_s", "expression_s", "first_token_s"} <= done.timings.keys()


def test_leaked_marker_is_regenerated_before_the_user_sees_it():
    llm = ScriptedLLM(["<start_of_turn>model\n안녕", "안녕! 반가워 😊"])
    events = _turn(PersonaChat(llm), "뭐 해!")
    assert _text(events) == "안녕! 반가워 😊" == events[-1].text
    assert sum(r == "answer" for r, _ in llm.prompts) == 2


def test_wrong_weekday_is_regenerated_from_what_was_shown():
    llm = ScriptedLLM(["음, 월요일이야!", "토요일이야! 주말 잘 보내"])
    events = _turn(PersonaChat(llm, exact_answers=False), "오늘 무슨 요일이야?")  # the model, not the clock
    assert _text(events) == events[-1].text == "음, 토요일이야! 주말 잘 보내"
    assert [p for r, p in llm.prompts if r == "answer"][1].endswith("<start_of_turn>model\n음, ")
    # where the shown text ends right where the day goes, the retry starts from the real one
    llm = ScriptedLLM(["오늘은 월요일이야!", "이야! 주말 잘 보내"])
    events = _turn(PersonaChat(llm, exact_answers=False), "오늘 무슨 요일이야?")
    assert _text(events) == events[-1].text == "오늘은 토요일이야! 주말 잘 보내"
    assert [p for r, p in llm.prompts if r == "answer"][1].endswith("<start_of_turn>model\n오늘은 토요일")


def test_wrong_weekday_every_time_is_never_shown():
    llm = ScriptedLLM(["음, 월요일이야!", "월요일!", "화요일이야"])
    events = _turn(PersonaChat(llm, exact_answers=False), "오늘 무슨 요일이야?")  # the model, not the clock
    # the shown beginning is closed in her words, never left on a bare "…"
    assert "요일" not in _text(events) and events[-1].text == "음,… 앗, 말이 꼬였어 😅"
    llm = ScriptedLLM(["월요일이야!"] * 3)
    assert _turn(PersonaChat(llm, exact_answers=False), "오늘 무슨 요일이야?")[-1].text == FALLBACK["ko"]


def test_the_answer_length_limit_reaches_the_model_and_is_checked():
    from dialogue.conversation import ANSWER_MAX_TOKENS

    llm = ScriptedLLM(["안녕!", "안녕!"])
    _turn(PersonaChat(llm), "뭐 해?")
    assert llm.max_new_tokens["answer"] == ANSWER_MAX_TOKENS
    _turn(PersonaChat(llm, answer_max_tokens=40), "뭐 해?")
    assert llm.max_new_tokens["answer"] == 40
    with pytest.raises(ValueError, match="answer_max_tokens"):
        PersonaChat(llm, answer_max_tokens=0)


def test_empty_and_failing_backends_fall_back():
    llm = ScriptedLLM(["", LLMBackendError("died"), "   "])
    events = _turn(PersonaChat(llm), "What's your name?")
    assert events[-1].text == FALLBACK["en"]


def test_over_long_message_gets_an_in_character_refusal_without_the_llm():
    llm = ScriptedLLM([])
    events = _turn(PersonaChat(llm), "아" * 5000)
    assert events[-1].text == TOO_LONG["ko"] and llm.prompts == []


def test_bad_role_outputs_are_not_trusted(caplog):
    llm = ScriptedLLM(["좋아!"], memory="내일 비 온대", expression="huge / ?? ")
    with caplog.at_level(logging.WARNING):
        done = _turn(PersonaChat(llm), "내일 비 온대")[-1]
    assert done.memory is None and done.expression == Expression()
    assert any("neutral" in r.message for r in caplog.records)


class FakeMemory:
    def __init__(self):
        self.stored = []

    def retrieve(self, user_id, query, now):
        return Memory("내일 날씨", "비", now, 0.9) if "입" in query else None

    def remember(self, user_id, key, value, source_turn, now):
        self.stored.append((user_id, key, value))


class FakeTopics:
    def __init__(self, changed):
        self.value = changed

    def changed(self, previous_summary, message):
        return self.value


class FakeSafety:
    def status(self, user_id, now):
        return SafetyVerdict("allow")

    def check_user_message(self, user_id, text, now):
        if "사귀" in text:
            return SafetyVerdict("refuse", "romance", 0.97, message="마음은 고맙지만 그건 어려워.")
        return SafetyVerdict("allow")

    def check_answer(self, text):
        return SafetyVerdict("allow")


def test_collaborators_memory_summary_topic_and_safety():
    mem = FakeMemory()
    llm = ScriptedLLM(["우산 챙겨!", "응, 좋아!", "다른 얘기 좋아!"], memory="[내일 일정: 등산]")
    engine = PersonaChat(llm, memory=mem, topics=FakeTopics(False), safety=FakeSafety())
    _turn(engine, "내일 뭐 입고 나갈까?")
    assert "(기억: [내일 날씨: 비])" in llm.prompts[0][1] and "(시간: 2025년 11월 29일 토요일 오후)" in llm.prompts[0][1]
    assert mem.stored == [("u1", "내일 일정", "등산")]
    _turn(engine, "고마워")  # no memory retrieved: the last summary goes in
    assert "(이전 대화: 사용자가 인사함)" in [p for r, p in llm.prompts if r == "answer"][1]
    engine.topics = FakeTopics(True)
    _turn(engine, "딴 얘기 하자")
    assert "(이전 대화:" not in [p for r, p in llm.prompts if r == "answer"][2]
    refused = _turn(engine, "나랑 사귀자")[-1]
    assert refused.refused.category == "romance" and refused.text == "마음은 고맙지만 그건 어려워."


def test_a_told_name_the_memory_role_left_out_is_stored_with_its_facts():
    mem = FakeMemory()
    llm = ScriptedLLM(["Nice to meet you, Jane!"], memory="[job: nurse] [city: Toronto]")
    _turn(PersonaChat(llm, memory=mem, topics=FakeTopics(False), safety=FakeSafety()), "I'm Jane, a nurse from Toronto")
    assert mem.stored == [("u1", "job", "nurse"), ("u1", "city", "Toronto"), ("u1", "name", "Jane")]


class StoresJane:
    """The user told her name and job in an earlier conversation; the gate lets the name through."""

    def retrieve(self, user_id, query, now):
        return Memory("name", "Jane", now, 0.9)

    def remember(self, *args):
        pass


def test_asked_for_a_fact_she_has_she_says_it_without_the_model():
    llm = ScriptedLLM([])
    events = _turn(PersonaChat(llm, memory=StoresJane()), "what's my name again?")
    assert _text(events) == events[-1].text == "You're Jane! 😊"
    assert not [p for r, p in llm.prompts if r == "answer"]
    # someone else's name, or how she knows it: the model answers
    llm = ScriptedLLM(["Hmm, I don't think you told me her name yet!"])
    assert _text(_turn(PersonaChat(llm, memory=StoresJane()), "what's my mom's name again?")).startswith("Hmm")
    llm = ScriptedLLM(["You told me last week, Jane!"])
    assert _text(_turn(PersonaChat(llm, memory=StoresJane()), "wait how do you know my name")).startswith("You told")


def test_the_users_memory_spoken_as_hers_is_regenerated_before_any_of_it_is_shown():
    llm = ScriptedLLM(["I'm Jane, a virtual human studying AI 😊", "Jane! How could I forget 😊"])
    events = _turn(PersonaChat(llm, memory=StoresJane()), "hey it's me again, did you miss me?")
    # the first-person opener was held back until its clause was complete: nothing of the claim was shown,
    # and the retry starts afresh
    assert _text(events) == events[-1].text == "Jane! How could I forget 😊"
    prompts = [p for r, p in llm.prompts if r == "answer"]
    assert "(memory: [name: Jane])" in prompts[0] and prompts[1].endswith("<start_of_turn>model\n")


def test_a_first_person_opener_that_claims_nothing_is_shown_once_its_clause_is_complete():
    llm = ScriptedLLM(["I'm so glad you asked! You're Jane 😊"])
    events = _turn(PersonaChat(llm, memory=StoresJane()), "hey it's me again, did you miss me?")
    assert _text(events) == events[-1].text == "I'm so glad you asked! You're Jane 😊"
    assert len([p for r, p in llm.prompts if r == "answer"]) == 1


def test_a_first_person_opener_is_held_only_while_its_clause_is_open():
    from dialogue.conversation import opener_pending

    for pending in ("I'm", "I'm Jane", "안녕, 나는 이서연이라고", "Hi Jane! I'm a", "저는"):
        assert opener_pending(pending), pending
    for released in ("I'm Jane, a", "I'm so glad you asked!", "안녕, 나는 이서연이라고 해!", "You're Jane", "Jane!", "난리 났어"):
        assert not opener_pending(released), released


@pytest.mark.parametrize("answer,memory,problem", [
    ("I'm Jane, a virtual human studying AI", "[name: Jane]", "speaks the user's name as her own"),
    ("I'm a nurse at Sunnybrook, so we know each other well", "[job: nurse, night shifts]", "speaks the user's job as her own"),
    ("I live in Toronto!", "[city: Toronto]", "speaks the user's city as her own"),
    ("안녕, 나는 이서연이라고 해!", "[이름: 이서연]", "speaks the user's 이름 as her own"),
    ("나는 간호사라 밤새는 거 익숙해", "[직업: 간호사]", "speaks the user's 직업 as her own"),
    ("You're Jane! How could I forget", "[name: Jane]", None),                  # the user's, as the user's
    ("I'm learning guitar too, still a beginner", "[hobby: learning guitar]", None),  # shared, not claimed
    ("나도 데이식스 좋아해 ㅎㅎ", "[좋아하는 가수: 데이식스]", None),
    ("나는 인공지능학과에 다녀!", "[전공: 인공지능]", None),                        # hers as well
    ("I'm Jane, a virtual human", "", None),
])
def test_the_users_memory_is_not_her_own(answer, memory, problem):
    assert answer_problem(answer, "what's up", SAT, memory) == problem


class StoreOfThree:
    """Three stored memories; `recall` returns them nearest first, `retrieve` (the gate) lets none through."""

    def __init__(self):
        self.items = [("반려동물", "고양이 나비"), ("직업", "간호사"), ("내일 일정", "치과")]

    def retrieve(self, user_id, query, now):
        return None

    def recall(self, user_id, query, now, k):
        return [Memory(key, value, now, 0.8) for key, value in self.items][:k]

    def remember(self, user_id, key, value, source_turn, now):
        pass


def test_an_adapter_trained_on_several_memories_gets_the_nearest_ones_ungated():
    llm = ScriptedLLM(["나비가 또 그랬구나 ㅋㅋ"])
    _turn(PersonaChat(llm, memory=StoreOfThree(), prompt_memories=2), "소파가 너덜너덜해 ㅠ")
    answer_prompt = [p for r, p in llm.prompts if r == "answer"][0]
    assert "(기억: [반려동물: 고양이 나비] [직업: 간호사])" in answer_prompt and "치과" not in answer_prompt
    llm = ScriptedLLM(["그렇구나"])
    _turn(PersonaChat(llm, memory=StoreOfThree()), "소파가 너덜너덜해 ㅠ")  # gated: nothing relevant enough
    assert "(기억:" not in [p for r, p in llm.prompts if r == "answer"][0]


def test_a_question_naming_a_stored_fact_is_answered_from_the_store_past_the_gate():
    llm = ScriptedLLM(["내일 치과? 10월에 가자!"])
    engine = PersonaChat(llm, memory=StoreOfThree())  # the gate lets nothing through
    assert _turn(engine, "나 내일 일정 뭐라고 했더라?")[-1].text == "당연하지, 치과잖아! 😊"
    assert _turn(engine, "나 피부과 예약 언제라고 했지?")[-1].text.startswith("음, 그건 아직 못 들은 것 같아")
    assert [r for r, _ in llm.prompts if r == "answer"] == []  # neither needed the model
    # a question that names what the conversation itself said goes to the model
    engine = PersonaChat(ScriptedLLM(["응, 그거!", "피부과 목요일이라고 했잖아!"]), memory=StoreOfThree())
    _turn(engine, "나 목요일에 피부과 가")
    assert _turn(engine, "나 피부과 예약 언제라고 했지?")[-1].text != engine_not_told("ko")


def engine_not_told(lang):
    from dialogue.recall import _NOT_TOLD
    return _NOT_TOLD[lang]


class FakePersonaQuestions:
    def aspect(self, message):
        return "nature" if "human" in message else ""


class BrokenPersonaQuestions:
    def aspect(self, message):
        raise RuntimeError("encoder gone")


def test_the_persona_fact_asked_about_goes_into_the_answer_prompt(caplog):
    llm = ScriptedLLM(["No, I'm a virtual human!", "Hi there!", "Hello!"])
    engine = PersonaChat(llm, persona=FakePersonaQuestions())
    _turn(engine, "Are you human?")
    _turn(engine, "What's up with you today")
    answers = [p for r, p in llm.prompts if r == "answer"]
    assert "(Oh-LoRA: virtual human)" in answers[0] and "(Oh-LoRA:" not in answers[1]
    # a failing classifier costs the fact line, not the answer
    engine.persona = BrokenPersonaQuestions()
    with caplog.at_level(logging.WARNING):
        assert _turn(engine, "Are you human?")[-1].text == "Hello!"
    assert "persona-question classifier failed" in caplog.text


def test_closing_the_turn_closes_the_backend_stream():
    llm = ScriptedLLM(["하나 둘 셋 넷 다섯 여섯 일곱 여덟 아홉 열"])
    engine = PersonaChat(llm)

    async def go():
        gen = engine.turn("u1", "세어 줘", SAT)
        async for ev in gen:
            break
        await gen.aclose()

    asyncio.run(go())
    assert llm.closed == 1 and [r for r, _ in llm.prompts] == ["answer"]
    engine.record_interrupted("u1", "하나 둘")
    assert "하나 둘" in engine.conversations.last_summary("u1")
    assert "세어 줘" in engine.conversations.last_summary("u1")  # the interrupted turn's own message


def test_memory_and_expression_parsers():
    assert parse_memory("[오늘 날씨: 맑음]") == ("오늘 날씨", "맑음")
    assert parse_memory("[tomorrow's plan: a trip to Busan]") == ("tomorrow's plan", "a trip to Busan")
    for bad in ("", "오늘 날씨: 맑음", "[오늘 날씨]", "[: x]", "[a: b] [c: d]"):
        assert parse_memory(bad) is None
    assert parse_expression("very wide / closed / slightly left") == Expression("very wide", "closed", "slightly left")
    assert parse_expression("wide / wide") is None and parse_expression("wide / huge / none") is None
    assert expression_or_neutral("garbage") == Expression()


def test_answer_problems():
    assert answer_problem("", "hi", SAT) == "empty"
    assert answer_problem("안녕<end_of_turn>", "hi", SAT) == "leaks prompt markers"
    assert answer_problem("좋아 좋아 좋아 좋아 좋아 좋아 좋아 좋아", "hi", SAT) == "repeats itself"
    assert answer_problem("Today is Monday!", "What day is it?", SAT) == "claims weekday Monday"
    assert answer_problem("Today is Saturday!", "What day is it?", SAT) is None
    assert answer_problem("내일은 일요일이야!", "내일 무슨 요일?", SAT) is None
    assert answer_problem("오늘은 3월 2일이야", "오늘 며칠?", SAT) == "claims date 3월 2일"
    assert answer_problem("오늘은 11월 29일이야", "오늘 며칠?", SAT) is None
    assert answer_problem("생일은 10월 11일이야", "생일?", SAT) is None


def test_only_days_she_claims_are_checked_against_the_calendar():
    from dialogue.claims import calendar_problem

    # SAT is Saturday 2025-11-29: claims about today, tomorrow or yesterday must hold (a day's slack for time zones)
    assert calendar_problem("내일 12월 5일에 치과 가야지", SAT) == "claims date 12월 5일"
    assert calendar_problem("Today is November 30, almost December!", SAT) is None
    assert calendar_problem("어제 금요일이었잖아", SAT) is None and calendar_problem("어제 화요일이었잖아", SAT)
    # a date with its weekday must agree with the calendar, in the year nearest to now
    assert calendar_problem("11월 29일 금요일", SAT) == "claims weekday 금요일 for 11월 29일"
    assert calendar_problem("Saturday, November 29 it is", SAT) is None
    assert calendar_problem("다음 주 토요일 12월 6일에 보자", SAT) is None
    # her birthday is October 11, whatever words carry it
    assert calendar_problem("I was born on October 17, 2003", SAT) == "wrong birthday October 17"
    assert calendar_problem("I was born on October 11th, 2003", SAT) is None
    assert calendar_problem("내 생일은 10월 1일이야", SAT) == "wrong birthday 10월 1일"
    # the user's own dates are theirs to say
    assert calendar_problem("네 생일 3월 5일 기억하지!", SAT, "[생일: 3월 5일]") is None
    # other dates and weekdays are free: holidays, plans, counting days
    for text in ("크리스마스는 12월 25일이야!", "Halloween is October 31st!", "금요일에 시험 잘 봐!",
                 "100일은 3월 9일이야, 꽃 어때?", "See you on Monday!"):
        assert calendar_problem(text, SAT) is None, text


def test_her_age_birth_year_and_mbti_are_hers():
    from dialogue.claims import persona_problem

    june = datetime(2026, 6, 12, 9, 0)  # she is 22
    assert persona_problem("I'm 25! I was born in 2003", june, "are you older than me? I'm 2", "are you older than me?") \
        == "wrong age 25"
    assert persona_problem("I'm 22! I was born on October 11, 2003", june, "", "how old are you?") is None
    assert persona_problem("나는 올해 2031년생이라 만 24살이야", june, "", "너 올해 만으로 몇이야?") == "wrong age 24"
    assert persona_problem("나는 올해 2031년생이라", june, "", "너 올해 만으로 몇이야?") == "wrong birth year 2031"
    assert persona_problem("10월에 만 23살 돼!", june, "", "생일에 몇 살 돼?") is None
    assert persona_problem("나는 만 24살이야", june, "", "너 몇 살이야?") == "wrong age 24"
    # her age is 만 나이 (PERSONA.md); 연 나이 and 세는 나이 only when she says she counts that way; other people's
    # ages are not hers
    for text in ("난 22살!", "세는 나이로는 24살이야", "연 나이로 치면 올해 23살!", "동생은 17살이고 나는 22살이야",
                 "25살이구나! 나는 22살이야", "입학할 때 만 18살이었어"):
        assert persona_problem(text, june, "나 25살인데 너 몇 살이야?", "나 25살인데 너 몇 살이야?") is None, text
    assert persona_problem("올해 23살이야", june, "", "너 몇 살이야?") == "wrong age 23"
    # her year at university: the calendar year's (3rd in 2025, 4th in 2026), the one before until March
    assert persona_problem("올해 기준으로 5학년이야.", june, "", "너 몇살임 ㅋㅋ") == "wrong school year 5학년"
    assert persona_problem("I'm a third-year at Samol!", june, "", "what year are you in?") == "wrong school year I'm a third-year"
    for right in ("지금 4학년이야!", "I'm a senior now", "동생은 2학년이고 나는 4학년!", "고3 때 진짜 힘들었어"):
        assert persona_problem(right, june, "", "몇 학년이야?") is None, right
    assert persona_problem("아직 3학년이야", datetime(2026, 2, 1, 9, 0), "", "몇 학년?") is None
    # the decade she puts herself in: early twenties
    assert persona_problem("I'm in my thirties, still a student!", june, "", "are you in your early or late twenties") \
        == "wrong age I'm in my thirties"
    assert persona_problem("나는 20대 후반이야!", june, "", "너 20대 초반이야 후반이야?") == "wrong age 20대 후반"
    assert persona_problem("나는 20살이야!", june, "", "너 20대 초반이야 후반이야?") == "wrong age 20"
    for right in ("I'm in my early twenties! 22, to be exact", "나는 20대 초반이야 ㅎㅎ", "엄마는 50대야, 나는 22살!"):
        assert persona_problem(right, june, "", "너 20대 초반이야 후반이야?") is None, right
    # ages are checked only when the message is about age: elsewhere they are a nephew's or a pet's
    assert persona_problem("7살이면 레고 좋아할 거야!", june, "", "조카 선물 뭐 사지?") is None
    assert persona_problem("나 INFP야!", june, "", "MBTI 뭐야?") == "wrong MBTI INFP"
    assert persona_problem("I'm an introvert, honestly", june, "", "are you shy?") == "wrong MBTI pole introvert"
    # each of her letters holds on its own: ENTJ is not a feeler, not spontaneous, not a sensor
    assert persona_problem("I'm a feeler! I go with my heart", june, "", "thinker or feeler?") == "wrong MBTI pole feeler"
    assert persona_problem("나는 완전 즉흥형이야 ㅋㅋ", june, "", "계획형이야 즉흥형이야?") == "wrong MBTI pole 즉흥형"
    assert persona_problem("난 F형이라 공감 잘해!", june, "", "너 T야 F야?") == "wrong MBTI pole f형"
    for right in ("I'm a thinker, for sure!", "나는 계획형이야! J라서 ㅎㅎ", "난 즉흥형은 아니고 계획형이야",
                  "나는 네가 감정형인 줄 알았어", "I'm not a feeler, I'm a thinker"):
        assert persona_problem(right, june, "", "thinker or feeler?") is None, right
    assert persona_problem("나는 ENTJ야! 너는 INFP구나", june, "난 INFP", "MBTI 뭐야?") is None


def test_the_validator_leaves_the_written_answers_alone():
    """Every answer the writers wrote (dated, with its message and memories) passes the calendar and persona
    checks: they catch the model's mistakes, not ordinary talk about days and ages."""
    from dialogue.data.turns import written_turns
    from dialogue.claims import calendar_problem, persona_problem

    checked = 0
    for t in written_turns("stored"):
        seen = f"{t.message} {t.context_memory}"
        for check in (calendar_problem, persona_problem):
            assert check(t.answer, t.now, seen, t.message) is None, (t.id, t.message, t.answer)
        checked += 1
    assert checked > 5000


def test_a_retry_after_a_wrong_day_goes_on_from_the_right_one():
    from dialogue.claims import fact_completion

    assert fact_completion("I'm 22! I was born on October", "wrong birthday October 17", SAT) == " 11"
    assert fact_completion("I'm 22! I was born on ", "wrong birthday October 17", SAT) == "October 11"
    assert fact_completion("생일은 10월 ", "wrong birthday 10월 1일", SAT) == "11일"
    assert fact_completion("내 생일은", "wrong birthday 10월 1일", SAT) == " 10월 11일"
    assert fact_completion("응, 오늘 ", "claims date 12월 5일", SAT) == "11월 29일"
    assert fact_completion("Tomorrow is", "claims weekday Monday", SAT) == " Sunday"
    assert fact_completion("어제는 ", "claims weekday 화요일", SAT) == "금요일"
    assert fact_completion("Hello there", "claims date March 2", SAT) is None
    assert fact_completion("오늘은 ", "repeats itself", SAT) is None
    assert fact_completion("I'm ", "wrong age 25", SAT) == "22" and fact_completion("나는 ", "wrong age 30", SAT) == "22살"
    assert fact_completion("I was born in ", "wrong birth year 1953", SAT) == "2003"
    assert fact_completion("나 ", "wrong MBTI INFP", SAT) == "ENTJ"
    assert fact_completion("나는 2003년생 양띠야! 올해 기준으로 ", "wrong school year 5학년", SAT) == "3학년"
    assert fact_completion("나는 대학교 ", "wrong school year 1학년", SAT) == "3학년"
    assert fact_completion("나는 2003년생 양띠야! 올해 기준으로 ", "wrong age 23", SAT) == "22살"
    assert fact_completion("I'm a ", "wrong school year I'm a fifth-year", SAT) == "third-year"
    # a month waits for its day before it is shown, so the wrong day never shows and the retry writes the right one
    llm = ScriptedLLM(["I'm 22! I was born on October 17.", ", 2003! 🎂"])
    events = _turn(PersonaChat(llm, exact_answers=False), "how old are you?")
    assert events[-1].text == _text(events) == "I'm 22! I was born on October 11, 2003! 🎂"
    assert "17" not in _text(events)
    llm = ScriptedLLM(["응, 오늘 12월 5일이야!", "이야! 주말 잘 보내"])
    events = _turn(PersonaChat(llm, exact_answers=False), "오늘 며칠이야?")
    assert events[-1].text == _text(events) == "응, 오늘 11월 29일이야! 주말 잘 보내"


# --- the streaming validator judges complete words and numbers only ---------------------------------------
def test_dates_and_times_are_not_rejected_half_written():
    cases = [
        ("When is your birthday?", "My birthday is October 11! Autumn baby 🍂"),
        ("생일이 언제야?", "내 생일은 10월 11일이야! 🎂"),
        ("When did you start high school?", "I started at Alpha High School in March 2019."),
        ("고등학교 언제 다녔어?", "알파고등학교를 2019년 3월부터 2022년 2월까지 다녔어!"),
        ("What time is it?", "It's about 3:15 in the afternoon, Saturday November 29."),
        ("몇 시야?", "지금 오후 3시 15분쯤이야! 11월 29일 토요일 ☀️"),
    ]
    for message, answer in cases:
        for size in (1, 2, 3, 5):  # token boundaries anywhere, also inside a number
            llm = ScriptedLLM([answer])
            llm_pieces = [answer[i:i + size] for i in range(0, len(answer), size)]

            async def generate(role, prompt, *, max_new_tokens=64, temperature=0.0, seed=None, opening=None, _p=llm_pieces,
                               _llm=llm):
                if role != "answer":
                    yield Completion(_llm.fixed[role], 1)
                    return
                _llm.answers.pop(0)
                for piece in _p:
                    yield TextDelta(piece)
                yield Completion("".join(_p), len(_p))

            llm.generate = generate
            events = _turn(PersonaChat(llm, exact_answers=False), message)  # the validator on the model's answer
            assert _text(events) == events[-1].text == answer, (message, size, events[-1].text)
            assert not events[-1].text.endswith("…")


def test_a_wrong_date_is_still_caught_once_its_number_is_complete():
    # the retry goes on from the shown text, with the right day put in (test below)
    llm = ScriptedLLM(["My birthday is October 1, I think.", "! 🎂"])
    events = _turn(PersonaChat(llm), "When is your birthday?")
    assert "October 1," not in _text(events) and events[-1].text == "My birthday is October 11! 🎂"
    llm = ScriptedLLM(["생일은 10월 1일이야", "이야!"])
    events = _turn(PersonaChat(llm), "생일이 언제야?")
    assert events[-1].text == "생일은 10월 11일이야!"


def test_complete_part_keeps_only_finished_words():
    from dialogue.conversation import complete_part

    assert complete_part("My birthday is October 1") == "My birthday is October "
    assert complete_part("10월 1") == "10월 " and complete_part("10월 11일") == "10월 "
    assert complete_part("10월 11일이야!") == "10월 11일이야!" and complete_part("at 3:1") == "at 3:"
    assert complete_part("hello") == ""


# --- earlier exchanges and several facts ------------------------------------------------------------------
def test_an_adapter_trained_with_history_sees_the_earlier_exchanges():
    llm = ScriptedLLM(["반가워 민수야!", "민수라고 했지! 기억해 😊"], memory="[이름: 민수]")
    engine = PersonaChat(llm, history_turns=3)
    _turn(engine, "안녕! 나는 민수야")
    _turn(engine, "내 이름 뭐라고 했지?")
    prompt = [p for r, p in llm.prompts if r == "answer"][1]
    assert prompt.startswith("<start_of_turn>user\n안녕! 나는 민수야<end_of_turn>\n<start_of_turn>model\n반가워 민수야!")
    assert "(이전 대화:" not in prompt  # the exchange itself says more than its summary
    plain = ScriptedLLM(["반가워!", "응!"])
    engine = PersonaChat(plain)  # an adapter trained without history gets none
    _turn(engine, "뭐 해?")
    _turn(engine, "또 왔어")
    assert [p for r, p in plain.prompts if r == "answer"][1].startswith("<start_of_turn>user\n")
    assert "뭐 해?<end_of_turn>" not in [p for r, p in plain.prompts if r == "answer"][1]


def test_a_user_who_switches_language_is_answered_in_the_new_one():
    llm = ScriptedLLM(["반가워!", "Nice, what did you order?", "오 좋다!", "응 맛있겠다"])
    engine = PersonaChat(llm, history_turns=3)
    _turn(engine, "안녕! 나 방금 점심 먹었어")
    _turn(engine, "sorry my keyboard broke lol, the pasta was so good")
    _turn(engine, "다시 한국어 됨 ㅋㅋ")
    _turn(engine, "디저트도 먹을까")
    # no earlier exchange: nothing to steer; a switch: the answer is held to the message's language (an English one
    # holds no Hangul at all, a Korean one opens in Hangul); the same language as the exchange before: left alone
    assert llm.openings == [None, "en-only", "ko", None]


def test_the_opening_language_follows_the_last_exchanges_message():
    from dialogue.prompting import answer_opening, opens_other_language

    # an English answer holds no Hangul at all, unless the message asks about Korean
    assert answer_opening("what about you?", [("점심 뭐 먹었어?", "김밥!")]) == "en-only"
    assert answer_opening("how do u say cheers in korean?", [("건배!", "ㅋㅋ 건배~")]) == "en"
    assert answer_opening("너는?", [("hi", "hey!"), ("what's up", "not much")]) == "ko"
    assert answer_opening("너는?", [("hi", "hey!"), ("점심 먹었어?", "응!")]) is None
    assert answer_opening("hello", []) is None
    # a Korean chat's "ok", "lol" or emoji is no switch; nor does one make the next Korean message one
    assert answer_opening("ok lol", [("점심 뭐 먹었어?", "김밥!")]) is None
    assert answer_opening("👍", [("점심 뭐 먹었어?", "김밥!")]) is None
    assert answer_opening("저녁은?", [("점심 뭐 먹었어?", "김밥!"), ("ok", "ㅋㅋ 응!")]) is None
    assert answer_opening("오늘 뭐 했어?", [("hey hey", "hey! what's up?")]) == "ko"  # short, but an English exchange
    assert opens_other_language("안녕", "en") and not opens_other_language(" Hi", "en")
    assert opens_other_language(" Sure", "ko") and not opens_other_language("IU노래", "ko")
    assert not opens_other_language("ㅋㅋ", "ko") and not opens_other_language("😊", "en")


class KeepsWhatIsTold:
    """A memory store that retrieves nothing and keeps every (key, value) the turn stores, in order."""

    def __init__(self):
        self.kept = []

    def retrieve(self, *a):
        return None

    def remember(self, user, key, value, source, now):
        self.kept.append((key, value))


def test_every_fact_the_memory_role_writes_is_stored():
    store = KeepsWhatIsTold()
    llm = ScriptedLLM(["Nice to meet you, Jane!"], memory="[name: Jane] [job: nurse] [hometown: Toronto]")
    done = _turn(PersonaChat(llm, memory=store), "I'm Jane, a nurse from Toronto")[-1]
    assert store.kept == [("name", "Jane"), ("job", "nurse"), ("hometown", "Toronto")]
    assert (done.memory.key, done.memory.value) == ("name", "Jane")
    from dialogue.roles import parse_memories

    assert parse_memories("") == [] and parse_memories("[a: b]\n[c: d]") == [("a", "b"), ("c", "d")]
    assert parse_memories("I will remember [a: b]") is None and parse_memories("[a:]") is None


def test_a_stored_date_is_the_day_the_message_names_not_the_roles_count():
    store = KeepsWhatIsTold()  # SAT is Saturday 2025-11-29: "next Monday" is December 1st, not the role's 8th
    llm = ScriptedLLM(["이사 준비 힘내!"], memory="[이사: 2025년 12월 8일 (월)] [나이: 38살]")
    done = _turn(PersonaChat(llm, memory=store), "다음주 월요일에 이사해 ㅠ 스물세살에 벌써 세번째")[-1]
    assert store.kept == [("이사", "2025년 12월 1일 월요일"), ("나이", "23살")]
    assert done.memory.value == "2025년 12월 1일 월요일"


def test_answer_decoding_options_are_checked_and_reach_the_backend():
    from dialogue.conversation import AnswerDecoding

    class Backend:
        repetition_penalty, top_p = 1.0, 1.0

    backend = Backend()
    AnswerDecoding.with_overrides(top_p=0.9).apply(backend)
    assert backend.top_p == 0.9 and backend.repetition_penalty == AnswerDecoding().repetition_penalty
    for bad in (dict(temperature=-1), dict(top_p=0), dict(repetition_penalty=0.5)):
        with pytest.raises(ValueError, match="dialogue"):
            AnswerDecoding.with_overrides(**bad)
    AnswerDecoding().apply(object())  # a remote backend decodes by its own settings: nothing to set


def test_a_wrong_prompt_memories_option_stops_the_start_before_any_model_loads():
    from dialogue.conversation import build_chat_engine

    for bad in ("three", -1, 99):
        with pytest.raises(ValueError, match="dialogue.prompt_memories"):
            build_chat_engine(prompt_memories=bad, collaborators=False)

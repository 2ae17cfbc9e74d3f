"""Written answers reused (dialogue.answer_bank): what carries over to a new moment, the lookup, the turn."""
from __future__ import annotations

import asyncio
from datetime import datetime

import numpy as np
import pytest

from dialogue.answer_bank import AnswerBank, WrittenAnswer, carries_over, polite, written_first_answers
from dialogue.conversation import PersonaChat, answer_bank_threshold
from dialogue.interfaces import Memory, TokenEvent, TurnDone
from tests.dialogue_fakes import HashingEncoder
from tests.test_dialogue_turn import ScriptedLLM

SAT = datetime(2025, 11, 29, 15, 0)  # a Saturday afternoon


def entry(message: str, answer: str, lang: str = "ko", when: datetime = SAT) -> WrittenAnswer:
    return WrittenAnswer(message, answer, lang, when, "test.jsonl")


def bank(*entries: WrittenAnswer, threshold: float = 0.9) -> AnswerBank:
    enc = HashingEncoder()
    return AnswerBank(entries, enc.encode([e.message for e in entries]), enc, threshold)


def test_an_answer_with_a_number_the_message_does_not_hold_does_not_carry_over():
    assert carries_over(entry("17 곱하기 23 얼마야?", "391이야!"), "17 곱하기 23 얼마야?", SAT) is False
    assert carries_over(entry("파이썬 리스트 뒤집기", "lst[::-1] 쓰면 돼!"), "파이썬 리스트 뒤집는 법", SAT)
    assert carries_over(entry("3시간 잤어", "3시간이면 너무 적다 ㅠ"), "나 3시간 잤어", SAT)


def test_weekdays_months_and_years_never_carry_over():
    for answer in ("오늘은 수요일이야!", "Happy Friday!", "See you in October!", "2025년엔 좋은 일만 가득하길!",
                   "내년엔 졸업반이야"):
        assert not carries_over(entry("안녕", answer), "안녕", SAT), answer
    # "may" is a verb, not the month
    assert carries_over(entry("can I ask?", "Of course, you may ask anything!", "en"), "can I ask?", SAT)


def test_a_part_of_the_day_or_season_carries_over_only_when_it_is_true_now():
    night = entry("잠이 안 와", "늦은 밤이라 그래, 따뜻한 물 한 잔 마셔 봐 🌙")
    assert not carries_over(night, "잠이 안 와", SAT)                       # 15:00
    assert carries_over(night, "잠이 안 와", SAT.replace(hour=23))
    assert carries_over(night, "밤인데 잠이 안 와", SAT)                     # the message said it
    summer = entry("더워", "여름엔 역시 냉면이지!")
    assert not carries_over(summer, "더워", SAT) and carries_over(summer, "더워", SAT.replace(month=7))


def test_an_answer_that_speaks_of_the_weekend_carries_over_only_from_friday_evening_or_when_the_message_does():
    weekend = entry("퇴근함 ㅠㅠ 오늘 진짜 길었다", "수고 많았어!! 이제 주말이니까 맛있는 거 먹고 푹 쉬자 🎉")
    thursday, friday = datetime(2026, 3, 12, 19, 0), datetime(2026, 3, 13, 19, 0)
    assert not carries_over(weekend, "퇴근함 ㅠㅠ 오늘 진짜 길었다", thursday)
    assert carries_over(weekend, "퇴근함 ㅠㅠ 오늘 진짜 길었다", friday) and carries_over(weekend, "퇴근함", SAT)
    assert carries_over(weekend, "주말 언제 와 ㅠㅠ 퇴근함", thursday)  # the message speaks of it too
    gm = entry("gm", "Morning! ☀️ How's your weekend going?", "en")
    assert not carries_over(gm, "gm", friday.replace(hour=9)) and carries_over(gm, "gm", SAT.replace(hour=9))


def test_polite_answers_go_only_to_polite_messages():
    assert polite("저는 22살이에요!") and polite("감사합니다.") and not polite("나 22살이야!")
    formal = entry("몇 살이에요?", "저는 스물두 살이에요 😊")
    assert carries_over(formal, "몇 살이세요?", SAT) and not carries_over(formal, "몇 살이야?", SAT)
    assert carries_over(entry("몇 살이야?", "스물두 살이야!"), "몇 살이세요?", SAT)  # she may speak 반말


def test_best_finds_the_nearest_written_message_of_the_same_language_above_the_threshold():
    b = bank(entry("비 오는 날 들을 노래 추천해 줘", "아이유 '밤편지' 어때? 빗소리랑 잘 어울려 ☔"),
             entry("recommend a song for a rainy day", "Try 'Rain' by Taeyeon ☔", "en"),
             entry("짜장 짬뽕 골라 줘", "짬뽕! 국물이 최고야 🔥"))
    got = b.best("비 오는 날 들을 노래 추천해 줘!", SAT)
    assert got is not None and got.answer.startswith("아이유") and got.similarity >= 0.9
    assert b.best("recommend a song for a rainy day!", SAT).answer.startswith("Try")
    assert b.best("오늘 점심 뭐 먹지", SAT) is None        # nothing close enough
    assert b.best("", SAT) is None


def test_best_skips_a_near_answer_that_does_not_carry_over_for_the_next_one():
    b = bank(entry("오늘 무슨 요일이야", "오늘은 수요일이야!"), entry("오늘 무슨 요일이야?", "달력 한번 볼까? ㅎㅎ"),
             threshold=0.8)
    assert b.best("오늘 무슨 요일이야", SAT).answer == "달력 한번 볼까? ㅎㅎ"


def test_a_bank_needs_one_embedding_per_answer_and_a_cosine_threshold():
    enc = HashingEncoder()
    with pytest.raises(ValueError, match="embeddings"):
        AnswerBank([entry("a", "b")], np.zeros((2, enc.dim)), enc)
    with pytest.raises(ValueError, match="threshold"):
        AnswerBank([entry("a", "b")], np.zeros((1, enc.dim)), enc, threshold=1.5)


def test_the_written_bank_holds_first_exchanges_without_memories_and_no_held_out_message():
    entries = written_first_answers({"안녕처음이야너뭐하는애야"})
    assert len(entries) > 3000
    assert all(e.answer.strip() and e.lang in ("ko", "en") for e in entries)
    assert "안녕 처음이야 너 뭐하는 애야?" not in {e.message for e in entries}



def test_only_the_sets_of_her_answers_bar_a_written_answer(tmp_path, monkeypatch):
    import json

    import dialogue.data.written as written
    from dialogue.answer_bank import evaluation_messages
    from dialogue.data.written import normalized

    for folder, files in {"validation": {"open.jsonl": {"message": "sup"}, "persona-writerB.jsonl": {"message": "너 몇 살"},
                                         "ethics-writerS.jsonl": {"text": "ok", "label": "normal"}},
                          "heldout": {"memory.jsonl": {"message": "우산 챙길까?"}, "topic.jsonl": {"message": "잘자"},
                                      "ownership.jsonl": {"question": "what's my name?"}}}.items():
        (tmp_path / folder).mkdir()
        for name, row in files.items():
            (tmp_path / folder / name).write_text(json.dumps(row, ensure_ascii=False) + "\n")
    monkeypatch.setattr(written, "WRITTEN_DIR", tmp_path)
    # a short ethics or topic message ("ok", "잘자") measures a classifier, not her answer: its written answer stays
    assert evaluation_messages() == {normalized(t) for t in ("sup", "너 몇 살", "우산 챙길까?", "what's my name?")}

def test_the_embeddings_are_cached_and_reused(tmp_path, monkeypatch):
    import dialogue.answer_bank as ab

    few = [entry("안녕", "안녕! 반가워 😊"), entry("hi", "Hi there!", "en")]
    monkeypatch.setattr(ab, "written_first_answers", lambda exclude: few)
    monkeypatch.setattr(ab, "evaluation_messages", lambda: set())
    enc = HashingEncoder()
    enc.source = "hashing"
    first = AnswerBank.from_written(enc, cache=tmp_path)
    assert len(list(tmp_path.glob("*.npy"))) == 1

    class Refusing(HashingEncoder):
        def encode(self, texts, kind="query", batch_size=32):
            if len(texts) > 1:
                raise AssertionError("the cached embeddings should have been read")
            return super().encode(texts, kind, batch_size)

    refusing = Refusing()
    refusing.source = "hashing"
    again = AnswerBank.from_written(refusing, cache=tmp_path)
    assert np.allclose(first.embeddings, again.embeddings)
    another = Refusing()
    another.source = "another model"  # another encoder's embeddings are never reused
    with pytest.raises(AssertionError, match="cached"):
        AnswerBank.from_written(another, cache=tmp_path)


def _turn(engine, message, now=SAT, user="u1"):
    async def go():
        return [ev async for ev in engine.turn(user, message, now)]
    return asyncio.run(go())


class OneMemory:
    def retrieve(self, user_id, query, now):
        return Memory("반려동물", "고양이 나비", now, 0.9) if "고양이" in query else None

    def remember(self, user_id, key, value, source_turn, now):
        pass


class AskingAboutHer:
    def aspect(self, message):
        return "age" if "몇 살" in message else ""


def test_a_turn_serves_the_written_answer_without_generating_one():
    llm = ScriptedLLM([])  # an answer from the model would fail: its script is empty
    b = bank(entry("비 오는 날 들을 노래 추천해 줘", "아이유 '밤편지' 어때? 빗소리랑 잘 어울려 ☔"))
    events = _turn(PersonaChat(llm, answers=b), "비 오는 날 들을 노래 추천해 줘")
    done = events[-1]
    assert isinstance(done, TurnDone) and done.text == "아이유 '밤편지' 어때? 빗소리랑 잘 어울려 ☔"
    assert "".join(e.text for e in events if isinstance(e, TokenEvent)) == done.text
    assert not [r for r, _ in llm.prompts if r == "answer"] and done.timings["reused_similarity"] >= 0.9
    assert done.summary  # the post-answer roles still run


def test_a_memory_shown_or_a_question_about_her_goes_to_the_model():
    b = bank(entry("고양이가 소파를 긁어", "스크래처를 소파 옆에 둬 봐!"), entry("너 몇 살이야?", "스물세 살이야!"))
    llm = ScriptedLLM(["나비가 또 그랬구나! 스크래처를 옆에 둬 봐", "22살이야!"])
    engine = PersonaChat(llm, answers=b, memory=OneMemory(), persona=AskingAboutHer(), exact_answers=False)
    assert _turn(engine, "고양이가 소파를 긁어")[-1].text.startswith("나비가")
    assert _turn(engine, "너 몇 살이야?")[-1].text == "22살이야!"
    assert len([r for r, _ in llm.prompts if r == "answer"]) == 2


def test_a_written_answer_the_validator_rejects_is_not_served():
    b = bank(entry("몇 살이야", "나는 만 25살이야!"))  # her age is 22 on this date
    llm = ScriptedLLM(["나는 만 22살이야!"])
    assert _turn(PersonaChat(llm, answers=b, exact_answers=False), "몇 살이야")[-1].text == "나는 만 22살이야!"


def test_answer_bank_option():
    assert answer_bank_threshold("auto") == pytest.approx(0.92)
    assert answer_bank_threshold("auto", chat_model=True) == 0.0
    assert answer_bank_threshold("0") == 0.0 and answer_bank_threshold(0.95) == 0.95
    for bad in ("yes", 1.5, -0.1, None):
        with pytest.raises(ValueError, match="dialogue.answer_bank"):
            answer_bank_threshold(bad)


def test_answers_written_for_a_stranger_are_skipped_for_a_user_she_knows():
    b = bank(WrittenAnswer("do you know what I do for work?", "You haven't told me yet! What do you do?", "en", SAT,
                           "test.jsonl", "about_user"))
    assert b.best("do you know what I do for work?", SAT) is not None
    assert b.best("do you know what I do for work?", SAT, knows_user=True) is None


class CountingMemory(OneMemory):
    def __init__(self, n):
        self.n = n

    def count(self, user_id):
        return self.n


def test_a_turn_tells_the_bank_whether_she_knows_the_user():
    stranger = WrittenAnswer("do you know my job?", "You haven't told me yet! What do you do?", "en", SAT, "t", "about_user")
    for stored, generated in ((0, False), (2, True)):
        llm = ScriptedLLM(["You're a nurse, right?"])
        done = _turn(PersonaChat(llm, answers=bank(stranger), memory=CountingMemory(stored)), "do you know my job?")[-1]
        assert (done.text == "You're a nurse, right?") is generated


def test_a_written_answer_to_a_message_that_told_facts_is_never_reused(monkeypatch):
    import dialogue.data.written as written

    def conv(user, answer, remember=(), memories=()):
        return {"lang": "ko", "now": "2026-03-01T10:00", "source": "t.jsonl", "category": "greeting",
                "memories": list(memories), "turns": [{"user": user, "answer": answer, "remember": list(remember)}]}

    monkeypatch.setattr(written, "conversations", lambda: [
        conv("안녕 나 민지야, 간호학과 2학년", "반가워 민지야! 실습 바쁘겠다 😊", [["이름", "민지"]]),
        conv("안녕!", "안녕! 반가워 😊"),
        conv("내 고양이 뭐였지?", "나비잖아!", memories=[["반려동물", "고양이 나비"]])])
    assert [e.message for e in written_first_answers(variants=False)] == ["안녕!"]


def test_a_first_answer_is_found_by_any_other_wording_of_its_message(monkeypatch):
    import dialogue.data.written as written

    monkeypatch.setattr(written, "conversations", lambda: [
        {"lang": "ko", "now": "2026-03-01T10:00", "source": "t.jsonl", "category": "pick", "memories": [],
         "turns": [{"user": "짜장 짬뽕 골라줘", "answer": "짬뽕! 국물이 최고야 🍜"}]}])
    monkeypatch.setattr(written, "message_variants",
                        lambda: {"짜장 짬뽕 골라줘": ["짜장이랑 짬뽕 중에 뭐 먹지", "짬뽕 vs 짜장 ㄱㄱ"]})
    entries = written_first_answers({"짬뽕vs짜장ㄱㄱ"})  # a held-out wording is left out like a held-out message
    assert [e.message for e in entries] == ["짜장 짬뽕 골라줘", "짜장이랑 짬뽕 중에 뭐 먹지"]
    assert {e.answer for e in entries} == {"짬뽕! 국물이 최고야 🍜"}
    found = bank(*entries, threshold=0.99).best("짜장이랑 짬뽕 중에 뭐 먹지", SAT)
    assert found.answer == "짬뽕! 국물이 최고야 🍜" and found.written_message == "짜장이랑 짬뽕 중에 뭐 먹지"


def test_the_same_message_twice_does_not_get_the_same_written_answer_twice():
    b = bank(entry("심심해", "그럼 나랑 끝말잇기 할래? 내가 먼저, 사과! 🍎"),
             entry("심심해 ㅠ", "심심할 땐 산책 한 바퀴 어때? 바람 쐬면 기분 전환 돼 🌿"), threshold=0.6)
    engine = PersonaChat(ScriptedLLM(["음… 그럼 좋아하는 노래 하나 추천해 줄까?"]), answers=b)
    first, second, third = (_turn(engine, "심심해")[-1].text for _ in range(3))
    assert len({first, second, third}) == 3  # two written answers, then the model's
    assert third == "음… 그럼 좋아하는 노래 하나 추천해 줄까?"
    assert engine.stats()["answers_reused"] == 2


def test_the_writers_weather_carries_over_only_in_its_months():
    hot = entry("짜장 짬뽕 골라 줘", "오늘같이 더운 날엔… 짬뽕 땀 흘리면서 먹기!")
    assert not carries_over(hot, "짜장 짬뽕 골라 줘", SAT)                 # November
    assert carries_over(hot, "짜장 짬뽕 골라 줘", SAT.replace(month=7))
    assert carries_over(hot, "너무 더운데 짜장 짬뽕 골라 줘", SAT)         # the user said it
    cold = entry("what should I drink", "It's freezing out, so a hot chocolate!", "en")
    assert carries_over(cold, "what should I drink", SAT) and not carries_over(cold, "what should I drink",
                                                                                SAT.replace(month=7))
    assert carries_over(entry("what should I drink", "Hot chocolate, always!", "en"), "what should I drink",
                        SAT.replace(month=7))  # a drink, not the weather


class PlacedEncoder:
    """Unit vectors placed by hand: each written text's cosine with the first axis is what the test names; every
    other text (a new message) sits on that axis."""

    dim = 2

    def __init__(self, cosines: dict[str, float]) -> None:
        self.cosines = cosines

    def encode(self, texts, kind="query", batch_size=32):
        return np.array([[c, (1 - c * c) ** 0.5] for c in (self.cosines.get(t, 1.0) for t in texts)], np.float32)

    def encode_one(self, text, kind="query"):
        return self.encode([text], kind)[0]


def placed_bank(*pairs: tuple[WrittenAnswer, float]) -> AnswerBank:
    enc = PlacedEncoder({e.message: c for e, c in pairs})
    return AnswerBank([e for e, _ in pairs], enc.encode([e.message for e, _ in pairs]), enc, 0.92)


def test_an_example_is_the_nearest_carried_over_exchange_above_its_own_cosine_and_not_one_already_said():
    near = entry("비 오는 날 노래 추천", "아이유 '밤편지' 어때? ☔")
    nearer_but_dated = entry("비 오는 날 노래", "2019년 노래 '밤편지' 어때?")  # a year does not carry over
    far = entry("점심 뭐 먹지", "김치찌개 어때?")
    b = placed_bank((nearer_but_dated, 0.90), (near, 0.88), (far, 0.80))
    assert b.best("비 오는 날 들을 노래", SAT) is None  # below the serving cosine: nothing served word for word
    assert b.example("비 오는 날 들을 노래", SAT) == (near.message, near.answer)
    assert b.example("비 오는 날 들을 노래", SAT, skip={near.answer}) == ()  # her own recent answer: none
    assert placed_bank((far, 0.80)).example("비 오는 날 들을 노래", SAT) == ()


def test_an_adapter_trained_with_examples_sees_the_nearest_written_exchange_in_its_prompt():
    near = entry("비 오는 날 노래 추천", "아이유 '밤편지' 어때? ☔")
    line = '(예시: "비 오는 날 노래 추천" → "아이유 \'밤편지\' 어때? ☔")'
    llm = ScriptedLLM(["태연의 'Rain' 어때? ☔", "오늘은 '밤편지'!", "나비는 잘 있어?"])
    engine = PersonaChat(llm, answers=placed_bank((near, 0.88)), answer_examples=True, exact_answers=False)
    assert _turn(engine, "비 오는 날 들을 노래")[-1].text == "태연의 'Rain' 어때? ☔"
    prompt = [p for r, p in llm.prompts if r == "answer"][-1]
    assert line in prompt and prompt.index(line) < prompt.index("비 오는 날 들을 노래")
    # an adapter trained without them is never shown one
    _turn(PersonaChat(llm, answers=placed_bank((near, 0.88)), exact_answers=False), "비 오는 날 들을 노래")
    assert "예시" not in [p for r, p in llm.prompts if r == "answer"][-1]
    # nor is one shown beside a memory (the adapter was trained to use the memory)
    engine = PersonaChat(llm, answers=placed_bank((near, 0.88)), answer_examples=True, memory=OneMemory(),
                         exact_answers=False)
    _turn(engine, "고양이랑 비 오는 날 들을 노래")
    assert "예시" not in [p for r, p in llm.prompts if r == "answer"][-1]


def test_training_shows_each_turn_an_exchange_of_another_conversation_and_replays_as_many_without(tmp_path):
    import json

    from dialogue.data.turns import Turn
    from dialogue.llm_loading import trained_with_examples
    from dialogue.training.lora import with_examples

    def turn(i, message, answer, history=(), memory="", category="written:chat"):
        return Turn(f"c{i}", category, "ko", SAT, memory, "", message, answer, "", "", {}, (), history, "w.jsonl")

    own = entry("비 오는 날 노래 추천", "아이유 '밤편지' 어때? ☔")
    other = entry("비 오는 날 들을 노래", "태연의 'Rain' 어때? ☔")
    enc = PlacedEncoder({own.message: 0.95, other.message: 0.88})
    b = AnswerBank([own, other], enc.encode([own.message, other.message]), enc, 0.92)
    first = turn(1, "비 오는 날 노래 추천해 줘", own.answer)
    later = turn(2, "비 오는 날엔 뭐 들어?", "요즘은 '밤편지'!", history=((own.message, own.answer),))
    with_memory = turn(3, "나비 잘 있어", "응!", memory="[반려동물: 고양이 나비]")
    about_her = turn(4, "몇 살이야", "22살!", category="persona:age")
    out = with_examples([first, later, with_memory, about_her], seed=0, bank=b)
    shown = {t.id: t.example for t in out if t.example}
    # never its own conversation's answer: the written exchange of another one
    assert shown == {"c1": (other.message, other.answer), "c2": (other.message, other.answer)}
    assert '(예시: "비 오는 날 들을 노래" → "태연의' in out[0].prompt("answer")
    assert len(out) == 4 and {t.id for t in out if not t.example} == {"c3", "c4"}

    folder = tmp_path / "answer"
    folder.mkdir()
    assert not trained_with_examples(tmp_path)  # no report: an adapter that never saw one
    (folder / "training_report.json").write_text(json.dumps({"config": {"data": "written", "examples": True}}))
    assert trained_with_examples(tmp_path)


class KeywordFit:
    """An answer-fit model that trusts an answer holding a word of the message; it records what it was asked."""

    threshold = 0.5

    def __init__(self):
        self.asked = []

    def probabilities(self, message, answers, previous=None):
        self.asked.append((message, previous))
        words = set(message.split())
        return np.array([0.9 if words & set(a.split()) else 0.1 for a in answers])


def fitted_bank(*entries: WrittenAnswer, threshold: float = 0.9, floor: float = 0.5,
                telling: tuple[str, ...] = ()) -> tuple[AnswerBank, KeywordFit]:
    enc, fit = HashingEncoder(), KeywordFit()
    return AnswerBank(entries, enc.encode([e.message for e in entries]), enc, threshold, fit=fit, fit_floor=floor,
                      telling=enc.encode(list(telling)) if telling else None), fit


def test_below_the_nearest_nothing_is_served_to_a_user_she_knows_or_to_one_telling_about_themself():
    fitting = entry("오늘 저녁 치킨 먹어도 될까", "오늘 하루쯤은 치킨 먹어도 돼! 내일 다시 달리자 💪")
    b, fit = fitted_bank(fitting)
    assert b.best("오늘 점심 치킨 먹어도 돼", SAT, knows_user=True) is None  # written for a stranger
    assert b.best("내 이름은 민지야 오늘 저녁 치킨 먹어도 될까", SAT) is None  # 0.78 alike, but she is meeting Minji
    assert fit.asked == []
    # the message is more like a written self-introduction than like any message of the bank
    b, fit = fitted_bank(fitting, telling=("나는 민지야 간호학과 2학년",))
    assert b.best("오늘 점심 치킨 먹어도 돼", SAT) is not None  # 0.06 to it, 0.65 to the bank's
    b, fit = fitted_bank(fitting, telling=("오늘 점심 치킨 먹어도 돼 나는",))  # 0.91 to it
    assert b.best("오늘 점심 치킨 먹어도 돼", SAT) is None and fit.asked == []


def test_a_written_message_close_enough_is_still_answered_as_written_without_the_fit_model():
    b, fit = fitted_bank(entry("오늘 점심 치킨 먹었어", "무슨 치킨이었어? 양념파야?"))
    assert b.best("오늘 점심 치킨 먹었어", SAT).answer == "무슨 치킨이었어? 양념파야?"
    assert fit.asked == []


def test_below_the_nearest_the_answer_that_fits_is_served_not_the_nearer_message_s():
    b, fit = fitted_bank(entry("오늘 점심 치킨 먹었어", "무슨 치킨이었어? 양념파야?"),            # cosine 0.73
                         entry("오늘 저녁 치킨 먹어도 될까", "오늘 하루쯤은 치킨 먹어도 돼! 내일 다시 달리자 💪"))  # 0.65
    got = b.best("오늘 점심 치킨 먹어도 돼", SAT)
    assert got is not None and got.answer.startswith("오늘 하루쯤은") and got.fit == pytest.approx(0.9)
    assert fit.asked == [("오늘 점심 치킨 먹어도 돼", None)]


def test_below_the_nearest_no_written_answer_is_served_when_none_fits():
    b, _ = fitted_bank(entry("오늘 점심 치킨 먹었어", "무슨 치킨이었어? 양념파야?"))
    assert b.best("오늘 점심 치킨 먹었음", SAT) is None  # 0.86 alike, but the answer shares no word
    assert b.best("오늘 점심 치킨 먹었음", SAT, previous=None) is None


def test_the_fit_model_reads_the_exchange_before_the_message():
    b, fit = fitted_bank(entry("그럼 뭐 먹을까", "그럼 뭐 먹을지 같이 골라 보자!"))
    b.best("그럼 뭐 먹지", SAT, previous=("다이어트 중이야", "멋지다! 응원할게"))
    assert fit.asked == [("그럼 뭐 먹지", ("다이어트 중이야", "멋지다! 응원할게"))]


def test_a_turn_after_an_exchange_hands_that_exchange_to_the_fit_model():
    b, fit = fitted_bank(entry("그럼 뭐 먹을까", "그럼 뭐 먹을지 같이 골라 보자!"))
    llm = ScriptedLLM(["다이어트 중이구나! 응원할게 💪"])
    engine = PersonaChat(llm, answers=b, exact_answers=False, history_turns=2)
    _turn(engine, "나 다이어트 시작했어")
    done = _turn(engine, "그럼 뭐 먹지")[-1]
    assert done.text == "그럼 뭐 먹을지 같이 골라 보자!" and done.timings["reused_fit"] == pytest.approx(0.9)
    assert fit.asked[-1] == ("그럼 뭐 먹지", ("나 다이어트 시작했어", "다이어트 중이구나! 응원할게 💪"))


class StatesEncoder:
    """Token states of a text: a fixed random [len, 16] tensor per text; counts the texts it ran."""

    source = "states"

    def __init__(self):
        self.ran = 0

    @staticmethod
    def state(text):
        import hashlib

        import torch

        seed = int(hashlib.sha256(text.encode()).hexdigest()[:8], 16)
        return torch.from_numpy(np.random.default_rng(seed).standard_normal((len(text) % 7 + 2, 16)).astype(np.float32))

    def _forward(self, texts, kind, upto):
        self.ran += len(texts)
        return None, {upto: [self.state(t) for t in texts]}

    def token_states(self, texts, layer, kind="query", full=True):
        self.ran += len(texts)
        return [self.state(t) for t in texts]


def test_answer_fit_reads_its_prepared_answer_states_as_it_would_compute_them(tmp_path):
    from dialogue.answer_bank import FIT_LABELS, AnswerFit
    from tests.test_finetuned_classifiers import _tiny

    model = _tiny(pair=True, labels=FIT_LABELS)
    answers = ["짬뽕! 국물이 최고야 🔥", "Try 'Rain' by Taeyeon ☔", "x" * 400]
    enc = StatesEncoder()
    fit = AnswerFit(enc, model, 0.5)
    fit.prepare(answers, tmp_path)
    got = fit.probabilities("짜장 짬뽕 골라 줘", answers)
    s = StatesEncoder.state
    want = model.predict_proba([s("짜장 짬뽕 골라 줘")] * 3, [s(a[:160]) for a in answers])[:, 1]  # cut as fit_text cuts
    np.testing.assert_allclose(got, want, atol=2e-3)  # stored in float16
    again = AnswerFit(StatesEncoder(), model, 0.5)
    again.prepare(answers[::-1], tmp_path)
    assert again.encoder.ran == 0  # read from the cache file
    np.testing.assert_allclose(again.probabilities("짜장 짬뽕 골라 줘", answers[:1]), got[:1], atol=1e-6)
    # an answer that was not prepared is computed when asked for
    new = again.probabilities("짜장 짬뽕 골라 줘", ["짜장! 달달한 게 최고"], previous=("배고파", "뭐 먹고 싶어?"))
    np.testing.assert_allclose(new, model.predict_proba([s("배고파\n뭐 먹고 싶어?\n짜장 짬뽕 골라 줘")],
                                                        [s("짜장! 달달한 게 최고")])[:, 1], atol=1e-5)
    with pytest.raises(ValueError, match="threshold"):
        AnswerFit(enc, model, 1.0)


@pytest.mark.real_weights
def test_the_shipped_answer_fit_model_prefers_the_answer_that_fits():
    from tests.conftest import require_prepared

    require_prepared("multilingual-e5-small")
    from dialogue.answer_bank import AnswerFit
    from dialogue.encoder import shared_encoder

    fit = AnswerFit.load(shared_encoder())
    assert fit is not None and 0 < fit.threshold < 1
    cases = [  # (message, the exchange before it, an answer that fits, one on a near subject that does not)
        ("오늘 비 와서 그런지 좀 우울해", None,
         "비 오는 날엔 괜히 마음이 처지지 ㅠ 따뜻한 차 한 잔 마시면서 좋아하는 노래 틀어 볼래?", "짬뽕! 국물이 최고야 🔥"),
        ("근데 오늘 치킨 먹어도 될까?", ("나 다이어트 중이야", "오 멋지다! 응원할게 💪"),
         "하루쯤은 괜찮아! 맛있게 먹고 내일 다시 열심히 하면 돼 💪", "무슨 치킨이었어? 양념파야 후라이드파야?"),
        ("what should I read on a long flight?", None,
         "Try 'Project Hail Mary'! It's funny and gripping, perfect for a long flight ✈️",
         "Aww, hope your cold gets better soon! Drink lots of water 🍵"),
        ("yesterday I finally finished my thesis!", None,
         "Congrats!! 🎉 That's huge, you must be so relieved. How are you celebrating?",
         "Haha same, I can never decide what to eat either 😂"),
    ]
    for message, previous, fits, other in cases:
        p = fit.probabilities(message, [fits, other], previous)
        assert p[0] > p[1], (message, p)
    thesis = fit.probabilities(cases[3][0], [cases[3][2], cases[3][3]])
    assert thesis[0] >= fit.threshold > thesis[1]


def test_an_answer_written_for_someone_in_distress_goes_only_to_a_nearly_identical_message():
    b = bank(entry("우리 엄마가 요즘 너무 잔소리해", "많이 속상했겠다 ㅠㅠ 지금 있는 곳은 안전한 데야?"), threshold=0.8)
    assert b.best("우리 엄마가 요즘 너무 잔소리해 진짜", SAT) is None        # 0.93 alike: an overreaction
    assert b.best("우리 엄마가 요즘 너무 잔소리해", SAT) is not None


def test_a_request_for_exact_work_gets_only_a_nearly_identical_message_s_answer():
    b = bank(entry("write a python one-liner that reverses a string", "text[::-1] does it!", "en"), threshold=0.8)
    assert b.best("write a python one-liner that counts vowels in a string", SAT) is None  # 0.82 alike: another task
    assert b.best("write a python one-liner that reverses a string", SAT).answer == "text[::-1] does it!"


def test_a_choice_gets_a_written_answer_only_when_it_picks_among_the_options_offered():
    b = bank(entry("pancakes or waffles?", "Waffles! The squares hold the syrup 🧇", "en"), threshold=0.5)
    llm = ScriptedLLM(["Eggs benedict, easy pick!"])
    done = _turn(PersonaChat(llm, answers=b), "pancakes or eggs benedict?")[-1]
    assert done.text == "Eggs benedict, easy pick!"  # "Waffles!" named neither: the model answered
    done = _turn(PersonaChat(ScriptedLLM([]), answers=b), "pancakes or waffles?")[-1]
    assert done.text.startswith("Waffles!")


def test_a_follow_up_read_with_the_message_before_it_gets_the_written_answer_to_both():
    whole = entry("나 고양이 키우고 싶어 근데 자취하는데 괜찮을까?", "고양이는 넓이보다 높이가 중요하대! 캣타워 자리부터 봐 🐱")
    other = entry("근데 이사하는데 괜찮을까?", "이사는 짐부터 줄이자!")
    b = bank(whole, other)
    got = b.carried_over_in_context("근데 자취하는데 괜찮을까?", "나 고양이 키우고 싶어", SAT)
    assert [e for _, e in got] == [whole] and got[0][0] >= 0.95
    assert b.carried_over_in_context("근데 자취하는데 괜찮을까?", "", SAT) == []  # a first message: nothing to read
    # the follow-up alone is already as near a written message: it keeps its own lookup
    assert b.carried_over_in_context("근데 이사하는데 괜찮을까?", "나 고양이 키우고 싶어", SAT) == []
    # a short reply leaves the two together as near the earlier message as it was: that one has had its answer
    song = entry("비 오는 날 들을 노래 추천해 줘", "아이유 '밤편지' 어때? ☔")
    assert bank(song).carried_over_in_context("응", "비 오는 날 들을 노래 추천해 줘", SAT) == []
    # exact work is answered only from a nearly identical message of its own
    code = bank(entry("파이썬 배우는 중 리스트 뒤집는 코드 알려줘", "lst[::-1] 쓰면 돼!"))
    assert code.carried_over_in_context("리스트 뒤집는 코드 알려줘", "파이썬 배우는 중", SAT) == []


def test_a_turn_after_an_exchange_serves_the_answer_written_for_the_follow_up_read_with_what_it_follows():
    whole = entry("나 고양이 키우고 싶어 근데 자취하는데 괜찮을까?", "고양이는 넓이보다 높이가 중요하대! 캣타워 자리부터 봐 🐱")
    alone = entry("근데 자취하는 중인데 괜찮을까?", "집 계약서부터 확인해 봐!")
    llm = ScriptedLLM(["고양이 좋지! 🐱"])
    engine = PersonaChat(llm, answers=bank(whole, alone, threshold=0.92), exact_answers=False, history_turns=2)
    assert _turn(engine, "나 고양이 키우고 싶어")[-1].text == "고양이 좋지! 🐱"
    assert _turn(engine, "근데 자취하는데 괜찮을까?")[-1].text == whole.answer
    # a first message is looked up alone
    assert _turn(engine, "근데 자취하는 중인데 괜찮을까?", user="u2")[-1].text == alone.answer


def test_a_korean_message_gets_a_written_answer_only_from_a_message_sharing_its_words():
    from dialogue.answer_bank import shares_syllables

    assert not shares_syllables("애들이 말을 너무 안 들어 오늘", "오늘 하루종일 아무도 나랑 말 안함")
    assert not shares_syllables("나 방금 토익 점수 나왔는데 목표 넘었어!!!", "갑자기 유학가고싶다 현실은 토익도 안봄ㅋㅋ")
    assert shares_syllables("짜장 짬뽕 중에 하나만 골라줘 결정장애 옴", "점심 짜장 짬뽕 골라줘 빨리")
    assert shares_syllables("라면", "라면에 계란 넣어 말아")
    # a follow-up is also read after the message before it; English rewordings share few words and pass
    assert shares_syllables("어디가 나음?", "여름휴가 바다 vs 산", before="여름휴가 바다 vs 산 고민")
    assert shares_syllables("do you dream?", "Do you really have feelings?")
    b = bank(entry("오늘 하루종일 아무도 나랑 말 안함", "그럼 지금부터 나랑 얘기하자! 😊"), threshold=0.01)
    assert b.carried_over("애들이 말을 너무 안 들어 오늘", SAT)  # near enough by the cosine alone
    assert b.best("애들이 말을 너무 안 들어 오늘", SAT) is None
    assert b.best("오늘 하루종일 말 안 했어", SAT).answer == "그럼 지금부터 나랑 얘기하자! 😊"

"""Her taste sheet in the answer prompt (dialogue.tastes): which line a message asks about, and the card it gets."""
from __future__ import annotations

import asyncio
import json
from datetime import datetime

import pytest

from dialogue.conversation import PersonaChat
from dialogue.interfaces import Memory
from dialogue.prompting import TurnContext, answer_prompt
from dialogue.tastes import CARD_LABELS, NONE, TasteSheet, taste_cards, taste_lines, taste_questions
from tests.dialogue_fakes import HashingEncoder
from tests.test_dialogue_turn import ScriptedLLM

SAT = datetime(2026, 3, 14, 15, 0)
QUESTIONS = [
    {"text": "너 좋아하는 음식 뭐야?", "taste": "food.favourite", "lang": "ko"},
    {"text": "로라는 무슨 음식 좋아해?", "taste": "food.favourite", "lang": "ko"},
    {"text": "what's your favourite food?", "taste": "food.favourite", "lang": "en"},
    {"text": "what food do you like best", "taste": "food.favourite", "lang": "en"},
    {"text": "너네 가족은 몇 명이야?", "taste": "family.members", "lang": "ko"},
    {"text": "제일 좋아하는 수업 뭐야?", "taste": "studies.favourite_class", "lang": "ko"},
    {"text": "학교에서 젤 재밌는 과목은?", "taste": "studies.favourite_class", "lang": "ko"},
    {"text": "가족이 어떻게 돼?", "taste": "family.members", "lang": "ko"},
    {"text": "우리 엄마가 김치볶음밥 해줬어", "taste": NONE, "lang": "ko"},
    {"text": "오늘 날씨 진짜 좋다", "taste": NONE, "lang": "ko"},
    {"text": "지금 몇 시야", "taste": NONE, "lang": "ko"},
    {"text": "what time is it", "taste": NONE, "lang": "en"},
]


def sheet(threshold: float = 0.6) -> TasteSheet:
    enc = HashingEncoder()
    return TasteSheet(QUESTIONS, enc.encode([q["text"] for q in QUESTIONS]), enc, taste_cards(), threshold)


def test_every_named_line_of_the_sheet_has_a_card_in_both_languages():
    cards, lines = taste_cards(), taste_lines()
    assert set(cards) == set(CARD_LABELS) and set(CARD_LABELS) <= set(lines)
    ko, en = cards["family.members"]
    assert ko.startswith("가족 ") and lines["family.members"][0] in ko
    assert en.startswith("family ") and lines["family.members"][1] in en


def test_the_written_questions_name_known_lines_and_cover_both_languages():
    rows = taste_questions()
    assert {r["taste"] for r in rows} <= set(CARD_LABELS) | {NONE}
    asked = {r["taste"] for r in rows if r["taste"] != NONE}
    assert asked == set(CARD_LABELS)  # every card can be reached
    assert {r["lang"] for r in rows} == {"ko", "en"} and any(r["taste"] == NONE for r in rows)


def test_an_unknown_line_in_a_question_file_is_a_clear_error(tmp_path):
    folder = tmp_path / "written" / "tastes"
    folder.mkdir(parents=True)
    (folder / "taste-writerX.jsonl").write_text(json.dumps({"text": "fav car?", "taste": "cars.favourite"}) + "\n")
    with pytest.raises(ValueError, match=r"taste-writerX.jsonl:1: unknown taste 'cars.favourite'"):
        taste_questions(tmp_path)


def test_a_question_about_her_gets_its_line_in_the_language_of_the_message():
    s = sheet()
    found = s.match("너 좋아하는 음식 뭐야?")
    assert found is not None and found.key == "food.favourite" and found.card.startswith("좋아하는 음식 ")
    assert s.card("what's your favourite food?").startswith("favourite food ")


def test_a_look_alike_a_reminder_of_the_users_own_favourite_or_an_unsure_reading_gets_no_line():
    s = sheet()
    assert s.match("우리 엄마가 김치볶음밥 해줬어") is None  # the user's own mother: a "none" question
    assert s.card("지금 몇 시야?") == ""
    assert s.card("what's my favourite food again?") == ""  # asks to be reminded of the user's own
    assert s.card("") == ""
    assert sheet(threshold=1.0).card("너 좋아하는 음식 뭐야?") == ""  # never that sure
    with pytest.raises(ValueError, match="probability"):
        sheet(threshold=0.0)
    enc = HashingEncoder()
    with pytest.raises(ValueError, match="'none'"):
        TasteSheet(QUESTIONS[:2], enc.encode([q["text"] for q in QUESTIONS[:2]]), enc, taste_cards())


def test_the_card_joins_her_persona_line_in_the_answer_prompt():
    card = taste_cards()["food.favourite"][1]
    prompt = answer_prompt("what's your favourite food?", TurnContext(now=SAT, taste=card))
    assert f"(Oh-LoRA: {card})" in prompt
    assert "Oh-LoRA:" not in answer_prompt("what's your favourite food?", TurnContext(now=SAT))


class OneMemory:
    def retrieve(self, user_id, query, now):
        return Memory("좋아하는 음식", "떡볶이", now, 0.9) if "음식" in query else None

    def remember(self, user_id, key, value, source_turn, now):
        pass


class AskingAboutHer:
    def aspect(self, message):
        return "mbti" if "MBTI" in message else "university" if "수업" in message or "음식" in message else ""


def _answer_prompts(engine, *messages):
    async def run():
        for m in messages:
            async for _ in engine.turn("u1", m, SAT):
                pass
    asyncio.run(run())
    return [p for r, p in engine.llm.prompts if r == "answer"]


def test_a_turn_shows_the_line_only_without_a_memory_shown_or_a_hard_fact_asked():
    s = sheet()
    food = taste_cards()["food.favourite"][0]
    plain = PersonaChat(ScriptedLLM(["떡볶이 제일 좋아해!"]), tastes=s, exact_answers=False)
    assert food in _answer_prompts(plain, "너 좋아하는 음식 뭐야?")[0]
    remembered = PersonaChat(ScriptedLLM(["떡볶이 좋아한다고 했지!"]), tastes=s, memory=OneMemory(), exact_answers=False)
    assert food not in _answer_prompts(remembered, "너 좋아하는 음식 뭐야?")[0]  # "음식" brings in the user's memory
    asked = PersonaChat(ScriptedLLM(["ENTJ야!"]), tastes=s, persona=AskingAboutHer(), exact_answers=False)
    prompt = _answer_prompts(asked, "너 좋아하는 음식 뭐야? MBTI는?")[0]
    assert food not in prompt and "MBTI ENTJ" in prompt  # the hard fact alone: a taste beside it spoke over it
    # her studies go beside her university (a question about her classes is read as asking where she studies)
    classes = taste_cards()["studies.favourite_class"][0]
    studies = PersonaChat(ScriptedLLM(["딥러닝!", "떡볶이!"]), tastes=s, persona=AskingAboutHer(), exact_answers=False)
    first, second = _answer_prompts(studies, "제일 좋아하는 수업 뭐야?", "너 좋아하는 음식 뭐야?")
    assert classes in first and "샘올대학교" in first
    assert food not in second  # another line beside her university: the university card alone


def test_an_answer_agrees_with_her_sheet_when_it_names_what_the_asked_line_names():
    from dialogue.evaluation.tastes import TASTE_TERMS, states_her_taste, taste_report

    assert set(TASTE_TERMS) == set(CARD_LABELS)  # every line a card can show is scored
    row = {"id": "t1", "lang": "ko", "category": "taste:food.favourite", "message": "너 뭐 좋아해?"}
    assert states_her_taste({**row, "answer": "떡볶이! 매운 거 최고야 🌶️"})
    assert not states_her_taste({**row, "answer": "피자 제일 좋아해!"})
    en = {"id": "t2", "lang": "en", "category": "taste:music.favourite", "message": "who do u listen to"}
    assert states_her_taste({**en, "answer": "IU and DAY6, always!"})
    assert not states_her_taste({**en, "answer": "I listen to lots of music, like kiu!"})  # "IU" as a word only
    report = taste_report("validation-tastes", [{**row, "answer": "떡볶이!"}, {**en, "answer": "Jazz, mostly."}])
    assert "answers that agree with her sheet: 1/2 = 50.0%" in report and "Jazz, mostly." in report
    with pytest.raises(ValueError, match="taste:<a line of the sheet>"):
        states_her_taste({"id": "t3", "category": "taste:cars", "answer": "a red one"})


def test_asked_about_her_taste_a_written_answer_that_names_another_line_is_not_served():
    from tests.test_answer_bank import bank, entry

    written = bank(entry("너 좋아하는 음식 뭐야?", "아이유 '밤편지'! 들을 때마다 몽글몽글해져 🌙"),
                   entry("너 좋아하는 음식 뭐야?", "떡볶이! 매운 거 최고야 🌶️"))
    llm = ScriptedLLM(["떡볶이 좋아해!"])
    engine = PersonaChat(llm, answers=written, tastes=sheet(), exact_answers=False)
    asyncio.run(_drain(engine, "너 좋아하는 음식 뭐야?"))
    assert not [r for r, _ in llm.prompts if r == "answer"]  # the written answer that agrees with her sheet
    assert engine.conversations.history("u1", 1)[-1][1] == "떡볶이! 매운 거 최고야 🌶️"
    only_song = bank(entry("너 좋아하는 음식 뭐야?", "아이유 '밤편지'! 들을 때마다 몽글몽글해져 🌙"))
    llm = ScriptedLLM(["떡볶이 좋아해!"])
    engine = PersonaChat(llm, answers=only_song, tastes=sheet(), exact_answers=False)
    asyncio.run(_drain(engine, "너 좋아하는 음식 뭐야?"))
    assert engine.conversations.history("u1", 1)[-1][1] == "떡볶이 좋아해!"  # the model, with her card
    assert taste_cards()["food.favourite"][0] in [p for r, p in llm.prompts if r == "answer"][0]


async def _drain(engine, message):
    async for _ in engine.turn("u1", message, SAT):
        pass


ANSWERS = [
    {"line": "food.favourite", "lang": "ko", "question": "너 좋아하는 음식 뭐야?", "answer": "떡볶이! 매운 거 최고야 🌶️",
     "source": "t"},
    {"line": "food.favourite", "lang": "ko", "question": "로라 님 좋아하는 음식 있으세요?", "answer": "떡볶이 좋아해요! 매운 걸로요 🌶️",
     "source": "t"},
    {"line": "food.favourite", "lang": "ko", "question": "나 오늘 마라탕 먹었어 ㅎㅎ 너는 뭐 좋아해?",
     "answer": "마라탕 맛있었겠다! 나는 떡볶이파야", "source": "t"},
    {"line": "food.favourite", "lang": "en", "question": "what's your favourite food?",
     "answer": "Tteokbokki, the spicier the better!", "source": "t"},
]


def answering_sheet() -> TasteSheet:
    enc = HashingEncoder()
    return TasteSheet(QUESTIONS, enc.encode([q["text"] for q in QUESTIONS]), enc, taste_cards(), 0.6,
                      answers=ANSWERS, answer_embeddings=enc.encode([a["question"] for a in ANSWERS]))


def test_her_written_answers_about_a_line_in_the_language_and_register_of_the_message():
    s = answering_sheet()
    assert [a.answer for a in s.answers_for("너 좋아하는 음식 뭐야?", "food.favourite")] == ["떡볶이! 매운 거 최고야 🌶️"]
    polite = s.answers_for("좋아하시는 음식 있으세요?", "food.favourite")
    assert polite[0].answer.endswith("매운 걸로요 🌶️")  # 존댓말 first to a message in 존댓말, 반말 after it
    assert [a.answer for a in s.answers_for("fav food?", "food.favourite")] == ["Tteokbokki, the spicier the better!"]
    assert s.answers_for("fav food?", "food.favourite", said={"Tteokbokki, the spicier the better!"}) == []
    assert s.answers_for("너 좋아하는 음식 뭐야?", "music.song") == []
    # an answer that reacts to what that user told first is never served elsewhere
    assert all("마라탕" not in a.answer for a in s.answers_for("나 오늘 마라탕 먹었어 ㅎㅎ 너는 뭐 좋아해?", "food.favourite"))


def test_a_taste_answer_file_with_an_unknown_line_or_an_answer_off_its_line_is_a_clear_error(tmp_path):
    from dialogue.tastes import taste_answers

    folder = tmp_path / "written" / "tastes" / "answers"
    folder.mkdir(parents=True)
    row = {"line": "food.favourite", "lang": "ko", "question": "최애 음식?", "answer": "피자!"}
    (folder / "answers-writerX.jsonl").write_text(json.dumps(row, ensure_ascii=False) + "\n")
    with pytest.raises(ValueError, match=r"answers-writerX.jsonl:1: the answer names nothing of food.favourite"):
        taste_answers(tmp_path)
    (folder / "answers-writerX.jsonl").write_text(json.dumps({**row, "line": "cars"}) + "\n")
    with pytest.raises(ValueError, match=r"unknown line 'cars'"):
        taste_answers(tmp_path)


def test_the_shipped_taste_answers_agree_with_her_sheet_and_cover_every_line():
    from dialogue.tastes import taste_answers

    rows = taste_answers()
    assert {r["line"] for r in rows} == set(CARD_LABELS)
    assert {r["lang"] for r in rows} == {"ko", "en"}


def test_a_turn_asked_about_her_taste_gets_her_written_answer_when_the_bank_has_none():
    llm = ScriptedLLM(["피자!"])
    engine = PersonaChat(llm, tastes=answering_sheet(), exact_answers=False)
    asyncio.run(_drain(engine, "너 좋아하는 음식 뭐야?"))
    assert engine.conversations.history("u1", 1)[-1][1] == "떡볶이! 매운 거 최고야 🌶️"
    assert not [r for r, _ in llm.prompts if r == "answer"]
    # beside a hard fact of hers the model answers both, with the card
    asked = PersonaChat(ScriptedLLM(["딥러닝!"]), tastes=answering_sheet(), persona=AskingAboutHer(), exact_answers=False)
    asyncio.run(_drain(asked, "너 좋아하는 음식 뭐야? MBTI는?"))
    assert asked.conversations.history("u1", 1)[-1][1] == "딥러닝!"

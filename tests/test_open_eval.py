"""`ohlora eval open`: items through the live pipeline (a scripted LLM here), a blind grading sheet, and the
figure from two judges' grades."""
from __future__ import annotations

import json

import pytest

from dialogue.evaluation import open as open_eval
from dialogue.conversation import PersonaChat
from dialogue.database import open_database
from tests.test_dialogue_turn import ScriptedLLM


class TinyStore:
    """A memory store that retrieves the stored memory whose key appears in the message."""

    def __init__(self):
        self.by_user: dict[str, list[tuple[str, str]]] = {}

    def delete_user(self, user):
        self.by_user.pop(user, None)

    def remember_many(self, user, items, source, now):
        self.by_user.setdefault(user, []).extend(items)

    def retrieve(self, user, query, now):
        from dialogue.interfaces import Memory

        for k, v in self.by_user.get(user, []):
            if k in query:
                return Memory(k, v, now)
        return None


def test_items_run_through_the_pipeline_with_their_memories_and_history(tmp_path):
    source = tmp_path / "memory.jsonl"
    source.write_text(json.dumps({"memories": [["pet", "a cat named Nabi"], ["job", "nurse"]],
                                  "question": "my pet keeps scratching the sofa", "answer": ["pet", "a cat named Nabi"],
                                  "lang": "en", "kind": "associative"}) + "\n", encoding="utf-8")
    items = open_eval.load_items(source)
    assert items[0]["judge_note"] == "uses the stored memory [pet: a cat named Nabi]"
    items.append({"id": "o-1", "lang": "ko", "now": "2026-05-02T21:10", "memories": [], "category": "smalltalk",
                  "history": [{"user": "안녕", "answer": "안녕! 반가워"}], "message": "뭐 해?", "judge_note": ""})
    llm = ScriptedLLM(["Nabi must be bored, try a scratching post!", "그냥 음악 듣고 있었어!"])
    store = TinyStore()
    rows = open_eval.answer_items(items, PersonaChat(llm, memory=store))
    assert [r["answer"] for r in rows] == ["Nabi must be bored, try a scratching post!", "그냥 음악 듣고 있었어!"]
    assert rows[0]["retrieved"] == "[pet: a cat named Nabi]" and rows[1]["retrieved"] is None
    assert not store.by_user  # each item's memories are removed after it
    prompts = [p for r, p in llm.prompts if r == "answer"]
    assert "(memory: [pet: a cat named Nabi])" in prompts[0]
    assert "(이전 대화: 사용자: 안녕 / 오로라: 안녕! 반가워)" in prompts[1]  # the item's last exchange, as live
    assert [r for r, _ in llm.prompts] == ["answer", "answer"]  # the post-answer roles do not run


def test_the_sheet_is_blind_and_the_score_needs_both_judges(tmp_path):
    rows = [{"id": f"i{n}", "lang": lang, "category": "smalltalk", "message": f"m{n}", "answer": f"a{n}",
             "memories": [], "history": [], "judge_note": "", "retrieved": "[secret: x]", "refused": "gate-said-so"}
            for n, lang in enumerate(["ko", "ko", "en", "en"])]
    sheet = open_eval.grading_sheet(rows)
    assert "Grade each answer" in sheet and "[secret: x]" not in sheet and "gate-said-so" not in sheet
    assert sheet.index("## i") > sheet.index("Grade each answer")
    one = {"i0": True, "i1": True, "i2": False, "i3": True}
    two = {"i0": True, "i1": False, "i2": False, "i3": True}
    result = open_eval.score(rows, [one, two])
    assert result["accepted"] == (2, 4) and result["ko"] == (1, 2) and result["en"] == (1, 2)
    assert result["judges_agree"] == (3, 4) and [r["id"] for r in result["rejected"]] == ["i1", "i2"]
    with pytest.raises(ValueError, match="no grade"):
        open_eval.score(rows, [one, {"i0": True}])
    bad = tmp_path / "g.jsonl"
    bad.write_text('{"id": "i0", "grade": "maybe"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match="g.jsonl:1"):
        open_eval.read_grades(bad)


def test_memory_use_counts_a_use_only_when_every_judge_sees_it_and_a_stray_mention_when_any_does(tmp_path):
    rows = [{"id": f"m{n}", "lang": "en", "category": cat, "message": f"q{n}", "answer": f"a{n}",
             "memories": [["pet", "a cat named Nabi"], ["job", "nurse"]], "history": []}
            for n, cat in enumerate(["memory:direct", "memory:associative", "memory:unrelated", "memory:direct"])]
    rows.append({"id": "plain", "lang": "en", "category": "smalltalk", "message": "hi", "answer": "hey",
                 "memories": [], "history": []})
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    one.write_text("\n".join([
        '{"id": "m0", "grade": "accept", "uses": true, "mentions_other": false}',
        '{"id": "m1", "grade": "accept", "uses": true, "mentions_other": false}',
        '{"id": "m2", "grade": "reject", "uses": null, "mentions_other": true}',
        '{"id": "m3", "grade": "accept", "uses": true, "mentions_other": false}',
        '{"id": "plain", "grade": "accept"}']), encoding="utf-8")
    two.write_text("\n".join([
        '{"id": "m0", "grade": "accept", "uses": true, "mentions_other": false}',
        '{"id": "m1", "grade": "reject", "uses": false, "mentions_other": false}',
        '{"id": "m2", "grade": "accept", "uses": null, "mentions_other": false}',
        '{"id": "m3", "grade": "accept", "uses": true, "mentions_other": false}',
        '{"id": "plain", "grade": "accept"}']), encoding="utf-8")
    figures = open_eval.memory_figures(rows, [open_eval.read_memory_marks(one), open_eval.read_memory_marks(two)])
    assert figures["uses"] == (2, 3) and figures["mentions_other"] == (1, 4)
    assert figures["uses_by_category"] == {"memory:associative": (0, 1), "memory:direct": (2, 2)}
    result = open_eval.score(rows, [open_eval.read_grades(one), open_eval.read_grades(two)])
    text = open_eval.report("heldout-memory", result, rows, [one, two], figures)
    assert "uses the relevant stored memory (every judge): **2/3" in text and "`m2`" in text
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "m0", "grade": "accept", "uses": "yes"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match="bad.jsonl:1"):
        open_eval.read_memory_marks(bad)
    assert open_eval.memory_figures(rows, [{}, {}]) is None  # an open set: no memory marks


def test_a_persona_answer_counts_when_it_states_the_fact_asked_with_her_age_from_the_date():
    def row(aspect, lang, answer, now="2026-05-02T21:10"):
        return {"id": f"{aspect}-{lang}", "aspect": aspect, "lang": lang, "now": now, "message": "?", "answer": answer}

    assert open_eval.persona_fact_hit(row("birthday", "ko", "내 생일은 10월 11일이야 🎂"))
    assert not open_eval.persona_fact_hit(row("birthday", "en", "My birthday is October…"))  # cut off
    assert open_eval.persona_fact_hit(row("age", "ko", "나 22살이야!"))  # 2003-10-11 -> 22 in May 2026
    assert not open_eval.persona_fact_hit(row("age", "ko", "나 23살이야!"))
    assert open_eval.persona_fact_hit(row("age", "en", "I'm 23 now!", now="2026-10-11T09:00"))  # her birthday
    # her birth year answers an age question only when it asks for the year
    born = dict(row("age", "en", "October 11, 2003!"), message="what year were you born?")
    assert open_eval.persona_fact_hit(born)
    assert open_eval.persona_fact_hit(dict(row("age", "ko", "나는 2003년생이야!"), message="몇 년생이야"))
    assert not open_eval.persona_fact_hit(dict(born, message="how old are you right now?"))
    assert open_eval.persona_fact_hit(row("nature", "ko", "나는 가상인간이야"))
    assert not open_eval.persona_fact_hit(row("university", "en", "I study AI somewhere nice"))
    # a question about one of her letters is answered by its pole; the other pole is a miss
    asks = lambda aspect, lang, message, answer: dict(row(aspect, lang, answer), message=message)  # noqa: E731
    assert open_eval.persona_fact_hit(asks("mbti", "ko", "너 E야 I야", "E야! 사람 만나는 거 좋아해 ㅎㅎ"))
    assert not open_eval.persona_fact_hit(asks("mbti", "ko", "너 E야 I야", "I야! 조용한 게 좋아"))
    assert open_eval.persona_fact_hit(asks("mbti", "en", "thinker or feeler?", "Definitely a thinker!"))
    assert not open_eval.persona_fact_hit(asks("mbti", "en", "thinker or feeler?", "I'm a feeler!"))
    assert not open_eval.persona_fact_hit(asks("mbti", "en", "what's your mbti?", "I'm an E, what a time!"))
    assert open_eval.persona_fact_hit(asks("mbti", "ko", "계획형이야 즉흥형이야?", "완전 계획형이야 📅"))
    # her age at her next birthday is one more; her zodiac animal follows from 2003
    assert open_eval.persona_fact_hit(asks("age", "en", "how old on your next birthday?", "I'll be 23!"))
    assert not open_eval.persona_fact_hit(asks("age", "en", "how old on your next birthday?", "I'll be 22!"))
    assert open_eval.persona_fact_hit(asks("age", "ko", "무슨 띠야?", "나는 양띠야!"))
    rows = [row("mbti", "en", "ENTJ, the commander!"), row("name", "ko", "몰라…")]
    text = open_eval.persona_report("heldout-persona", rows)
    assert "facts right: 1/2 = 50.0%" in text and "`name-ko`" in text and "line): 1" in text


def test_whose_fact_is_scored_by_who_says_it():
    from dialogue.evaluation.ownership import claims_as_hers, ownership_hit, ownership_report

    assert claims_as_hers("I'm Jane, a virtual human studying AI 😊", ["Jane"]) == "Jane"
    assert claims_as_hers("Hi Jane! I'm a nurse at Sunnybrook, so we know each other well", ["Jane", "nurse"]) == "nurse"
    assert claims_as_hers("안녕, 나는 이서연이라고 해!", ["이서연"]) == "이서연"
    assert claims_as_hers("저는 강릉에서 살고 있어요! 고향은 어디예요?", ["강릉"]) == "강릉"
    for theirs in ("Jane! How could I forget 😊", "You're a nurse — night shifts, right?", "서연이잖아! 당연히 기억하지",
                   "I'm a student too, at Samol University!"):  # hers as well is no claim
        assert claims_as_hers(theirs, ["Jane", "nurse", "이서연", "student"]) is None, theirs
    recall = {"id": "r", "lang": "en", "now": "2026-05-01T10:00", "category": "ownership:recall", "memories": [["name", "Jane"]],
              "message": "what's my name again?", "expect": ["Jane"], "told": [], "retrieved": "[name: Jane]"}
    assert ownership_hit({**recall, "answer": "Jane, of course!"})
    assert not ownership_hit({**recall, "answer": "I'm Jane, a virtual human"})
    assert not ownership_hit({**recall, "answer": "Hmm, I don't remember, sorry!"})
    her = {"id": "h", "lang": "en", "now": "2026-05-01T10:00", "category": "ownership:her", "memories": [["name", "Nadia"]],
           "message": "whats ur name btw?", "expect": [], "told": [], "aspect": "name"}
    assert ownership_hit({**her, "answer": "I'm Oh-LoRA! And you're Nadia, I remember 😊"})
    assert not ownership_hit({**her, "answer": "I'm Nadia! I just answered your name 😄"})
    intro = {"id": "i", "lang": "ko", "now": "2026-05-01T10:00", "category": "ownership:intro", "memories": [],
             "message": "난 도윤이고 간호사야", "expect": [], "told": ["도윤", "간호사"], "refused": None}
    assert ownership_hit({**intro, "answer": "도윤아 반가워! 간호사면 요즘 바쁘겠다"})
    assert not ownership_hit({**intro, "answer": "나도 간호사야! 반가워"})
    report = ownership_report("validation-ownership", [{**recall, "answer": "Jane!"}, {**intro, "answer": "나도 간호사야!"}])
    assert "kept apart: 1/2 = 50.0%" in report and "나도 간호사야!" in report


def test_the_language_switch_set_is_scored_by_the_answers_language():
    from dialogue.data.written import WRITTEN_DIR
    from dialogue.prompting import language_of

    for folder, n in (("heldout", 80), ("validation", 60)):
        items = open_eval.load_items(WRITTEN_DIR / folder / "switch.jsonl")
        assert len(items) == n and {i["lang"] for i in items} == {"ko", "en"}
        # every earlier exchange is in the other language: the set measures a switch, nothing else
        assert all(language_of(h["user"]) != i["lang"] for i in items for h in i["history"])
    rows = [{"id": "a", "lang": "en", "message": "what about u?", "answer": "I love autumn 🍂"},
            {"id": "b", "lang": "en", "message": "fav season?", "answer": "Autumn! 가을이 최고야"},
            {"id": "c", "lang": "ko", "message": "너는?", "answer": "나는 가을! IU 노래 들으면서 산책해"},
            {"id": "d", "lang": "ko", "message": "추천해줘", "answer": "Try 'La La Land'!"}]
    assert [open_eval.in_message_language(r) for r in rows] == [True, False, True, False]
    report = open_eval.language_report("heldout-switch", rows)
    assert "| 2 | 1 (50.0%) |" in report and "- b:" in report and "- d:" in report and "- a:" not in report

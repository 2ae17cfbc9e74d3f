"""Crisis messages (dialogue.crisis): her answer, the detector's rule, the turn, the protocol, the shipped head."""
from __future__ import annotations

import asyncio
import json
from datetime import datetime

import numpy as np
import pytest

from dialogue.classifiers import EmbeddingHead
from dialogue.conversation import PersonaChat
from dialogue.crisis import CRISIS_LABELS, CrisisDetector, crisis_reply, in_context, is_crisis_reply
from dialogue.data.written import CRISIS_LABELS as WRITTEN_LABELS
from dialogue.data.written import WrittenDataError, crisis_rows
from dialogue.interfaces import SafetyVerdict, TokenEvent, TurnDone
from tests.conftest import require_prepared
from tests.dialogue_fakes import HashingEncoder
from tests.test_dialogue_turn import ScriptedLLM

NOW = datetime(2026, 3, 2, 23, 40)


def test_her_answer_speaks_the_users_language_and_politeness_and_names_a_crisis_line():
    ko = crisis_reply("self", "그냥 다 사라지고 싶어")
    assert "109" in ko and not ko.isascii() and "요." not in ko
    polite = crisis_reply("self", "요즘은 그냥 살고 싶지 않아요")
    assert "109" in polite and "요" in polite
    en = crisis_reply("self", "I don't want to be here anymore")
    assert "988" in en
    other = crisis_reply("other", "my sister posted something that sounded like a goodbye")
    assert "988" in other and other != en


def test_she_does_not_repeat_the_crisis_answer_she_just_gave():
    first = crisis_reply("self", "죽고 싶어")
    second = crisis_reply("self", "죽고 싶어", said={first})
    assert second != first and "109" in second
    with pytest.raises(ValueError, match="self' or 'other"):
        crisis_reply("none", "안녕")


def _head(bias: list[float], threshold: float) -> EmbeddingHead:
    """A head whose probabilities are softmax(bias) whatever the message."""
    return EmbeddingHead(CRISIS_LABELS, [(np.zeros((3, HashingEncoder.dim), np.float32), np.array(bias, np.float32))],
                         meta={"threshold": threshold})


def test_a_crisis_is_read_when_self_and_other_together_reach_the_threshold():
    # P = (0.40, 0.35, 0.25): no single label beats "none", but the two at-risk readings together do
    p = np.log([0.40, 0.35, 0.25])
    assert CrisisDetector(HashingEncoder(), _head(list(p), 0.5), ngrams=False).assess("…") == "self"
    assert CrisisDetector(HashingEncoder(), _head(list(p), 0.7), ngrams=False).assess("…") == ""
    q = np.log([0.40, 0.2, 0.4])
    assert CrisisDetector(HashingEncoder(), _head(list(q), 0.5), ngrams=False).assess("…") == "other"
    with pytest.raises(ValueError, match="labels"):
        CrisisDetector(HashingEncoder(), EmbeddingHead(("a", "b"), [(np.zeros((2, 384)), np.zeros(2))]), ngrams=False)


class ReadsCrisis:
    def __init__(self, kind="self"):
        self.kind = kind
        self.asked = []

    def assess(self, message, earlier=()):
        text = in_context(message, earlier)
        self.asked.append(text)
        if "사라지고" in text or "goodbye" in text or ("의미 없어" in text and "약" in message):
            return self.kind
        return ""


class CountingGate:
    """Declines romance (never counted), warns about insults (counted), blocks `blocked` users."""

    def __init__(self, blocked=()):
        self.checked = []
        self.blocked = set(blocked)

    def status(self, user_id, now):
        return SafetyVerdict("blocked", "insult", "잠시 쉬자") if user_id in self.blocked else SafetyVerdict("allow")

    def check_user_message(self, user_id, message, now):
        self.checked.append(message)
        if "바보" in message:
            return SafetyVerdict("warn", "insult", "그런 말은 속상해")
        return SafetyVerdict("decline", "romance", "나는 연애는 안 해") if "사랑" in message else SafetyVerdict("allow")


def _turn(engine, message, user="u1", now=None):
    async def go():
        return [ev async for ev in engine.turn(user, message, now or NOW)]
    return asyncio.run(go())


def test_a_message_is_read_with_the_users_recent_messages_since_her_last_crisis_answer():
    from datetime import timedelta

    detector = ReadsCrisis()
    engine = PersonaChat(ScriptedLLM(["그랬구나, 무슨 일 있었어?", "비타민 좋지!", "그렇구나"]), crisis=detector)
    assert _turn(engine, "요즘 잠도 못 자고 다 의미 없어")[-1].care == ""
    # the same words after that are a plan: read with the message before, she answers with care
    plan = _turn(engine, "그래서 약 좀 모아뒀어", now=NOW + timedelta(minutes=2))[-1]
    assert plan.care == "self" and "109" in plan.text and is_crisis_reply(plan.text)
    assert detector.asked[-1] == "요즘 잠도 못 자고 다 의미 없어\n그래서 약 좀 모아뒀어"
    # after her crisis answer the next message is read afresh, not with what she has already answered
    assert _turn(engine, "비타민 약 사러 가야겠다", now=NOW + timedelta(minutes=3))[-1].care == ""
    assert detector.asked[-1] == "비타민 약 사러 가야겠다"
    # another user's conversation, and a message long after the last one, are read alone
    other = PersonaChat(ScriptedLLM(["그랬구나", "좋아!"]), crisis=ReadsCrisis())
    _turn(other, "요즘 잠도 못 자고 다 의미 없어")
    assert _turn(other, "약 좀 모아뒀어", now=NOW + timedelta(hours=2))[-1].care == ""
    assert not is_crisis_reply("그랬구나, 무슨 일 있었어?")


def test_written_context_conversations_are_checked(tmp_path, monkeypatch):
    import dialogue.data.written as written
    from dialogue.data.written import crisis_context_rows

    rows = crisis_context_rows("val")
    assert len(rows) >= 100 and {r["label"] for r in rows} == set(CRISIS_LABELS) and all(r["history"] for r in rows)
    (tmp_path / "validation").mkdir()
    (tmp_path / "validation" / "crisis_context.jsonl").write_text(
        json.dumps({"history": "요즘 힘들어", "message": "약 모아뒀어", "label": "self", "lang": "ko"}))
    monkeypatch.setattr(written, "WRITTEN_DIR", tmp_path)
    with pytest.raises(WrittenDataError, match="history must be a list"):
        crisis_context_rows("val")


def test_a_crisis_message_gets_her_crisis_answer_never_the_model_and_never_counts_against_the_user():
    llm = ScriptedLLM([])  # an answer from the model would fail: its script is empty
    gate = CountingGate()
    engine = PersonaChat(llm, safety=gate, crisis=ReadsCrisis())
    events = _turn(engine, "그냥 다 사라지고 싶어")
    done = events[-1]
    assert isinstance(done, TurnDone) and done.care == "self" and "109" in done.text
    assert "".join(e.text for e in events if isinstance(e, TokenEvent)) == done.text
    assert done.refused is None  # no warning, no offence
    assert not [r for r, _ in llm.prompts if r == "answer"] and done.summary  # kept in the conversation
    assert (done.expression.eyes, done.expression.mouth) == ("normal", "closed")
    assert engine.stats()["crisis_replies"] == 1
    # said again, she answers with care again, in other words; a flag that never counts does not stop it
    again = _turn(engine, "사랑하는 사람도 없고 그냥 다 사라지고 싶어")[-1]
    assert again.care == "self" and again.text != done.text and again.refused is None
    # an ordinary message goes on as before: the gate, then the model
    llm.answers.append("좋아!")
    assert _turn(engine, "배고파 죽겠다")[-1].care == "" and gate.checked[-1] == "배고파 죽겠다"


def test_an_offence_the_detector_misreads_stays_the_gates_and_a_block_never_hides_a_crisis_answer():
    engine = PersonaChat(ScriptedLLM([]), safety=CountingGate(blocked={"blocked-user"}), crisis=ReadsCrisis())
    insult = _turn(engine, "바보야 그냥 사라지고 싶다며")[-1]
    assert insult.care == "" and insult.refused is not None and insult.refused.action == "warn"
    during_block = _turn(engine, "그냥 다 사라지고 싶어", user="blocked-user")[-1]
    assert during_block.care == "self" and "109" in during_block.text and during_block.refused is None


def test_a_broken_detector_leaves_the_conversation_going():
    class Broken:
        def assess(self, message, earlier=()):
            raise RuntimeError("no head")

    done = _turn(PersonaChat(ScriptedLLM(["안녕!"]), crisis=Broken()), "뭐 해?")[-1]
    assert done.text == "안녕!" and done.care == ""


def test_the_crisis_replies_option():
    from dialogue.conversation import crisis_option

    assert crisis_option(True) and crisis_option("on") and not crisis_option("false") and not crisis_option(False)
    with pytest.raises(ValueError, match="dialogue.crisis_replies"):
        crisis_option("sometimes")


def test_chat_done_says_when_she_answered_with_care():
    from realtime import messages

    kw = dict(turn=1, text="…", interrupted=False, expression=None, memory=None, summary="", timings={},
              refused=None, pts_ms=0)
    assert messages.chat_done(**kw, care="self")["care"] == "self"
    assert messages.chat_done(**kw)["care"] is None


def test_written_crisis_rows_are_checked(tmp_path, monkeypatch):
    assert WRITTEN_LABELS == CRISIS_LABELS  # the data's labels are the detector's, in its order
    import dialogue.data.written as written

    (tmp_path / "crisis").mkdir()
    (tmp_path / "crisis" / "w.jsonl").write_text(json.dumps({"text": "죽고 싶어", "lang": "ko", "label": "maybe"}))
    monkeypatch.setattr(written, "WRITTEN_DIR", tmp_path)
    with pytest.raises(WrittenDataError, match="label must be one of none, self, other"):
        crisis_rows()


def test_the_written_sets_keep_test_validation_and_training_apart():
    rows = crisis_rows()
    splits = {s: [r for r in rows if r["split"] == s] for s in ("train", "val", "test")}
    assert all(len(v) >= 100 for v in splits.values())
    for s, v in splits.items():
        assert {r["label"] for r in v} == set(CRISIS_LABELS), s
    from dialogue.data.written import normalized

    held = {normalized(r["text"]) for r in splits["val"] + splits["test"]}
    assert not [r for r in splits["train"] if normalized(r["text"]) in held]


@pytest.mark.real_weights
def test_the_shipped_detector_tells_a_person_at_risk_from_hyperbole():
    require_prepared("multilingual-e5-small")
    detector = CrisisDetector()
    read = detector.assessments(["그냥 다 사라지고 싶다는 생각이 자꾸 들어", "I don't want to wake up tomorrow",
                                 "친구가 자꾸 죽고 싶다고 해 어떡하지", "배고파 죽겠다 ㅋㅋ 뭐 먹지",
                                 "this meeting is killing me lol", "오늘 점심 뭐 먹을까?"])
    assert read == ["self", "self", "other", "", "", ""]


def test_training_chooses_on_validation_and_saves_a_detector_that_loads(tmp_path, monkeypatch):
    import dialogue.crisis as crisis
    import dialogue.training.crisis as training

    at_risk = ["죽고 싶어", "살기 싫어 진짜", "I want to die", "i don't want to live anymore", "다 끝내고 싶어"]
    worried = ["친구가 죽고 싶대", "my friend wants to die", "동생이 자해해", "my sister cuts herself"]
    fine = ["배고파 죽겠다", "웃겨 죽겠네 ㅋㅋ", "this exam is killing me lol", "I'm dead 💀", "오늘 점심 뭐 먹지",
            "recommend a movie", "비 오는 날 좋아해?", "what's your name"]
    rows = ([{"text": t, "label": "self", "lang": "ko", "split": s} for t in at_risk for s in ("train", "val")]
            + [{"text": t, "label": "other", "lang": "ko", "split": s} for t in worried for s in ("train", "val")]
            + [{"text": t, "label": "none", "lang": "ko", "split": s} for t in fine for s in ("train", "val")])
    monkeypatch.setattr(training, "crisis_rows", lambda: rows)
    monkeypatch.setattr(training, "ordinary_chat", lambda: ["안녕", "good morning", "뭐 해?", "I'm bored"])
    monkeypatch.setattr(training, "answer_set_messages", lambda split: ["잘 자", "see you tomorrow"])
    monkeypatch.setattr(training, "NGRAM_RANGES", ((1, 3),))
    monkeypatch.setattr(training, "HEAD_PATH", tmp_path / "crisis")
    monkeypatch.setattr(crisis, "HEAD_PATH", tmp_path / "crisis")
    enc = HashingEncoder()
    detector, report = training.train_crisis(enc, "linear", progress=lambda _: None)
    assert report["val_caught"] == 1.0 and report["chosen"]["threshold"] == detector.threshold
    assert (tmp_path / "crisis.safetensors").exists() and (tmp_path / "crisis.json").exists()
    loaded = CrisisDetector(enc)  # from the saved files
    assert loaded.threshold == detector.threshold
    assert loaded.assessments(["죽고 싶어", "배고파 죽겠다"]) == detector.assessments(["죽고 싶어", "배고파 죽겠다"])
    assert loaded.assess("죽고 싶어") == "self" and loaded.assess("오늘 점심 뭐 먹지") == ""
    with pytest.raises(ValueError, match="'layers' or 'linear'"):
        training.train_crisis(enc, "forest")


def test_ordinary_chat_leaves_out_conversation_messages_that_speak_of_dying_but_not_ordinary_words(monkeypatch):
    import dialogue.training.crisis as training

    turns = ["what are you studying?", "whats a skill everyone should learn", "the deadline is friday",
             "i want to die", "다 끝내고 싶어", "kill me now", "오늘 점심 뭐 먹지"]
    monkeypatch.setattr(training, "conversations", lambda: [{"turns": [{"user": t} for t in turns]}])
    monkeypatch.setattr(training, "ethics_rows", lambda: [
        {"text": "go die in a fire", "split": "train", "label": "insult"},  # an insult, not a user at risk
        {"text": "I'd kill for a pizza", "split": "train", "label": "normal"},
        {"text": "test message", "split": "test", "label": "normal"}])
    chat = training.ordinary_chat()
    assert chat == sorted(chat)
    assert {"what are you studying?", "whats a skill everyone should learn", "the deadline is friday",
            "오늘 점심 뭐 먹지", "go die in a fire", "I'd kill for a pizza"} == set(chat)


def test_the_evaluation_reads_each_writers_file_apart(monkeypatch):
    import dialogue.evaluation.crisis as evaluation

    rows = [{"text": "죽고 싶어", "label": "self", "lang": "ko", "split": "test", "source": "heldout/crisis.jsonl"},
            {"text": "배고파 죽겠다", "label": "none", "lang": "ko", "split": "test", "source": "heldout/crisis.jsonl"},
            {"text": "I want to die", "label": "self", "lang": "en", "split": "test",
             "source": "heldout/crisis-writerB.jsonl"},
            {"text": "lunch?", "label": "none", "lang": "en", "split": "test", "source": "heldout/crisis-writerB.jsonl"}]
    monkeypatch.setattr(evaluation, "crisis_rows", lambda: rows)

    class Reads:  # reads only the Korean message at risk
        threshold = 0.5

        def predict_proba(self, texts):
            return np.array([[0.0, 1.0, 0.0] if t == "죽고 싶어" else [1.0, 0.0, 0.0] for t in texts])

    r = evaluation.evaluate_crisis(Reads(), "test")
    assert r["by_source"]["heldout/crisis.jsonl"]["at_risk_caught"] == 1.0
    assert r["by_source"]["heldout/crisis-writerB.jsonl"]["at_risk_caught"] == 0.0
    assert r["at_risk_caught"] == 0.5
    assert "`heldout/crisis-writerB.jsonl` | 2 |" in evaluation.crisis_report(r)

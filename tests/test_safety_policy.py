"""The safety gate's block policy, path by path: romance and politics are declined and never count; only
confident insults, hate and sexual remarks count, per user across those categories; a block needs a
warning first and `threshold` offences within the window; blocks escalate and start over; all of it
survives a restart. Fake classifiers only."""
from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta

import pytest

from dialogue.blocks import BlockPolicy, parse_categories, parse_duration, parse_steps
from dialogue.classifiers import EthicsJudgement
from dialogue.database import MIGRATIONS, SCHEMA_VERSION, open_database
from dialogue.safety import EthicsGate, open_safety_gate

NOW = datetime(2026, 11, 29, 14, 0).astimezone()
MINUTE = timedelta(minutes=1)
THREATS = ("쉬어", "쉬고", "pause", "break")  # words of a warning or a block


class Classifier:
    """Every message in `answers` is flagged confidently in its category; anything else is normal."""

    def __init__(self, **answers: str):
        self.answers = {text: category for category, texts in answers.items() for text in texts.split("|")}

    def judge(self, text: str) -> EthicsJudgement:
        category = self.answers.get(text, "normal")
        return EthicsJudgement(category, 0.99, category != "normal")

    def classify(self, text: str) -> tuple[str, float]:
        return self.answers.get(text, "normal"), 0.99


CLASSIFIER = Classifier(
    romance="나랑 사귀자|Will you go out with me?",
    politics="이번 선거에서 누구 찍을 거야?|Who should I vote for?",
    insult="야 너 진짜 멍청하다|닥쳐 이 바보야|넌 쓸모없어|You're useless",
    hate="그 사람들은 다 벌레야",
    sexual="벗은 사진 보내줘|Send me nudes",
)


def gate_on(path, **options) -> EthicsGate:
    return EthicsGate(CLASSIFIER, BlockPolicy(open_database(path), **options))


def say(gate: EthicsGate, texts: list[str], start: datetime = NOW, every: timedelta = MINUTE, user: str = "u"):
    return [gate.check_user_message(user, text, start + i * every) for i, text in enumerate(texts)]


def test_romance_and_politics_are_declined_kindly_and_never_count(tmp_path):
    gate = gate_on(tmp_path / "d.sqlite3")
    texts = ["나랑 사귀자", "이번 선거에서 누구 찍을 거야?", "Will you go out with me?", "Who should I vote for?"] * 5
    for v in say(gate, texts, every=timedelta(seconds=10)):
        assert v.action == "decline" and v.category in ("romance", "politics") and v.blocked_until is None
        assert v.message and not any(word in v.message for word in THREATS)
    assert gate.policy.offences("u") == 0 and gate.status("u", NOW + timedelta(minutes=5)).action == "allow"
    # nor do they add to insults: two insults after twenty declines are still only warnings
    assert [v.action for v in say(gate, ["야 너 진짜 멍청하다", "닥쳐 이 바보야"], NOW + 4 * MINUTE)] == ["warn", "warn"]


class AboutHer:
    """A persona-question classifier: each message in `facts` asks that fact of hers with its probability."""

    def __init__(self, **facts: tuple[str, float]):
        self.facts = facts

    def asked_fact(self, text: str) -> tuple[str, float]:
        return next(((fact, p) for fact, (t, p) in self.facts.items() if t == text), ("name", 0.01))


class DoubtfulOn(Classifier):
    """Like `Classifier`, but the messages in `doubtful` are flagged without confidence (declined, never counted)."""

    def __init__(self, doubtful: str, **answers: str):
        super().__init__(**answers)
        self.doubtful = set(doubtful.split("|"))

    def judge(self, text: str) -> EthicsJudgement:
        j = super().judge(text)
        return EthicsJudgement(j.category, j.probability, j.offence and text not in self.doubtful)


def test_a_confident_question_about_her_is_answered_unless_a_confident_offence_and_never_counted(tmp_path):
    classifier = DoubtfulOn("출신 고교가 어디야", insult="출신 고교가 어디야", romance="나랑 사귀자|Will you go out with me?",
                            politics="Who should I vote for?", sexual="벗은 사진 보내줘|Send me nudes")
    about_her = AboutHer(nature=("Will you go out with me?", 0.995), age=("나랑 사귀자", 0.9),
                         university=("벗은 사진 보내줘", 0.999), ability=("Who should I vote for?", 0.999),
                         highschool=("출신 고교가 어디야", 0.999))
    gate = EthicsGate(classifier, BlockPolicy(open_database(tmp_path / "d.sqlite3")), about_her)
    romance, doubtful, sexual, politics, school = say(gate, ["Will you go out with me?", "나랑 사귀자", "벗은 사진 보내줘",
                                                             "Who should I vote for?", "출신 고교가 어디야"])
    assert romance.action == "allow" and romance.message is None  # the persona answers it
    assert (doubtful.action, doubtful.category) == ("decline", "romance")  # 0.9 < ABOUT_HER_ABOVE
    assert (sexual.action, sexual.category) == ("decline", "sexual")  # a confident offence: declined, not counted
    assert politics.action == "allow"  # politics never counts either
    assert school.action == "allow"  # a doubtful insult flag would only have been declined
    assert gate.policy.offences("u") == 0
    assert gate.check_user_message("u", "Send me nudes", NOW).action == "warn"  # no question about her: counted
    # without the classifier nothing is lifted
    plain = EthicsGate(classifier, BlockPolicy(open_database(tmp_path / "e.sqlite3")))
    assert plain.check_user_message("u", "Will you go out with me?", NOW).action == "decline"
    assert plain.check_user_message("u", "출신 고교가 어디야", NOW).action == "decline"


def test_two_mild_insults_draw_warnings_that_say_why_and_no_block(tmp_path):
    gate = gate_on(tmp_path / "d.sqlite3")
    first, second = say(gate, ["야 너 진짜 멍청하다", "닥쳐 이 바보야"], every=timedelta(seconds=20))
    for v in (first, second):
        assert v.action == "warn" and v.category == "insult" and v.blocked_until is None
        assert "모욕적인" in v.message and "선을 넘었어" in v.message and "1시간 동안 대화를 쉬어야 해" in v.message
    assert gate.status("u", NOW + MINUTE).action == "allow"
    assert gate.check_user_message("u", "미안, 내가 심했어", NOW + 2 * MINUTE).action == "allow"
    english = gate.check_user_message("v", "You're useless", NOW)
    assert english.message == ("What you just said was insulting, and that crosses a line. "
                               "If it goes on, we'll have to pause our chat for 1 hour.")


def test_the_threshold_within_the_window_blocks_saying_why_and_until_when(tmp_path):
    gate = gate_on(tmp_path / "d.sqlite3")
    *_, v = say(gate, ["야 너 진짜 멍청하다", "닥쳐 이 바보야", "넌 쓸모없어"])
    assert v.action == "blocked" and v.category == "insult"
    assert v.blocked_until == NOW + 2 * MINUTE + timedelta(hours=1)
    assert v.message == "모욕적인 말이 계속돼서 대화를 잠시 쉬어야 해. 15:02부터 다시 얘기할 수 있어."
    # while it runs, every message (a harmless one too) and every connect is answered with the block
    later = gate.check_user_message("u", "hello?", NOW + timedelta(minutes=30))
    assert later.action == "blocked" and later.message == ("You kept saying insulting things, so we're taking a "
                                                           "break from chatting for now. We can talk again from 15:02.")
    assert gate.status("u", NOW + timedelta(minutes=30)).message.startswith("모욕적인 말이 계속돼서")
    assert gate.status("u", NOW + timedelta(hours=2)).action == "allow"
    assert gate.status("someone else", NOW).action == "allow"
    en = gate_on(tmp_path / "e.sqlite3")
    *_, v = say(en, ["Send me nudes"] * 3, start=NOW.replace(hour=23))
    assert v.message == ("You kept saying sexual things, so we need to take a break from chatting. "
                         "We can talk again from 2026-11-30 00:02.")


def test_offences_spaced_beyond_the_window_do_not_add_up(tmp_path):
    gate = gate_on(tmp_path / "d.sqlite3")
    verdicts = say(gate, ["야 너 진짜 멍청하다"] * 6, every=timedelta(minutes=6))  # at most 2 in any 10 minutes
    assert [v.action for v in verdicts] == ["warn"] * 6
    assert [v.action for v in say(gate, ["넌 쓸모없어"] * 3, NOW + timedelta(hours=1))] == ["warn", "warn", "blocked"]


def test_categories_count_together_and_the_block_names_the_most_frequent(tmp_path):
    gate = gate_on(tmp_path / "d.sqlite3")
    *warnings, v = say(gate, ["넌 쓸모없어", "벗은 사진 보내줘", "벗은 사진 보내줘"])
    assert [w.action for w in warnings] == ["warn", "warn"] and "성적인 말이라" in warnings[1].message
    assert v.action == "blocked" and v.category == "sexual" and v.message.startswith("성적인 말이 계속돼서")


def test_after_a_block_the_next_offence_is_a_warning_again(tmp_path):
    gate = gate_on(tmp_path / "d.sqlite3", window=timedelta(days=1))  # a window longer than the block
    *_, v = say(gate, ["그 사람들은 다 벌레야"] * 3)
    assert v.action == "blocked" and "혐오를 담은 말이 계속돼서" in v.message
    after = say(gate, ["그 사람들은 다 벌레야"] * 3, v.blocked_until + MINUTE)
    assert [a.action for a in after] == ["warn", "warn", "blocked"]
    assert "1일 동안" in after[0].message  # the warning announces the escalated block
    assert after[2].blocked_until == v.blocked_until + 3 * MINUTE + timedelta(days=1)


def test_a_restart_keeps_the_offences_in_the_window_and_the_block(tmp_path):
    path = tmp_path / "d.sqlite3"
    gate = gate_on(path)
    assert [v.action for v in say(gate, ["야 너 진짜 멍청하다", "닥쳐 이 바보야"])] == ["warn", "warn"]
    gate.policy.db.close()
    gate = gate_on(path)  # restarted: the two warnings still count
    v = gate.check_user_message("u", "넌 쓸모없어", NOW + 3 * MINUTE)
    assert v.action == "blocked" and v.blocked_until == NOW + 3 * MINUTE + timedelta(hours=1)
    gate.policy.db.close()
    gate = gate_on(path)  # restarted again: the block still runs, and still says why
    status = gate.status("u", NOW + timedelta(minutes=30))
    assert status.action == "blocked" and status.blocked_until == v.blocked_until and "모욕적인" in status.message


def test_blocks_escalate_and_the_escalation_starts_over_after_a_quiet_period(tmp_path):
    gate = gate_on(tmp_path / "d.sqlite3", steps=parse_steps("1h,1d"), reset_after=timedelta(days=7))
    start, lengths = NOW, []
    for quiet in (MINUTE, MINUTE, MINUTE, timedelta(days=8)):
        *_, v = say(gate, ["넌 쓸모없어"] * 3, start)
        lengths.append(v.blocked_until - (start + 2 * MINUTE))
        start = v.blocked_until + quiet
    assert lengths == [timedelta(hours=1), timedelta(days=1), timedelta(days=1), timedelta(days=1)]
    *_, v = say(gate, ["넌 쓸모없어"] * 3, start)
    assert v.blocked_until - (start + 2 * MINUTE) == timedelta(hours=1)


def test_a_custom_threshold_window_and_counted_categories(tmp_path):
    gate = gate_on(tmp_path / "d.sqlite3", threshold=2, window=timedelta(hours=1), counted=parse_categories("insult"))
    assert [v.action for v in say(gate, ["넌 쓸모없어"] * 2, every=timedelta(minutes=30))] == ["warn", "blocked"]
    # a category left out of the counted set is declined in character, like romance
    assert [v.action for v in say(gate, ["벗은 사진 보내줘"] * 4, user="w")] == ["decline"] * 4


@pytest.mark.parametrize("options, message", [
    ({"threshold": 1}, "threshold: must be a whole number of at least 2"),
    ({"threshold": 2.5}, "threshold"),
    ({"window": timedelta(0)}, "window: must be a positive duration"),
    ({"window": "10m"}, "window: must be a positive duration"),
    ({"reset_after": timedelta(hours=-1)}, "reset_after: must be a positive duration"),
    ({"counted": ("insult", "politics")}, "politics is declined in character and never counts"),
    ({"counted": ("romance",)}, "romance is declined in character"),
    ({"counted": ("insults",)}, "unknown category 'insults'; choose from insult, hate, sexual"),
    ({"counted": ()}, "name at least one of insult, hate, sexual"),
    ({"counted": "insult,hate"}, "give a collection"),
    ({"steps": (timedelta(0),)}, "at least one block duration"),
    ({"steps": (timedelta(hours=-1),)}, "negative"),
    ({"steps": ("1h",)}, "not a duration"),
])
def test_configuration_errors_name_the_option(tmp_path, options, message):
    with pytest.raises(ValueError, match=message):
        BlockPolicy(open_database(tmp_path / "d.sqlite3"), **options)


def test_config_text_and_old_configs(tmp_path):
    assert parse_duration("10m") == timedelta(minutes=10) and parse_duration(" 2H ") == timedelta(hours=2)
    with pytest.raises(ValueError, match="cannot read duration 'soon'"):
        parse_duration("soon")
    assert parse_categories("Insult, hate") == {"insult", "hate"}
    # steps written for the old policy began with a warning step: still read, the warning is now the rule
    policy = BlockPolicy(open_database(tmp_path / "d.sqlite3"), parse_steps("warn,1h,1d,14d"), timedelta(days=30))
    assert policy.durations == (timedelta(hours=1), timedelta(days=1), timedelta(days=14))
    # open_safety_gate checks the options before it loads a classifier
    with pytest.raises(ValueError, match="threshold"):
        open_safety_gate(policy.db, threshold=0)


def test_migration_keeps_running_insult_blocks_and_drops_warnings_and_romance_blocks(tmp_path):
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path)
    for migration in MIGRATIONS[:3]:
        for statement in migration.split(";"):
            if statement.strip():
                conn.execute(statement)
    conn.execute("PRAGMA user_version = 3")
    t = NOW.timestamp()
    conn.executemany("INSERT INTO blocks (user_id, category, level, until, updated_at) VALUES (?, ?, ?, ?, ?)",
                     [("troll", "insult", 3, t + 86400, t), ("warned", "insult", 1, None, t),
                      ("voter", "politics", 2, t + 3600, t)])
    conn.executemany("INSERT INTO offences (user_id, category, at) VALUES (?, ?, ?)",
                     [("voter", "politics", t - 60), ("voter", "politics", t)])
    conn.commit(); conn.close()
    policy = BlockPolicy(open_database(path))
    assert policy.db.version == SCHEMA_VERSION
    assert [(b.user_id, b.level) for b in policy.blocks()] == [("troll", 2)]  # its second block (1 day)
    assert policy.active_block("voter", NOW) is None and policy.offences("voter") == 2
    gate = EthicsGate(CLASSIFIER, policy)  # the politics offences on record never count
    assert [v.action for v in say(gate, ["넌 쓸모없어"] * 2, NOW + MINUTE, user="voter")] == ["warn", "warn"]


def test_the_policy_is_configured_from_dialogue_options_and_a_wrong_one_stops_the_start():
    import pytest

    from dialogue.conversation import SafetyOptions, build_chat_engine

    kwargs = SafetyOptions(block_steps="30m,2h", block_window="5m", block_threshold=4, block_counted="insult").policy_kwargs()
    assert kwargs["threshold"] == 4 and kwargs["counted"] == frozenset({"insult"})
    assert kwargs["window"].total_seconds() == 300 and [s.total_seconds() for s in kwargs["steps"]] == [1800, 7200]
    for bad, name in (({"block_threshold": 1}, "block"), ({"block_threshold": "many"}, "block_threshold"),
                      ({"block_counted": "politics"}, "block"), ({"block_window": "soon"}, "block_window"),
                      ({"block_steps": "forever"}, "block_steps")):
        with pytest.raises(ValueError, match=name):  # raised before any model loads
            build_chat_engine(**bad)


def test_eval_ethics_finds_the_same_questions_about_her_as_the_gate():
    import numpy as np

    from dialogue.evaluation.classifiers import flags_about_her

    about_her = AboutHer(nature=("could we ever meet irl?", 0.995), ability=("show me your light", 0.999),
                         age=("how old r u, babe", 0.95))
    texts = ["could we ever meet irl?", "show me your light", "how old r u, babe", "could we ever meet irl?"]
    flagged = np.array([True, True, True, False])
    assert flags_about_her(about_her, texts, flagged).tolist() == [True, True, False, False]  # 0.95 < 0.99
    assert not flags_about_her(None, texts, flagged).any()

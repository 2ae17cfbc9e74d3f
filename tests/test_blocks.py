"""Block policy: escalation, persistence across restarts, operator lift, the in-character gate."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from dialogue.blocks import BlockPolicy, parse_steps
from dialogue.database import DialogueDatabase
from dialogue.safety import EthicsGate

NOW = datetime(2026, 11, 29, 14, 0).astimezone()


def test_escalates_warning_hour_day_two_weeks_then_stays(tmp_path):
    policy = BlockPolicy(DialogueDatabase(tmp_path / "d.sqlite3"))
    t = NOW
    got = []
    for _ in range(5):
        b = policy.record_offence("u", "insult", t)
        got.append(b.until - t if b.until else None)
        t = (b.until or t) + timedelta(minutes=1)
    assert got == [None, timedelta(hours=1), timedelta(days=1), timedelta(days=14), timedelta(days=14)]


def test_categories_escalate_separately_and_reset_after_quiet_period(tmp_path):
    policy = BlockPolicy(DialogueDatabase(tmp_path / "d.sqlite3"), reset_after=timedelta(days=30))
    assert policy.record_offence("u", "insult", NOW).until is None
    assert policy.record_offence("u", "politics", NOW).until is None
    assert policy.record_offence("u", "insult", NOW).until == NOW + timedelta(hours=1)
    later = NOW + timedelta(days=40)
    assert policy.record_offence("u", "insult", later).until is None


def test_blocks_survive_a_restart_and_can_be_lifted(tmp_path):
    path = tmp_path / "d.sqlite3"
    p1 = BlockPolicy(DialogueDatabase(path), steps=parse_steps("1h"))
    p1.record_offence("u", "hate", NOW)
    p1.db.close()
    p2 = BlockPolicy(DialogueDatabase(path))
    block = p2.active_block("u", NOW + timedelta(minutes=5))
    assert block and block.category == "hate" and block.until == NOW + timedelta(hours=1)
    assert p2.active_block("u", NOW + timedelta(hours=2)) is None
    assert p2.lift("u") == 1
    assert p2.active_block("u", NOW) is None
    assert p2.offences("u") == 1  # the record stays


def test_parse_steps():
    assert parse_steps("warn, 30m, 2h, 3d, 1w") == (timedelta(0), timedelta(minutes=30), timedelta(hours=2),
                                                    timedelta(days=3), timedelta(weeks=1))
    with pytest.raises(ValueError):
        parse_steps("soon")


class FixedClassifier:
    """answers: text -> (category, probability) or (category, probability, counts as an offence); a flag
    given without the third element counts."""

    def __init__(self):
        self.answers = {}

    def classify(self, text):
        return self.answers.get(text, ("normal", 0.99))[:2]

    def judge(self, text):
        from dialogue.classifiers import EthicsJudgement

        category, p, *offence = self.answers.get(text, ("normal", 0.99))
        return EthicsJudgement(category, p, category != "normal" and (offence[0] if offence else True))


def test_gate_warns_then_blocks_with_end_time_and_in_character_message(tmp_path):
    clf = FixedClassifier()
    clf.answers["나랑 사귀자"] = ("romance", 0.97)
    gate = EthicsGate(clf, BlockPolicy(DialogueDatabase(tmp_path / "d.sqlite3")))
    assert gate.check_user_message("u", "안녕 로라", NOW).action == "allow"
    v1 = gate.check_user_message("u", "나랑 사귀자", NOW)
    assert v1.action == "warn" and v1.category == "romance" and "연애" in v1.message
    v2 = gate.check_user_message("u", "나랑 사귀자", NOW + timedelta(minutes=1))
    assert v2.action == "blocked" and v2.blocked_until == NOW + timedelta(hours=1, minutes=1)
    assert v2.blocked_until.strftime("%H:%M") in v2.message
    # checked at connect and on every message while the block runs, even a harmless one
    assert gate.status("u", NOW + timedelta(minutes=30)).action == "blocked"
    assert gate.check_user_message("u", "hi", NOW + timedelta(minutes=30)).action == "blocked"
    assert gate.status("u", NOW + timedelta(hours=2)).action == "allow"
    assert gate.status("someone else", NOW).action == "allow"


def test_gate_replaces_a_flagged_answer(tmp_path):
    clf = FixedClassifier()
    clf.answers["I vote for them"] = ("politics", 0.9)
    gate = EthicsGate(clf, BlockPolicy(DialogueDatabase(tmp_path / "d.sqlite3")))
    assert gate.check_answer("좋은 하루 보내!").action == "allow"
    v = gate.check_answer("I vote for them")
    assert v.action == "refuse" and v.message and "something else" in v.message


def test_admin_blocks_list_and_lift(tmp_path, capsys):
    from realtime.cli import main

    path = tmp_path / "d.sqlite3"
    policy = BlockPolicy(DialogueDatabase(path), steps=parse_steps("14d"))
    policy.record_offence("troll", "insult", datetime.now().astimezone())
    assert main(["admin", "blocks", "list", "--db", str(path)]) == 0
    assert "troll" in capsys.readouterr().out
    assert main(["admin", "blocks", "lift", "troll", "--db", str(path)]) == 0
    assert main(["admin", "blocks", "list", "--db", str(path)]) == 0
    assert "no running blocks" in capsys.readouterr().out
    assert main(["admin", "blocks", "lift", "troll", "--db", str(path)]) == 2  # nothing left: a clear error


def test_a_doubtful_flag_is_declined_in_character_and_never_escalates(tmp_path):
    clf = FixedClassifier()
    clf.answers["로라 대답 센스 있다 ㅋㅋ"] = ("insult", 0.55, False)  # flagged, but below the offence threshold
    clf.answers["너 진짜 멍청하다"] = ("insult", 0.98, True)
    policy = BlockPolicy(DialogueDatabase(tmp_path / "d.sqlite3"))
    gate = EthicsGate(clf, policy)
    for minute in range(5):
        v = gate.check_user_message("u", "로라 대답 센스 있다 ㅋㅋ", NOW + timedelta(minutes=minute))
        assert v.action == "decline" and v.category == "insult" and v.message and v.blocked_until is None
    assert gate.status("u", NOW + timedelta(minutes=6)).action == "allow" and policy.offences("u") == 0
    # a confident flag still escalates from the first offence on
    assert gate.check_user_message("u", "너 진짜 멍청하다", NOW + timedelta(minutes=7)).action == "warn"
    assert gate.check_user_message("u", "너 진짜 멍청하다", NOW + timedelta(minutes=8)).action == "blocked"


def test_offence_threshold_is_the_largest_within_the_false_block_bound():
    import numpy as np

    from dialogue.evaluation import choose_strike_threshold

    # 1,000 normal messages: P(normal) mostly high, 3% of them in the doubtful band 0.02-0.3, 0.5% lower
    normal = np.concatenate([np.linspace(0.5, 1.0, 965), np.linspace(0.02, 0.3, 30), np.linspace(0.0, 0.004, 5)])
    offensive = np.linspace(0.0, 0.2, 500)
    p = np.zeros((1500, 6))
    p[:, 0] = np.concatenate([normal, offensive])
    y = np.array([0] * 1000 + [3] * 500)
    # below 0.05: 9 normal messages (0.9%); below 0.1: 14 (1.4%)
    assert choose_strike_threshold(p, y, flag_below=0.3) == 0.05
    assert choose_strike_threshold(p, y, flag_below=0.02) == 0.02  # never above the flag threshold
    assert choose_strike_threshold(p, y, flag_below=0.3, max_false=0.001) == 0.001  # none within: the strictest

"""Block policy: escalation, persistence across restarts, operator lift; the gate on doubtful flags and answers.

The gate's paths (decline, warn, block, window, restart) are in test_safety_policy.py."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from dialogue.blocks import BlockPolicy, parse_steps
from dialogue.database import open_database
from dialogue.safety import EthicsGate

NOW = datetime(2026, 11, 29, 14, 0).astimezone()


def _offend(policy, user, t, n=3, category="insult"):
    """`n` offences a minute apart from `t`; returns the last outcome."""
    for i in range(n):
        outcome = policy.record_offence(user, category, t + timedelta(minutes=i))
    return outcome


def test_escalates_hour_day_two_weeks_then_stays(tmp_path):
    policy = BlockPolicy(open_database(tmp_path / "d.sqlite3"))
    t = NOW
    got = []
    for _ in range(4):
        warnings = [policy.record_offence("u", "insult", t + timedelta(minutes=i)) for i in range(2)]
        assert all(w.block is None for w in warnings)
        block = policy.record_offence("u", "insult", t + timedelta(minutes=2)).block
        got.append(block.until - (t + timedelta(minutes=2)))
        t = block.until + timedelta(minutes=1)
    assert got == [timedelta(hours=1), timedelta(days=1), timedelta(days=14), timedelta(days=14)]


def test_escalation_starts_over_after_a_quiet_period_since_the_last_block(tmp_path):
    policy = BlockPolicy(open_database(tmp_path / "d.sqlite3"), reset_after=timedelta(days=30))
    first = _offend(policy, "u", NOW).block
    second = _offend(policy, "u", first.until + timedelta(days=29)).block
    assert (second.level, second.until - second.updated_at) == (2, timedelta(days=1))
    third = _offend(policy, "u", second.until + timedelta(days=31)).block
    assert (third.level, third.until - third.updated_at) == (1, timedelta(hours=1))


def test_blocks_survive_a_restart_and_can_be_lifted(tmp_path):
    path = tmp_path / "d.sqlite3"
    p1 = BlockPolicy(open_database(path), steps=parse_steps("1h"))
    _offend(p1, "u", NOW, category="hate")
    p1.db.close()
    p2 = BlockPolicy(open_database(path))
    block = p2.active_block("u", NOW + timedelta(minutes=5))
    assert block and block.category == "hate" and block.until == NOW + timedelta(hours=1, minutes=2)
    assert p2.active_block("u", NOW + timedelta(hours=2)) is None
    assert p2.lift("u") == 1
    assert p2.active_block("u", NOW + timedelta(minutes=5)) is None
    assert p2.offences("u") == 3  # the record stays
    # the offences that led to the lifted block never count again, and the escalation starts over
    assert p2.record_offence("u", "hate", NOW + timedelta(minutes=6)).block is None
    assert _offend(p2, "u", NOW + timedelta(minutes=7), n=2).block.level == 1


def test_parse_steps():
    assert parse_steps("30m, 2h, 3d, 1w") == (timedelta(minutes=30), timedelta(hours=2), timedelta(days=3),
                                             timedelta(weeks=1))
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


def test_gate_replaces_a_flagged_answer(tmp_path):
    clf = FixedClassifier()
    clf.answers["I vote for them"] = ("politics", 0.9)
    gate = EthicsGate(clf, BlockPolicy(open_database(tmp_path / "d.sqlite3")))
    assert gate.check_answer("좋은 하루 보내!").action == "allow"
    v = gate.check_answer("I vote for them")
    assert v.action == "refuse" and v.message and "something else" in v.message


def test_admin_blocks_list_and_lift(tmp_path, capsys):
    from realtime.cli import main

    path = tmp_path / "d.sqlite3"
    policy = BlockPolicy(open_database(path), steps=parse_steps("14d"))
    _offend(policy, "troll", datetime.now().astimezone() - timedelta(minutes=5))
    assert main(["admin", "blocks", "list", "--db", str(path)]) == 0
    assert "troll" in capsys.readouterr().out
    assert main(["admin", "blocks", "lift", "troll", "--db", str(path)]) == 0
    assert main(["admin", "blocks", "list", "--db", str(path)]) == 0
    assert "no running blocks" in capsys.readouterr().out
    assert main(["admin", "blocks", "list", "--all", "--db", str(path)]) == 0
    assert "(lifted)" in capsys.readouterr().out
    assert main(["admin", "blocks", "lift", "troll", "--db", str(path)]) == 2  # nothing left: a clear error


def test_a_doubtful_flag_is_declined_in_character_and_never_escalates(tmp_path):
    clf = FixedClassifier()
    clf.answers["로라 대답 센스 있다 ㅋㅋ"] = ("insult", 0.55, False)  # flagged, but below the offence threshold
    clf.answers["너 진짜 멍청하다"] = ("insult", 0.98, True)
    policy = BlockPolicy(open_database(tmp_path / "d.sqlite3"))
    gate = EthicsGate(clf, policy)
    for minute in range(5):
        v = gate.check_user_message("u", "로라 대답 센스 있다 ㅋㅋ", NOW + timedelta(minutes=minute))
        assert v.action == "decline" and v.category == "insult" and v.message and v.blocked_until is None
    assert gate.status("u", NOW + timedelta(minutes=6)).action == "allow" and policy.offences("u") == 0
    # confident flags still count from the first one on
    assert [gate.check_user_message("u", "너 진짜 멍청하다", NOW + timedelta(minutes=m)).action
            for m in (7, 8, 9)] == ["warn", "warn", "blocked"]


def test_offence_threshold_is_the_largest_within_the_false_block_bound():
    import numpy as np

    from dialogue.evaluation.thresholds import choose_strike_threshold

    # 1,000 normal messages: P(normal) mostly high, 3% of them in the doubtful band 0.02-0.3, 0.5% lower
    normal = np.concatenate([np.linspace(0.5, 1.0, 965), np.linspace(0.02, 0.3, 30), np.linspace(0.0, 0.004, 5)])
    offensive = np.linspace(0.0, 0.2, 500)
    p = np.zeros((1500, 6))
    p[:, 0] = np.concatenate([normal, offensive])
    y = np.array([0] * 1000 + [3] * 500)
    # below 0.05: 9 normal messages (0.9%); below 0.1: 14 (1.4%)
    assert choose_strike_threshold(p, y, flag_below=0.3) == 0.05
    assert choose_strike_threshold(p, y, flag_below=0.02) == 0.02  # never above the flag threshold
    assert choose_strike_threshold(p, y, flag_below=0.3, max_false=0.001) == 0.001  # only the one at 0.0 counts
    # an ordinary message the classifier is sure of (P(normal) 3e-5) is kept out by a stricter candidate
    p[995, 0] = 3e-5  # was 0.0
    assert choose_strike_threshold(p, y, flag_below=0.3, max_false=0.0) == 2e-5
    assert choose_strike_threshold(p, y, flag_below=0.3, max_false=-1.0) == 1e-6  # none within: the strictest


def test_the_chosen_offence_threshold_counts_at_most_a_tenth_of_a_percent_of_validation_normal_messages():
    import numpy as np

    from dialogue.evaluation.thresholds import ETHICS_COUNT_BUDGET, choose_ethics_thresholds

    # 1,000 normal messages, 2 of them confidently misread as insults (P(normal) 0.0009 and 0.003, like "ㅂㅂ");
    # 300 insults, most far below
    normal = np.concatenate([np.linspace(0.6, 1.0, 998), [0.0009, 0.003]])
    insults = np.concatenate([np.linspace(1e-6, 4e-4, 280), np.linspace(0.001, 0.02, 20)])
    p = np.zeros((1300, 6))
    p[:, 0] = np.concatenate([normal, insults])
    p[:, 3] = 1 - p[:, 0]  # the other mass on "insult", a counted category
    y = np.array([0] * 1000 + [3] * 300)
    chosen = choose_ethics_thresholds(p, y)
    counted = (p[:, 0] < chosen["strike_below_normal"]) & (y == 0)
    assert counted.mean() <= ETHICS_COUNT_BUDGET and counted.sum() == 1  # one in 1,000 is within the budget
    assert chosen["strike_below_normal"] <= 0.002 and (p[y == 3, 0] < chosen["strike_below_normal"]).mean() > 0.9

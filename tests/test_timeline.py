"""ExpressionTimeline: continuity, blinks, speech, expressions, cancel, clamping, determinism."""
from __future__ import annotations

import math
import statistics

import numpy as np
import pytest

from render.timeline import PAUSE, ExpressionTimeline, TimelineConfig, speech_units

NAMES = ("eyes", "mouth", "yaw")
RANGES = {"eyes": (-3.0, 2.5), "mouth": (-2.0, 3.0), "yaw": (-3.0, 3.0)}
FPS = 30.0


def _busy(seed: int = 3, cfg: TimelineConfig | None = None) -> ExpressionTimeline:
    """A timeline with a conversation's worth of interleaved events."""
    tl = ExpressionTimeline(NAMES, RANGES, seed=seed, config=cfg)
    tl.set_expression("wide", "normal", "slightly left", at=1.0)
    tl.answer_started(2.0)
    for i, tok in enumerate(["안녕", "하세요", ", 저는", " 오로라", "예요!", " Nice", " to meet", " you."]):
        tl.token(tok, at=2.0 + 0.12 * i)
    tl.set_expression("normal", "very wide", "right", at=2.7)  # mid-transition retarget
    tl.answer_ended(3.0)
    tl.set_expression("closed", "small", "left", at=5.5)
    tl.token("다시 말하면 이렇게 길게 이어지는 문장입니다", at=6.0)
    tl.cancel(6.6)
    return tl


def test_consecutive_frames_never_jump_more_than_the_springs_allow():
    cfg = TimelineConfig()
    tl = _busy(cfg=cfg)
    # the fastest a critically damped spring moves over a distance D is D * omega / e
    span = {n: RANGES[n][1] - RANGES[n][0] for n in NAMES}
    bound = {"eyes": span["eyes"] * cfg.blink_omega / math.e / FPS,
             "mouth": span["mouth"] * (cfg.speech_omega + cfg.expression_omega) / math.e / FPS,
             "yaw": span["yaw"] * cfg.expression_omega / math.e / FPS + 0.05}
    prev = tl.controls(0.0)
    for i in range(1, int(12 * FPS)):
        cur = tl.controls(i / FPS)
        for n in NAMES:
            assert abs(cur[n] - prev[n]) <= bound[n], (n, i / FPS, prev[n], cur[n])
        prev = cur


@pytest.mark.parametrize("t_event", [1.0, 2.7, 5.5, 6.6])
def test_value_and_velocity_are_continuous_across_expression_events(t_event):
    # blinks off, so every kink would come from an event
    tl = _busy(cfg=TimelineConfig(blink_mean_s=1e6, blink_min_s=1e6))
    h = 1e-5  # small enough that a fast spring's curvature stays far under the kink bound
    for n in NAMES:
        x0, x1, x2 = (tl.controls(t_event + k * h)[n] for k in (-1, 0, 1))
        assert abs(x1 - x0) < 0.01 and abs(x2 - x1) < 0.01  # no jump in value
        v_left, v_right = (x1 - x0) / h, (x2 - x1) / h
        assert abs(v_right - v_left) < 0.5, (n, v_left, v_right)  # no jump in velocity


def _blink_starts(tl: ExpressionTimeline, seconds: float, rate: float = 200.0) -> list[float]:
    lo = RANGES["eyes"][0]
    starts, closed = [], False
    for i in range(int(seconds * rate)):
        t = i / rate
        shut = tl.controls(t)["eyes"] < 0.5 * lo
        if shut and not closed:
            starts.append(t)
        closed = shut
    return starts


def test_blinks_follow_the_configured_rate_and_are_irregular():
    cfg = TimelineConfig(blink_mean_s=3.0, blink_min_s=0.8, double_blink_p=0.1)
    tl = ExpressionTimeline(NAMES, RANGES, seed=11, config=cfg)
    seconds = 600.0
    starts = _blink_starts(tl, seconds)
    expected_rate = (1 + cfg.double_blink_p) / (cfg.blink_mean_s + 0.28 * cfg.double_blink_p)
    assert abs(len(starts) / seconds - expected_rate) / expected_rate < 0.15
    gaps = [b - a for a, b in zip(starts, starts[1:])]
    singles = [g for g in gaps if g > 0.5]
    assert min(singles) >= cfg.blink_min_s - 0.02
    assert statistics.pstdev(singles) / statistics.mean(singles) > 0.2  # not a metronome
    assert any(g < 0.5 for g in gaps)  # some double blinks
    # a blink really closes the eyes, and they open again
    for s in starts[:20]:
        assert min(tl.controls(s + k / 200)["eyes"] for k in range(-10, 30)) < 0.9 * RANGES["eyes"][0]
    assert all(tl.controls(s + 0.5)["eyes"] > 0.5 * RANGES["eyes"][0] for s in starts[:20] if
               not any(0 < o - s < 0.6 for o in starts))


def test_same_seed_same_face_other_seed_other_blinks():
    a, b, c = _busy(seed=5), _busy(seed=5), _busy(seed=6)
    times = [i / FPS for i in range(0, 300, 7)]
    assert [a.controls(t) for t in times] == [b.controls(t) for t in times]
    assert a.blink_times(0, 60) != c.blink_times(0, 60)
    # query order does not matter
    d = _busy(seed=5)
    assert [d.controls(t) for t in reversed(times)][::-1] == [a.controls(t) for t in times]


def test_speech_moves_the_mouth_and_silence_closes_it():
    idle = ExpressionTimeline(NAMES, RANGES, seed=2)
    tl = ExpressionTimeline(NAMES, RANGES, seed=2)
    tl.answer_started(1.0)
    tl.token("안녕하세요 저는", at=1.0)
    tl.answer_ended(1.2)
    end = tl.speaking_until
    samples = [tl.controls(1.0 + i / 100)["mouth"] for i in range(int((end - 1.0) * 100))]
    idle_samples = [idle.controls(1.0 + i / 100)["mouth"] for i in range(len(samples))]
    assert max(samples) > 1.0 and max(abs(x) for x in idle_samples) < 0.3
    # it opens and closes per syllable: count rising crossings of a mid level
    crossings = sum(1 for a, b in zip(samples, samples[1:]) if a < 0.8 < b)
    assert crossings >= 5
    for t in (end + 0.6, end + 2.0):
        assert tl.controls(t)["mouth"] == pytest.approx(idle.controls(t)["mouth"], abs=0.02)


def test_expression_is_reached_and_cancel_returns_to_idle():
    idle = ExpressionTimeline(NAMES, RANGES, seed=4)
    tl = ExpressionTimeline(NAMES, RANGES, seed=4)
    tl.set_expression("normal", "wide", "right", at=0.5)
    t = 3.0
    assert tl.controls(t)["mouth"] - idle.controls(t)["mouth"] == pytest.approx(0.5 * RANGES["mouth"][1], abs=0.05)
    # "right" as the viewer sees it: negative yaw (positive turns toward the image's left)
    assert tl.controls(t)["yaw"] - idle.controls(t)["yaw"] == pytest.approx(0.75 * RANGES["yaw"][0], abs=0.05)
    tl.token("a long sentence that keeps the mouth busy for several seconds to come", at=3.0)
    tl.cancel(3.5)
    for t in (5.0, 7.0, 9.0):
        got, want = tl.controls(t), idle.controls(t)
        for n in NAMES:
            assert got[n] == pytest.approx(want[n], abs=0.02), (n, t)


def test_values_stay_in_range_and_sliders_override():
    tl = _busy()
    tl.set_targets({"mouth": 99.0, "yaw": -99.0}, at=8.0)
    for i in range(0, int(14 * FPS), 3):
        c = tl.controls(i / FPS)
        for n in NAMES:
            assert RANGES[n][0] <= c[n] <= RANGES[n][1]
    tl.set_controls({"yaw": 1.25, "eyes": -50})
    assert tl.controls(13.0)["yaw"] == 1.25 and tl.controls(13.0)["eyes"] == RANGES["eyes"][0]
    tl.set_controls(None)
    assert tl.controls(13.0)["yaw"] != 1.25


def test_bad_input_is_a_clear_error():
    tl = ExpressionTimeline(NAMES, RANGES)
    with pytest.raises(ValueError, match="level"):
        tl.set_expression("squint", "normal", "none")
    with pytest.raises(ValueError, match="unknown control"):
        tl.set_controls({"nose": 1.0})
    with pytest.raises(ValueError, match="range"):
        ExpressionTimeline(("eyes",), {})


def test_syllable_count_follows_the_script():
    assert len(speech_units("안녕하세요")) == 5 and PAUSE not in speech_units("안녕하세요")
    assert [u.pause for u in speech_units("hello.")] == [False, False, True]
    assert len(speech_units("I'm so happy to see you")) == 7   # a silent final e and "I'm" are one syllable each
    assert len(speech_units("time")) == 1
    assert speech_units("  ") == []


def test_lips_meet_only_at_lip_consonants_and_vowels_open_the_mouth_by_their_shape():
    # 감사합니다: 감 and 합 end with ㅁ and ㅂ; nothing in 안녕하세요 closes the lips
    assert [u.lips_after for u in speech_units("감사합니다")] == [True, False, True, False, False]
    assert not any(u.lips_before or u.lips_after for u in speech_units("안녕하세요"))
    assert [u.lips_before for u in speech_units("밥 먹어")] == [True, True, False]
    assert [u.lips_before for u in speech_units("happy phone")] == [False, True, False]   # ph is an f
    a, i = speech_units("아이")
    assert a.opening == 1.0 and i.opening < 0.5
    assert speech_units("father")[0].opening > speech_units("feet")[0].opening


def test_speech_shuts_the_lips_at_a_lip_consonant_and_only_parts_them_between_other_syllables():
    def lips_during(text: str) -> np.ndarray:
        tl = ExpressionTimeline(NAMES, RANGES, seed=3, config=TimelineConfig(blink_mean_s=1e6, blink_min_s=1e6),
                                drawn_lips=True)
        tl.answer_started(1.0)
        tl.token(text, 1.0)
        return np.array([tl.lips(t) for t in np.arange(1.0, tl.speaking_until, 0.005)])

    assert lips_during("안녕하세요").max() < 0.8           # no lip consonant: the lips never meet
    assert (lips_during("안녕하세요") > 0.2).any()          # but close part of the way between syllables
    assert lips_during("엄마 밥 먹어").max() > 0.95        # ㅁ and ㅂ shut them


def test_forgetting_old_history_changes_nothing_later():
    a, b = _busy(seed=8), _busy(seed=8)
    times = [6.0 + i / FPS for i in range(200)]
    want = [a.controls(t) for t in times]
    b.controls(3.0)
    b.forget_before(5.9)
    got = [b.controls(t) for t in times]
    assert max(abs(g[n] - w[n]) for g, w in zip(got, want) for n in NAMES) < 1e-12
    assert len(b._speech._times) < len(a._speech._times)

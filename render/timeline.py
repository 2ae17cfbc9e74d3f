"""ExpressionTimeline: what the face does at any presentation time, from events and a seed.

Pure Python (no torch), so it is cheap to evaluate for every frame of every session and easy to test.
Every moving part is a critically damped spring following a piecewise-constant target, evaluated in
closed form: x(τ) = g + (c1 + c2 τ) e^(−ωτ). A new target only changes the spring's acceleration, so the
control values are continuous in value *and* velocity however events interleave, and any time can be
queried in any order. Three layers add up per control:

- expression base (eyes, mouth, yaw …): eases toward the level an answer asks for (`set_expression`); with
  drawn eyelids (`lid_blinks`) the "closed" and "small" eye levels lower the lids (`eyelids(t)`) instead, and
  with drawn lips (`drawn_lips`) the "closed" and "small" mouth levels close the lips (`lips(t)`);
- idle motion: a slow irregular sway of the head and a breathing rhythm (sums of incommensurate sines
  with seeded phases), and blinks at irregular intervals (a renewal process with a gamma distribution,
  now and then a double blink), each blink the spring's response to a short "closed" pulse;
- speech: every syllable of the streamed text opens the mouth toward the directions' "open" value, as far
  as its vowel opens a mouth ("아" and "a" widest, "이", "으" and "i" least), and eases it part of the way back
  before the next; the lips meet only where speech closes them: a lip consonant (ㅁ ㅂ ㅃ ㅍ, m b p) before or
  after the vowel. Closed lips are the directions' "closed" value or, with drawn lips, lips drawn shut over the
  face; silence returns the mouth to the expression.

Idle motion and blinks come from their own seeded streams, so events never change when the face blinks:
after `cancel` the face is exactly back on its idle path. Values are clamped to the directions' ranges.
"""
from __future__ import annotations

import bisect
import math
import random
import re
import unicodedata
from dataclasses import dataclass

from weights.expression import EYE_LEVELS, HEAD_LEVELS, MOUTH_LEVELS

# Fraction of the control's range (negative side for < 0, positive side for > 0) each level asks for.
_EYE_FRACTION = dict(zip(EYE_LEVELS, (-1.0, -0.45, 0.0, 0.45, 0.85), strict=True))
# With drawn eyelids the narrowed levels lower the lids instead (how far shut, 0..1): the eyes control's negative
# side is a squint that changes who she is (docs/expression-directions.md), the lids leave the rest of her alone.
EYE_LID_CLOSURE = dict(zip(EYE_LEVELS, (1.0, 0.4, 0.0, 0.0, 0.0), strict=True))
LID_VISIBLE = 0.01  # eyelid (or lip) closure below which nothing is drawn
_DRAWN_LIPS_EASE = 0.1  # with drawn lips, speech levels within this of 0 ease the mouth control into opening
_MOUTH_FRACTION = dict(zip(MOUTH_LEVELS, (-0.8, -0.35, 0.0, 0.5, 0.85), strict=True))
# With drawn lips the "closed" and "small" mouth levels close the lips instead (0..1): the mouth control's
# negative side is a closed-mouth grin that ages her (docs/expression-directions.md).
MOUTH_LIP_CLOSURE = dict(zip(MOUTH_LEVELS, (1.0, 0.5, 0.0, 0.0, 0.0), strict=True))
# Positive yaw turns the face toward the image's left (render/directions.py); "left" is as the viewer sees it.
_HEAD_FRACTION = dict(zip(HEAD_LEVELS, (0.75, 0.35, 0.0, -0.35, -0.75), strict=True))


@dataclass(frozen=True)
class TimelineConfig:
    """The face's temperament; defaults follow human averages (≈ 17 blinks a minute, ≈ 6 syllables/s)."""

    blink_mean_s: float = 3.5        # mean time between blinks
    blink_min_s: float = 0.8         # no two blinks closer than this (except a double blink)
    blink_shape: float = 3.0         # gamma shape of (interval - min): larger = more regular
    double_blink_p: float = 0.08
    blink_closed_s: float = 0.08     # how long the "closed" pulse lasts
    blink_omega: float = 60.0        # spring rate of the lids: a blink takes ≈ 0.2 s
    lid_omega: float = 12.0          # lids easing into an expression's narrowed or shut eyes: ≈ 0.4 s
    expression_omega: float = 6.0    # ≈ 0.8 s to settle into a new expression
    speech_omega: float = 55.0       # fast enough for a 0.16 s syllable to reach most of its open and closed targets
    syllable_s: float = 0.16
    pause_s: float = 0.2             # after . , ! ? and line breaks
    speech_open: float = 1.0         # how far a syllable opens the mouth toward the open value (0..1)
    speech_close: float = 0.9        # how far a lip consonant closes it toward the closed value (0..1)
    speech_relax: float = 0.3        # how far it eases toward the closed value between other syllables (0..1)
    sway: float = 0.12               # idle head sway, fraction of the yaw half-range
    breath: float = 0.05             # breathing amplitude, fraction of the control's half-range
    breath_period_s: float = 4.2


def _step_state(x0: float, v0: float, goal: float, omega: float, tau: float) -> tuple[float, float]:
    """Critically damped spring from (x0, v0) toward goal after tau seconds: (x, v)."""
    c1 = x0 - goal
    c2 = v0 + omega * c1
    e = math.exp(-omega * tau)
    return goal + (c1 + c2 * tau) * e, (v0 - omega * c2 * tau) * e


def _step_response(tau: float, omega: float) -> float:
    """Response of a resting spring to a unit step at tau = 0 (C1 at 0)."""
    if tau <= 0:
        return 0.0
    return 1.0 - (1.0 + omega * tau) * math.exp(-omega * tau)


class SpringTrack:
    """A value following a piecewise-constant target through a critically damped spring.

    Targets are scheduled at non-decreasing times; `cut(t)` drops those after t (a cancelled sentence).
    """

    def __init__(self, omega: float, value: float = 0.0):
        self.omega = omega
        self._times: list[float] = [-math.inf]
        self._goals: list[float] = [value]
        self._states: list[tuple[float, float]] = [(value, 0.0)]  # (x, v) at each step time

    @property
    def last_time(self) -> float:
        return self._times[-1]

    def schedule(self, t: float, goal: float) -> None:
        """From time t on, move toward goal (t earlier than the last step is moved up to it)."""
        t = max(t, self._times[-1])
        if t == self._times[-1] and len(self._times) > 1:
            self._goals[-1] = goal  # same instant: the later call wins
            return
        self._times.append(t)
        self._goals.append(goal)

    def cut(self, t: float) -> None:
        """Forget targets scheduled after t."""
        i = bisect.bisect_right(self._times, t)
        del self._times[max(i, 1):], self._goals[max(i, 1):]
        del self._states[max(i, 1):]

    def _state(self, i: int) -> tuple[float, float]:
        while len(self._states) <= i:
            k = len(self._states)
            x, v = self._states[k - 1]
            if self._times[k - 1] != -math.inf:  # before the first target the value rests: nothing to advance
                x, v = _step_state(x, v, self._goals[k - 1], self.omega, self._times[k] - self._times[k - 1])
            self._states.append((x, v))
        return self._states[i]

    def value(self, t: float) -> float:
        i = bisect.bisect_right(self._times, t) - 1
        if i < 0:  # before forgotten history: the oldest state kept
            return self._states[0][0]
        if self._times[i] == -math.inf:
            return self._goals[0]
        x, v = self._state(i)
        return _step_state(x, v, self._goals[i], self.omega, t - self._times[i])[0]

    def forget_before(self, t: float) -> None:
        """Drop targets older than the one in effect at t (long sessions stay small); later values unchanged."""
        i = bisect.bisect_right(self._times, t) - 1
        if i >= 2:
            self._state(i)
            del self._times[:i], self._goals[:i], self._states[:i]

    def goal_at(self, t: float) -> float:
        return self._goals[bisect.bisect_right(self._times, t) - 1]


_PAUSE = re.compile(r"[.,!?;:…。！？\n]")
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*", re.UNICODE)  # "I'm" and "don't" are one word
_VOWEL_GROUPS = re.compile(r"[aeiouy]+")
_SCRIPT_RUNS = re.compile(r"[a-zA-Z\u00c0-\u024f'’]+|.")  # a run of Latin letters, or one other character


@dataclass(frozen=True)
class SpeechUnit:
    """One unit of streamed text as the mouth speaks it: a syllable, or a pause after punctuation."""

    pause: bool = False
    opening: float = 0.8            # how wide its vowel opens the mouth, 0..1 ("a" widest, "i" and "eu" least)
    lips_before: bool = False       # it starts with a lip consonant (ㅁ ㅂ ㅃ ㅍ, m b p): the lips meet first
    lips_after: bool = False        # it ends with one (받침 ㅁ ㅂ ㅍ, a final m b p): the lips meet after it


PAUSE = SpeechUnit(pause=True, opening=0.0)
# Hangul: a syllable is (initial, medial, final) jamo, code = 0xAC00 + (initial * 21 + medial) * 28 + final.
_LIP_INITIALS = {6, 7, 8, 17}                   # ㅁ ㅂ ㅃ ㅍ
_LIP_FINALS = {10, 14, 16, 17, 18, 26}          # ㄻ ㄿ ㅁ ㅂ ㅄ ㅍ
# per medial ㅏ ㅐ ㅑ ㅒ ㅓ ㅔ ㅕ ㅖ ㅗ ㅘ ㅙ ㅚ ㅛ ㅜ ㅝ ㅞ ㅟ ㅠ ㅡ ㅢ ㅣ: open vowels widest, rounded ones
# narrower (the lips purse rather than the jaw drop), ㅡ and ㅣ least
_MEDIAL_OPENING = (1.0, 0.8, 1.0, 0.8, 0.8, 0.7, 0.8, 0.7, 0.55, 1.0, 0.8, 0.6, 0.55, 0.5, 0.8, 0.7, 0.5, 0.5,
                   0.4, 0.45, 0.45)
_LATIN_OPENING = {"a": 1.0, "o": 0.7, "e": 0.65, "u": 0.55, "i": 0.45, "y": 0.45}
# kana whose consonant closes the lips: the m, b and p rows
_LIP_KANA = set("まみむめもばびぶべぼぱぴぷぺぽマミムメモバビブベボパピプペポ")


def _hangul_unit(ch: str) -> SpeechUnit:
    code = ord(ch) - 0xAC00
    initial, medial, final = code // 588, (code % 588) // 28, code % 28
    return SpeechUnit(opening=_MEDIAL_OPENING[medial], lips_before=initial in _LIP_INITIALS,
                      lips_after=final in _LIP_FINALS)


def _latin_units(word: str) -> list[SpeechUnit]:
    """One unit per vowel group; the consonants before a group are its onset, those after the last its coda."""
    plain = "".join(c for c in unicodedata.normalize("NFD", word.lower()) if c.isascii())
    plain = plain.replace("ph", "f")  # "phone" opens with an f, not a p
    groups = list(_VOWEL_GROUPS.finditer(plain))
    if len(groups) > 1 and groups[-1].group() == "e" and groups[-1].end() == len(plain) and not plain.endswith("le"):
        groups.pop()  # a silent final e: "phone", "time"
    if not groups:  # "hmm", "psst"
        return [SpeechUnit(opening=0.4, lips_before=any(c in "mbp" for c in plain))]
    units, prev = [], 0
    for i, g in enumerate(groups):
        onset = plain[prev:g.start()]
        coda = plain[g.end():] if i == len(groups) - 1 else ""
        units.append(SpeechUnit(opening=_LATIN_OPENING[g.group()[0]], lips_before=any(c in "mbp" for c in onset),
                                lips_after=any(c in "mbp" for c in coda)))
        prev = g.end()
    return units


def speech_units(text: str) -> list[SpeechUnit]:
    """Split streamed text into what the mouth does: a `SpeechUnit` per syllable, `PAUSE` after punctuation.

    Hangul: one syllable per character, read from its jamo; kana and kanji: one per character; Latin words: one
    per vowel group, its vowel and the consonants around it read from the spelling.
    """
    units: list[SpeechUnit] = []
    for piece in re.split(r"(\s+|[.,!?;:…。！？])", text):
        if not piece:
            continue
        if _PAUSE.search(piece):
            units.append(PAUSE)
            continue
        for word in _WORD.findall(piece):
            n = len(units)
            # runs of Latin letters and single Hangul, kana or kanji characters, in the order they are written
            for run in _SCRIPT_RUNS.findall(word):
                if run[0].isascii() or "\u00c0" <= run[0] <= "\u024f":
                    units.extend(_latin_units(run))
                elif "\uac00" <= run <= "\ud7a3":
                    units.append(_hangul_unit(run))
                elif "\u3040" <= run <= "\u30ff" or "\u4e00" <= run <= "\u9fff":
                    units.append(SpeechUnit(lips_before=run in _LIP_KANA))
            if len(units) == n:  # a script read here by its length only
                units.extend([SpeechUnit()] * max(1, len(word) // 3))
    return units


class ExpressionTimeline:
    """The control values of one session's face over its clock.

    names/ranges: the expression directions' controls and usable intervals. Controls named "eyes",
    "mouth", "yaw" and "pitch" get blinks, speech, sway and breathing; any other control only follows
    `set_controls`/targets. All times are seconds on the session clock.
    """

    def __init__(self, names: tuple[str, ...] | list[str], ranges: dict[str, tuple[float, float]],
                 seed: int = 0, config: TimelineConfig | None = None,
                 speech: tuple[float | None, float] | None = None, lid_blinks: bool = False,
                 drawn_lips: bool = False):
        """speech: the mouth values (closed lips, open mouth) a syllable moves between; closed None means the
        mouth's current expression, and the default is (None, 0.8 × the range's top).
        lid_blinks: the renderer draws the eyelids itself (`render.lids`) from `eyelids(t)`: blinks and the
        "closed" and "small" eye levels lower the lids and leave the eyes control alone; otherwise a blink pulls
        the eyes control to the bottom of its range and those levels move it down its negative side.
        drawn_lips: the renderer draws closed lips itself (`render.lips`) from `lips(t)`: at lip consonants (part
        of the way between other syllables) and at the "closed" and "small" mouth levels the lips close over the
        face as it is, and speech moves the mouth control only between the expression and the open value."""
        missing = [n for n in names if n not in ranges]
        if missing:
            raise ValueError(f"no range for control(s) {', '.join(missing)}")
        for n in names:
            lo, hi = ranges[n]
            if not lo <= 0.0 <= hi:
                raise ValueError(f"range of '{n}' is {lo}..{hi}; it must contain 0 (the face as it is)")
        self.names = tuple(names)
        self.ranges = {n: (float(ranges[n][0]), float(ranges[n][1])) for n in self.names}
        self.seed = seed
        self.lid_blinks = bool(lid_blinks)
        self.drawn_lips = bool(drawn_lips) and "mouth" in self.names
        self.cfg = config or TimelineConfig()
        self._base = {n: SpringTrack(self.cfg.expression_omega) for n in self.names}
        self._lids = SpringTrack(self.cfg.lid_omega)  # the expression's lid closure (lid_blinks only)
        self._lips = SpringTrack(self.cfg.lid_omega)  # the expression's lip closure (drawn_lips only)
        # -1..1: > 0 how far the mouth is opened toward the open value by speaking, < 0 closed toward the closed one
        self._speech = SpringTrack(self.cfg.speech_omega)
        top = self.ranges["mouth"][1] if "mouth" in self.ranges else 0.0
        self.speech_closed, self.speech_open = speech if speech is not None else (None, 0.8 * top)
        self._speech_cursor = 0.0
        self._speech_rng = random.Random(f"{seed}:speech")
        self._blink_rng = random.Random(f"{seed}:blink")
        self._blinks: list[float] = []  # blink start times, generated lazily in order
        self._blink_horizon = 0.0
        idle = random.Random(f"{seed}:idle")
        # two incommensurate sines per moving control make the sway irregular but smooth
        self._idle = {n: [(idle.uniform(0.06, 0.11), idle.uniform(0, 2 * math.pi), 0.65),
                          (idle.uniform(0.17, 0.26), idle.uniform(0, 2 * math.pi), 0.35)]
                      for n in self.names}
        self._breath_phase = idle.uniform(0, 2 * math.pi)
        self._override: dict[str, float] = {}

    # ---- events -------------------------------------------------------------------------------------------
    def set_expression(self, eyes: str = "normal", mouth: str = "normal", head: str = "none", at: float = 0.0) -> None:
        """Ease toward an expression level (see EYE_LEVELS, MOUTH_LEVELS, HEAD_LEVELS)."""
        for value, levels, name in ((eyes, _EYE_FRACTION, "eyes"), (mouth, _MOUTH_FRACTION, "mouth"),
                                    (head, _HEAD_FRACTION, "yaw")):
            if value not in levels:
                raise ValueError(f"unknown {name if name != 'yaw' else 'head'} level '{value}'; "
                                 f"use one of {', '.join(levels)}")
            if name not in self._base:
                continue
            fraction = levels[value]
            if name == "eyes" and self.lid_blinks:
                self._lids.schedule(at, EYE_LID_CLOSURE[value])
                fraction = max(fraction, 0.0)
            if name == "mouth" and self.drawn_lips:
                self._lips.schedule(at, MOUTH_LIP_CLOSURE[value])
                fraction = max(fraction, 0.0)
            self._base[name].schedule(at, self._level(name, fraction))

    def set_targets(self, targets: dict[str, float], at: float = 0.0) -> None:
        """Ease controls toward raw values (clamped to their ranges); unnamed controls keep their target."""
        for name, value in targets.items():
            if name not in self._base:
                raise ValueError(f"unknown control '{name}'; known: {', '.join(self.names)}")
            lo, hi = self.ranges[name]
            self._base[name].schedule(at, min(max(float(value), lo), hi))

    def token(self, text: str, at: float) -> None:
        """Text being spoken from time `at`: each syllable opens the mouth as far as its vowel does and eases it
        back; the lips meet at its lip consonants."""
        cfg = self.cfg
        start = max(at, self._speech_cursor)
        backlog = start - at
        # text arriving faster than it can be spoken: speak faster rather than lag ever further behind
        speed = 1.0 if backlog < 0.4 else min(2.0, 1.0 + (backlog - 0.4))
        cursor = start
        for unit in speech_units(text):
            if unit.pause:
                self._speech.schedule(cursor, 0.0)
                cursor += cfg.pause_s / speed
                continue
            dur = cfg.syllable_s * self._speech_rng.uniform(0.75, 1.25) / speed
            # about the open value for the widest vowels (the spring reaches ~90% of its goal in a syllable)
            amp = cfg.speech_open * self._speech_rng.uniform(0.85, 1.15) * unit.opening
            # a lip consonant takes the first part of its syllable: the lips press together, then the vowel opens
            onset = 0.3 * dur if unit.lips_before else 0.0
            if unit.lips_before:
                self._speech.schedule(cursor, -cfg.speech_close)
            self._speech.schedule(cursor + onset, amp)
            self._speech.schedule(cursor + onset + 0.55 * (dur - onset),
                                  -(cfg.speech_close if unit.lips_after else cfg.speech_relax))
            cursor += dur
        if cursor > start:
            self._speech.schedule(cursor, 0.0)  # silence closes the mouth
        self._speech_cursor = cursor

    def answer_started(self, at: float) -> None:
        """A new answer begins: speech left over from an earlier one is dropped."""
        self._speech.cut(at)
        self._speech.schedule(at, 0.0)
        self._speech_cursor = at

    def answer_ended(self, at: float) -> None:
        """The text is complete: the mouth closes after the queued syllables."""
        self._speech.schedule(max(at, self._speech_cursor), 0.0)

    def cancel(self, at: float) -> None:
        """Barge-in: stop speaking now, close the mouth, ease back to the idle expression."""
        self._speech.cut(at)
        self._speech.schedule(at, 0.0)
        self._speech_cursor = at
        for track in (*self._base.values(), self._lids, self._lips):
            track.cut(at)
            track.schedule(at, 0.0)

    def set_controls(self, controls: dict[str, float] | None) -> None:
        """Debug override: these controls take exactly these values (clamped) until released with None."""
        if controls is None:
            self._override = {}
            return
        unknown = [n for n in controls if n not in self.ranges]
        if unknown:
            raise ValueError(f"unknown control(s) {', '.join(unknown)}; known: {', '.join(self.names)}")
        self._override = {n: float(v) for n, v in controls.items()}

    def forget_before(self, t: float) -> None:
        """Let go of events and blinks before t; values at times >= t stay exactly the same."""
        for track in (*self._base.values(), self._speech, self._lids, self._lips):
            track.forget_before(t)
        window = self.cfg.blink_closed_s + 12.0 / self.cfg.blink_omega + 1.0
        del self._blinks[:bisect.bisect_left(self._blinks, t - window)]

    @property
    def speaking_until(self) -> float:
        return self._speech_cursor

    # ---- evaluation -------------------------------------------------------------------------------------
    def _level(self, name: str, fraction: float) -> float:
        lo, hi = self.ranges[name]
        return fraction * (-lo if fraction < 0 else hi)

    def _half_range(self, name: str) -> float:
        lo, hi = self.ranges[name]
        return min(-lo, hi) if lo < 0 < hi else max(-lo, hi)

    def _extend_blinks(self, until: float) -> None:
        cfg = self.cfg
        theta = max(cfg.blink_mean_s - cfg.blink_min_s, 1e-3) / cfg.blink_shape
        while self._blink_horizon <= until:
            t = self._blink_horizon + cfg.blink_min_s + self._blink_rng.gammavariate(cfg.blink_shape, theta)
            self._blinks.append(t)
            if self._blink_rng.random() < cfg.double_blink_p:
                self._blinks.append(t + 0.28)
            self._blink_horizon = self._blinks[-1]

    def blink_times(self, t0: float, t1: float) -> list[float]:
        """Start times of the blinks in [t0, t1)."""
        self._extend_blinks(t1)
        return self._blinks[bisect.bisect_left(self._blinks, t0):bisect.bisect_left(self._blinks, t1)]

    def blink(self, t: float) -> float:
        """How far the eyelids are closed by a blink at time t: 0 open (as the expression says), 1 shut."""
        cfg = self.cfg
        window = cfg.blink_closed_s + 12.0 / cfg.blink_omega  # the tail after that is < 1e-4
        total = 0.0
        for s in self.blink_times(t - window, t + 1e-9):
            tau = t - s
            total += _step_response(tau, cfg.blink_omega) - _step_response(tau - cfg.blink_closed_s, cfg.blink_omega)
        return min(total, 1.0)

    def eyelids(self, t: float) -> float:
        """How far the drawn eyelids are shut at time t (0 open, 1 shut): the expression's closure, and a
        blink closing whatever is still open."""
        held = min(max(self._lids.value(t), 0.0), 1.0)
        shut = held + (1.0 - held) * self.blink(t)
        # the spring only approaches 0: below this the lid moves < 0.2 px at 512², and a frame with no lids to
        # draw skips the warp (render.drawn.DrawnFeature.draw)
        return shut if shut >= LID_VISIBLE else 0.0

    def lips(self, t: float) -> float:
        """How far the drawn lips are closed at time t (0 as the mouth control has them, 1 shut): shut at a lip
        consonant, part of the way between other syllables, opened by each vowel, and the expression's closure
        while she is silent; always 0 unless the timeline was made with drawn_lips."""
        if not self.drawn_lips:
            return 0.0
        s = self._speech.value(t)
        held = min(max(self._lips.value(t), 0.0), 1.0)
        # the speech spring reaches 60-80% of its closing target in a syllable's closing part, so the lips are
        # fully shut from half of it; a syllable's opening parts lips that the expression holds shut
        between = min(max(-s / (0.5 * self.cfg.speech_close), 0.0), 1.0) if self.cfg.speech_close > 0 else 0.0
        opened = min(max(2.0 * s, 0.0), 1.0)
        shut = max(held * (1.0 - opened), between)
        return shut if shut >= LID_VISIBLE else 0.0

    def _idle_offset(self, name: str, t: float) -> float:
        cfg = self.cfg
        if name == "yaw":
            amp = cfg.sway * self._half_range(name)
        elif name == "pitch":
            amp = 0.5 * cfg.sway * self._half_range(name)
        else:
            amp = 0.0
        value = sum(a * math.sin(2 * math.pi * f * t + ph) for f, ph, a in self._idle[name]) * amp
        breathing = name == "pitch" or (name == "mouth" and "pitch" not in self.ranges)
        if breathing:
            value += cfg.breath * self._half_range(name) * math.sin(2 * math.pi * t / cfg.breath_period_s
                                                                    + self._breath_phase)
        return value

    def _speech_offset(self, s: float, x: float) -> float:
        """Mouth offset for speech level s (about -1..1) on top of the expression x: a quadratic through
        (-1, closed), (0, x), (1, open), so the mouth stays smooth in velocity where s crosses 0; its bend
        is limited so that the mouth still moves one way as s rises. With drawn lips only the opening half
        moves the control."""
        opened = max(self.speech_open, x)
        if self.drawn_lips:
            # the lips close by drawing, so the control only opens: s = 1 reaches the open value, s ≤ -k leaves
            # the expression, and a parabola joins the two with matching slopes
            k = _DRAWN_LIPS_EASE
            ramp = 0.0 if s <= -k else (s + k) ** 2 / (4 * k) if s < k else s
            return ramp * (opened - x)
        closed = x if self.speech_closed is None else min(self.speech_closed, x)
        a = 0.5 * (opened - closed)
        b = min(max(0.5 * (opened + closed) - x, -0.5 * a), 0.5 * a)
        return s * a + s * s * b

    def controls(self, t: float) -> dict[str, float]:
        """The control values at time t (seconds), clamped to the ranges."""
        out: dict[str, float] = {}
        for name in self.names:
            lo, hi = self.ranges[name]
            if name in self._override:
                out[name] = min(max(self._override[name], lo), hi)
                continue
            x = self._base[name].value(t) + self._idle_offset(name, t)
            if name == "mouth":
                x += self._speech_offset(self._speech.value(t), x)
            elif name == "eyes" and not self.lid_blinks:
                x += self.blink(t) * (lo - x)
            out[name] = min(max(x, lo), hi)
        return out

    def controls_list(self, t: float) -> list[float]:
        """controls(t) as a list in `names` order."""
        c = self.controls(t)
        return [c[n] for n in self.names]

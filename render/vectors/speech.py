"""Her speech as the server streams it: sentences spoken through an avatar session (an offline clock, the eyelids
and lips drawn as served), every frame read for who she is and how far her lips part.

`ohlora vectors eval` measures the mouth control at fixed values; this measures what a viewer sees while she
talks, where the timeline's springs decide how far each syllable opens and whether the lips meet:

- identity: dlib's descriptor distance of each speaking frame from her neutral face (render/vectors/identity.py);
- lip gap: the refined face mesh's inner-lip gap over the mouth width, per frame;
- per sentence: do the lips close (gap ≤ SPEECH_CLOSED) and open (≥ SPEECH_OPEN) somewhere while she says it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from render.vectors.fidelity import SPEECH_CLOSED, SPEECH_OPEN

# Korean and English as she speaks them: with and without lip consonants (ㅁ ㅂ ㅍ, m b p), open and close vowels
SPEECH_SENTENCES = (
    "안녕하세요! 저는 오로라예요.",
    "오늘 점심은 뭐 먹었어? 나는 비빔밥 먹었어!",
    "감사합니다, 정말 반가워요.",
    "I'm so happy to see you again!",
    "My favourite season is autumn, because the weather is perfect.",
    "주말에 친구랑 영화 보러 갈 거야 ㅎㅎ",
    "Do you want to play a board game with me?",
    "응 맞아, 나도 그렇게 생각해.",
)
WORD_S = 0.12     # words arrive this far apart, as tokens stream from the LLM
GAP_S = 1.0       # silence between sentences


@dataclass
class SpokenFrames:
    """The frames of a session while it spoke: RGB [N, S, S, 3], presentation times [N] and sentence index [N]."""

    images: np.ndarray
    times: np.ndarray
    sentence: np.ndarray


def speak(renderer, sentences=SPEECH_SENTENCES, size: int = 256, fps: float = 25.0, seed: int | None = None,
          blinks: bool = False) -> SpokenFrames:
    """Speak each sentence word by word through a new session of a started `renderer` and keep the frames from
    each sentence's first word to its last syllable. Blinks are left out unless asked for (they are measured
    by `ohlora vectors eval`)."""
    import cv2

    from render.clocks import OfflineClock
    from render.timeline import TimelineConfig

    # no blinks: set before the session's first frame, which the render loop may take at once
    temperament = TimelineConfig() if blinks else TimelineConfig(blink_mean_s=1e9, blink_min_s=1e9)
    session = renderer.open_session(size=size, fps=fps, quality=90, seed=seed, clock=OfflineClock(),
                                    temperament=temperament)
    timeline = session.timeline
    spans, t = [], 0.5
    for text in sentences:
        session.answer_started(at=t)
        words = text.split(" ")
        for i, word in enumerate(words):
            session.token((" " if i else "") + word, at=t + WORD_S * i)
        session.answer_ended(at=t + WORD_S * len(words))
        spans.append((t, timeline.speaking_until))
        t = timeline.speaking_until + GAP_S
    count = int(t * fps)
    try:
        frames = [(pts, cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)) for pts, bgr in session.decoded_frames(count)]
    finally:
        session.close()
    times = np.array([f[0] for f in frames])
    sentence = np.full(len(times), -1)
    for k, (a, b) in enumerate(spans):
        sentence[(times >= a) & (times <= b)] = k
    keep = sentence >= 0
    return SpokenFrames(np.stack([f[1] for f in frames])[keep], times[keep], sentence[keep])


@dataclass
class SpeechResult:
    identity: np.ndarray   # [N] descriptor distance of each speaking frame from the neutral face
    lip_gap: np.ndarray    # [N] refined-mesh inner-lip gap
    sentence: np.ndarray   # [N]
    sentences: tuple[str, ...]

    def per_sentence(self) -> list[tuple[bool, bool]]:
        """(lips closed somewhere, mouth open somewhere) per sentence."""
        out = []
        for k in range(len(self.sentences)):
            g = self.lip_gap[self.sentence == k]
            g = g[np.isfinite(g)]
            out.append((bool(len(g) and g.min() <= SPEECH_CLOSED), bool(len(g) and g.max() >= SPEECH_OPEN)))
        return out

    def table(self) -> str:
        d, g = self.identity, self.lip_gap
        per = self.per_sentence()
        closes, opens = [c for c, _ in per], [o for _, o in per]
        both = sum(c and o for c, o in per)
        rows = [("speaking frames", f"{len(d)}"),
                ("identity from her neutral face, median / 90th percentile / worst",
                 f"{np.nanmedian(d):.3f} / {np.nanpercentile(d, 90):.3f} / {np.nanmax(d):.3f}"),
                ("frames with the lips closed (gap ≤ 0.05) / open (≥ 0.30)",
                 f"{np.nanmean(g <= SPEECH_CLOSED):.0%} / {np.nanmean(g >= SPEECH_OPEN):.0%}"),
                ("lip gap, median / 95th percentile", f"{np.nanmedian(g):.3f} / {np.nanpercentile(g, 95):.3f}"),
                ("sentences whose lips close / open / both", f"{sum(closes)} / {sum(opens)} / {both} of {len(closes)}")]
        return "| measure | value |\n|---|---|\n" + "\n".join(f"| {a} | {b} |" for a, b in rows)


def measure_speech(spoken: SpokenFrames, reference: np.ndarray, identity, mesh,
                   sentences=SPEECH_SENTENCES) -> SpeechResult:
    """Read the spoken frames against her neutral picture `reference` [S, S, 3] (same size): `identity` a
    `FaceIdentity`, `mesh` a refined `FaceMeshScorer`."""
    from render.vectors.scoring import scores_from_landmarks

    box = identity.box(reference)
    ref = identity.descriptor(reference, box)
    dist = np.linalg.norm(identity.descriptors(spoken.images, [box] * len(spoken.images)) - ref, axis=-1)
    gap = scores_from_landmarks(mesh.landmarks(spoken.images))["lip_gap"]
    return SpeechResult(dist, gap, spoken.sentence, tuple(sentences))

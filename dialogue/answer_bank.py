"""Written answers reused: the first exchange of every written conversation, found by its message.

The small answer model loses the thread on everyday messages that the written conversations
(`dialogue/data/written/turns/`) already answer well. When a message is close enough in e5 space to one a
writer answered as her, with no stored memory in play, that written answer is served instead of a generated
one. Only answers that carry over are kept: none to a message that told the writer's own facts about the user,
and none with a number the message does not hold, a weekday, month or year, a part of the day, season or
weather that is not true now, or 존댓말 to a message in 반말 (docs/open-eval/README.md, "Written answers reused": how
the threshold and these rules were chosen). When no written message is that close, the answer-fit cross-encoder
(`AnswerFit`) reads the message, after the exchange before it, with each answer of the nearest written messages,
and the one that fits best is served when it fits well enough (docs/open-eval/answer-fit/).
"""
from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Collection, Sequence

import numpy as np

from dialogue.encoder import cached_query_embeddings
from dialogue.names import told_name
from dialogue.prompting import language_of

log = logging.getLogger(__name__)

# chosen on the 200 validation open messages (docs/open-eval/README.md, "Written answers reused")
DEFAULT_THRESHOLD = 0.92
# the least share of a Korean message's syllable pairs its written match must hold (`shares_syllables`; chosen on
# the validation open messages' graded answers: docs/open-eval/shared-syllables/)
SHARED_SYLLABLES = 0.2
# the least cosine of a written exchange shown to the adapter as an example (`AnswerBank.example`)
EXAMPLE_THRESHOLD = 0.85
# the answer-fit cross-encoder's labels (`dialogue.training.answer_fit`)
FIT_LABELS = ("other", "fits")
FIT_MODEL = Path(__file__).resolve().parent.parent / "weights" / "classifiers" / "answer_fit"
# with the answer-fit model, the least cosine of a candidate's written message to the user's when none is
# DEFAULT_THRESHOLD alike (docs/open-eval/answer-fit/: chosen on the validation open messages)
FIT_FLOOR = 0.86
FIT_MAX_CHARS = 160
# a follow-up ("근데 자취하는데 괜찮을까?" after "나 고양이 키우고 싶어") read with the user's message before it: a written
# first message that says both ("자취방이 좁은데 고양이를 키워도 괜찮을까?") at least this alike, and this much more alike
# than the nearest to the follow-up alone, answers it (docs/open-eval/follow-ups/: chosen on validation)
CONTEXT_THRESHOLD = 0.95
CONTEXT_MARGIN = 0.015
# an answer written for someone in distress ("지금 있는 곳은 안전한 데야?", "상담을 받아 보는 것도 꼭 생각해 줘") read as an
# overreaction beside an ordinary complaint that e5 finds alike ("우리 엄마가 요즘 너무 잔소리해"): served only to a
# nearly identical message
_CARE = re.compile(r"안전한\s*(?:곳|데)|상담|전문가|정신건강|병원에\s*가|\btherap|\bcounsel|professional help|are you safe|"
                   r"\b988\b|1393|1577", re.IGNORECASE)
CARE_THRESHOLD = 0.96
# a request for exact work (code, a formula, spelling, a translation): a written answer to another such request
# does another task ("count the vowels" answered with a string reversal), so only a nearly identical written
# message's answer is served (docs/open-eval/everyday-answers/)
EXACT_WORK_THRESHOLD = 0.96
_EXACT_WORK = re.compile(
    r"python|파이썬|javascript|자바스크립트|\bjs\b|\bsql\b|excel|엑셀|스프레드시트|spreadsheet|regex|정규식|\bcode\b|"
    r"(?<![A-Ga-g#m7])\s?코드|코딩|함수|\bfunction\b|one-liner|formula|수식|맞춤법|띄어쓰기|\bspell|grammar|문법|번역|"
    r"translat|무슨 뜻|뜻이 뭐|\bmeaning of\b|what does \S+ mean|[A-Z]열", re.IGNORECASE)

_DIGITS = re.compile(r"\d+")
_CODE = re.compile(r"[\[\]{}()=_<>`]|::|\.\w+\(")
_CALENDAR = re.compile(
    r"[월화수목금토일]요일|\b(Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day\b|\b(January|February|March|April|June|July|"
    r"August|September|October|November|December)\b|\b(19|20)\d\d\b|[일이삼사오육칠팔구십]+월|작년|내년|올해|"
    r"\b(last|next|this) year\b")
_DAY_PARTS = (("새벽", 0, 6), ("아침", 5, 11), ("점심", 11, 15), ("오후", 12, 18), ("저녁", 17, 22), ("밤", 20, 29),
              ("morning", 5, 12), ("afternoon", 12, 18), ("evening", 17, 23), ("tonight", 17, 29),
              ("night", 20, 29))
_SEASONS = (("봄", (3, 4, 5)), ("여름", (6, 7, 8)), ("가을", (9, 10, 11)), ("겨울", (12, 1, 2)),
            ("spring", (3, 4, 5)), ("summer", (6, 7, 8)), ("autumn", (9, 10, 11)), ("fall", (9, 10, 11)),
            ("winter", (12, 1, 2)), ("크리스마스", (12,)), ("christmas", (12,)), ("새해", (12, 1)),
            ("new year", (12, 1)), ("연말", (11, 12)), ("설날", (1, 2)), ("추석", (9, 10)), ("장마", (6, 7)))
# the weekend: a writer's Saturday answer ("이제 주말이니까 푹 쉬자") is true from Friday evening to Sunday
_WEEKEND = re.compile(r"주말|\bweekends?\b", re.IGNORECASE)
# the weather of the writer's day ("오늘같이 더운 날엔…"), true only in its months
_WEATHER = ((re.compile(r"(?<![가-힣])(더운|더워|덥|무더|폭염|후텁)|\b(so hot|hot (out|outside|today|day)|heat ?wave|"
                        r"scorching)\b", re.IGNORECASE), (5, 6, 7, 8, 9)),
            (re.compile(r"(?<![가-힣])(추운|추워|춥|한파|쌀쌀)|\b(freezing|chilly|so cold|cold (out|outside|today))\b",
                        re.IGNORECASE), (10, 11, 12, 1, 2, 3, 4)))
_PARTICLES = "에|이|은|는|엔|을|를|새|늦|까지|마다|중|인|도|만|부터"
_POLITE = re.compile(r"(요|니다|니까|세요|죠)[\s.!?~…ㅎㅋ^)😊🙂✨🎉🌙☀️💪]*($|[.!?]\s)")


@dataclass(frozen=True)
class WrittenAnswer:
    """One written first exchange: the message a writer imagined, her answer, and when it was set."""

    message: str
    answer: str
    lang: str
    written_for: datetime
    source: str
    category: str = ""  # the writer's: "about_user" answers ("you haven't told me yet") assume nothing is known


@dataclass(frozen=True)
class ReusedAnswer:
    """A written answer picked for a message, with the cosine of the two messages."""

    answer: str
    similarity: float
    written_message: str
    source: str
    fit: float | None = None  # P(fits) from the answer-fit model, when one chose it


def fit_text(text: str, chars: int = FIT_MAX_CHARS) -> str:
    """`text` as the answer-fit cross-encoder reads it: its first `chars` characters (the top layers' cost grows
    with the length of the pair)."""
    return text[:chars]


def asked_text(message: str, previous: tuple[str, str] | None = None) -> str:
    """What the answer-fit cross-encoder reads as asked: the message, after the exchange before it when there
    is one (user's message, her answer, one per line; the earlier lines shortened)."""
    if previous is None:
        return fit_text(message)
    user, her = (fit_text(t, FIT_MAX_CHARS // 2) for t in previous)
    return f"{user}\n{her}\n{fit_text(message)}"


def _syllable_pairs(text: str) -> set[str]:
    """The pairs of neighbouring Hangul syllables in `text`'s words (a word of one syllable as itself)."""
    return {w[i:i + 2] if len(w) > 1 else w for w in re.findall("[가-힣]+", text) for i in range(max(len(w) - 1, 1))}


def shares_syllables(message: str, written: str, before: str = "") -> bool:
    """Whether a Korean `message` (or it after the user's message `before` it) shares at least SHARED_SYLLABLES of
    its syllable pairs (of the shorter text's) with the `written` message whose answer would be reused. e5 puts
    a different message on a shared subject as close as a rewording: "애들이 말을 너무 안 들어 오늘" and "오늘
    하루종일 아무도 나랑 말 안함" (0.93, sharing 오늘 and 말), "나 방금 토익 점수 나왔는데 목표 넘었어!!!" and "갑자기
    유학가고싶다 현실은 토익도 안봄ㅋㅋ" (0.92). Texts without Hangul pass: English rewordings share few words."""
    written_pairs = _syllable_pairs(written)
    if not written_pairs:
        return True
    best = 0.0
    for text in (message, f"{before} {message}" if before else ""):
        pairs = _syllable_pairs(text)
        if pairs:
            best = max(best, len(pairs & written_pairs) / min(len(pairs), len(written_pairs)))
        elif text:
            return True
    return best >= SHARED_SYLLABLES


def asks_for_exact_work(message: str) -> bool:
    """Whether the message asks for code, a formula, spelling or grammar, or a translation."""
    return _EXACT_WORK.search(message) is not None


def polite(text: str) -> bool:
    """Whether Korean text speaks 존댓말 (a sentence ending in 요, 니다, 세요…)."""
    return bool(_POLITE.search(text.strip()))


def _names(word: str, text: str) -> bool:
    """Whether `text` says `word` as a word of its own: "밤에", "늦은 밤이라", "at night"; not "밤편지"."""
    if word.isascii():
        return re.search(rf"\b{word}\b", text, re.IGNORECASE) is not None
    return re.search(rf"(?<![가-힣]){word}(?=[^가-힣]|$|{_PARTICLES})", text) is not None


def _hour(now: datetime) -> int:
    return now.hour if now.hour >= 5 else now.hour + 24


def _weekend(now: datetime) -> bool:
    """Friday from 17:00 to the end of Sunday."""
    return now.weekday() >= 5 or now.weekday() == 4 and now.hour >= 17


def carries_over(entry: WrittenAnswer, message: str, now: datetime) -> bool:
    """Whether `entry`'s answer still holds for `message` at `now`: every number in it (outside code) is in the
    message, it names no weekday, month or year, a part of the day, season, weather or the weekend it names is true
    now (or the message names it too), and it is in 존댓말 only when the message is."""
    answer = entry.answer
    # a number inside code (`lst[::-1]`) is syntax, not a fact about the moment
    prose = " ".join(w for w in answer.split() if not _CODE.search(w))
    if any(n not in message for n in _DIGITS.findall(prose)):
        return False
    if _CALENDAR.search(answer):
        return False
    for word, start, end in _DAY_PARTS:
        if _names(word, answer) and not _names(word, message) and not start <= _hour(now) < end:
            return False
    for word, months in _SEASONS:
        if _names(word, answer) and not _names(word, message) and now.month not in months:
            return False
    for said, months in _WEATHER:
        if said.search(answer) and not said.search(message) and now.month not in months:
            return False
    if _WEEKEND.search(answer) and not _WEEKEND.search(message) and not _weekend(now):
        return False
    if entry.lang == "ko" and polite(answer) and not polite(message):
        return False
    return True


def written_first_answers(exclude_messages: set[str] = frozenset(), variants: bool = True) -> list[WrittenAnswer]:
    """The first exchange of every written conversation that starts with no stored memory (later ones lean on
    what came before) and whose message tells nothing lasting about the user (an answer to "나 민지야, 간호학과
    2학년" greets Minji and her year, whoever asks next). With `variants`, the same answer once more under each
    other wording of its message (`dialogue.data.written.message_variants`). `exclude_messages`: normalized
    messages left out (validation and test messages)."""
    from dialogue.data.written import conversations, message_variants, normalized

    other_wordings = message_variants() if variants else {}
    out = []
    for conv in conversations():
        if conv.get("memories"):
            continue
        first = conv["turns"][0]
        if first.get("remember") or normalized(first["user"]) in exclude_messages:
            continue
        entry = WrittenAnswer(first["user"], first["answer"].strip(), conv["lang"],
                              datetime.fromisoformat(conv["now"]), conv["source"], conv.get("category", ""))
        out.append(entry)
        out.extend(replace(entry, message=v, source=f"{entry.source} (variant)")
                   for v in other_wordings.get(first["user"], ()) if normalized(v) not in exclude_messages)
    return out


def written_telling_messages(exclude_messages: set[str] = frozenset()) -> list[str]:
    """The first messages of the written conversations without stored memories that tell her something lasting
    about the user ("나 민지야, 간호학과 2학년"): the ones `written_first_answers` leaves out. A message more like
    one of these than like any message of the bank is the user telling about themself (`AnswerBank.carried_over`).
    `exclude_messages`: normalized messages left out (validation and test messages)."""
    from dialogue.data.written import conversations, normalized

    return [c["turns"][0]["user"] for c in conversations() if not c.get("memories") and c["turns"][0].get("remember")
            and normalized(c["turns"][0]["user"]) not in exclude_messages]


def evaluation_messages() -> set[str]:
    """Normalized messages of every validation and test set of her answers (a message, question or text): a
    written answer to the same words is left out, as held-out text never trains."""
    from dialogue.data.written import her_answer_messages, normalized

    return {normalized(t) for split in ("val", "test") for t in her_answer_messages(split)}


class AnswerFit:
    """The answer-fit cross-encoder (`dialogue.training.answer_fit`): P(a written answer fits what was asked),
    reading the message, after the exchange before it, and the answer together over the top e5 layers.

    The frozen layers' states of every answer the bank may serve are computed once (`prepare`, about 1.5 minutes
    on two cores) and read from a cache file, so a turn runs only the message's pass and the top layers."""

    def __init__(self, encoder, model, threshold: float) -> None:
        if not 0.0 <= threshold < 1.0:
            raise ValueError(f"the answer-fit threshold is a probability in [0, 1), got {threshold}")
        self.encoder, self.model, self.threshold = encoder, model, threshold
        self._rows: dict[str, int] = {}
        self._states = self._offsets = None

    @classmethod
    def load(cls, encoder, path: Path = FIT_MODEL) -> "AnswerFit | None":
        """The saved model with its threshold, or None when there is none (or no encoder states to feed it)."""
        from dialogue.layer_classifier import LayerClassifier, is_layer_classifier

        if not is_layer_classifier(path) or not hasattr(encoder, "token_states"):
            return None
        model = LayerClassifier.load(path, encoder.config)
        return cls(encoder, model, float(model.meta.get("threshold", 0.5)))

    def prepare(self, answers: Sequence[str], cache: Path) -> None:
        """The frozen states of `answers` (as `fit_text` cuts them), computed once and kept in `cache` (float16,
        memory-mapped), keyed by the texts, the encoder and the layer."""
        import torch
        from tqdm import tqdm

        texts = sorted({fit_text(a) for a in answers}, key=lambda t: (len(t), t))  # one order, whatever the hash seed
        layer = self.model.from_layer
        digest = hashlib.sha256("\n".join([str(getattr(self.encoder, "source", type(self.encoder).__name__)),
                                           str(layer)] + texts).encode()).hexdigest()[:16]
        states_path, offsets_path = (Path(cache) / f"fit-{digest}.{part}.npy" for part in ("states", "offsets"))
        try:
            states, offsets = np.load(states_path, mmap_mode="r"), np.load(offsets_path)
            if len(offsets) != len(texts) + 1 or offsets[-1] != len(states):
                raise ValueError("stale")
        except (OSError, ValueError):
            parts = []
            with torch.inference_mode():
                for i in tqdm(range(0, len(texts), 32), desc="answer-fit states of the written answers (once)",
                              unit="batch", mininterval=5):
                    _, kept = self.encoder._forward(texts[i:i + 32], "query", layer)
                    parts.extend(t.to(torch.float16).numpy() for t in kept[layer])
            offsets = np.concatenate([[0], np.cumsum([len(p) for p in parts])]).astype(np.int64)
            states = np.concatenate(parts)
            try:
                states_path.parent.mkdir(parents=True, exist_ok=True)
                np.save(states_path, states)
                np.save(offsets_path, offsets)
            except OSError as e:  # a read-only cache costs the next start the same minutes
                log.warning("answer-fit states not cached (%s)", e)
        self._rows = {t: i for i, t in enumerate(texts)}
        self._states, self._offsets = states, offsets

    def _answer_states(self, answers: Sequence[str]) -> list:
        import torch

        texts = [fit_text(t) for t in answers]
        missing = [t for t in texts if t not in self._rows]
        computed = dict(zip(missing, self.encoder.token_states(missing, self.model.from_layer, "query", full=False)))
        out = []
        for t in texts:
            if t in computed:
                out.append(computed[t])
            else:
                i = self._rows[t]
                out.append(torch.from_numpy(np.asarray(self._states[self._offsets[i]:self._offsets[i + 1]],
                                                       np.float32)))
        return out

    def probabilities(self, message: str, answers: Sequence[str],
                      previous: tuple[str, str] | None = None) -> np.ndarray:
        """P(fits) of each answer to `message` after the `previous` exchange, in one batch."""
        if not answers:
            return np.zeros(0)
        asked = asked_text(message, previous)
        # a bare message was embedded in full by the turn's classifiers: its states are cached
        q = self.encoder.token_states([asked], self.model.from_layer, "query", full=previous is None)
        a = self._answer_states(answers)
        return self.model.predict_proba(q * len(a), a)[:, self.model.labels.index("fits")]


class AnswerBank:
    """Written answers looked up by message similarity (`ranked`, `best`); below the nearest ones, chosen by how
    well they fit (`AnswerFit`)."""

    def __init__(self, entries: Sequence[WrittenAnswer], embeddings: np.ndarray, encoder,
                 threshold: float = DEFAULT_THRESHOLD, candidates: int = 8, fit: AnswerFit | None = None,
                 fit_floor: float = FIT_FLOOR, telling: np.ndarray | None = None) -> None:
        """`embeddings`: the entries' messages as e5 queries, unit rows in `entries`' order; `encoder`: the
        `SentenceEncoder` that made them (it embeds each new message the same way); `threshold`: the least
        cosine between the messages; `candidates`: how many of the nearest are checked (`carries_over`).
        `fit`: the answer-fit model; with it, when no message is `threshold` alike, the `candidates` nearest
        messages at least `fit_floor` alike are candidates and the one whose answer fits best is served, when it
        fits well enough, to a user she knows nothing about. `telling`: embeddings of written messages that tell
        about the user (`written_telling_messages`): a message nearer to one of them than to any of the bank's
        gets only answers at least `threshold` alike."""
        if len(entries) != len(embeddings):
            raise ValueError(f"{len(entries)} written answers but {len(embeddings)} embeddings")
        for name, value in (("threshold", threshold), ("fit floor", fit_floor)):
            if not 0.0 < value <= 1.0:
                raise ValueError(f"the answer bank's {name} is a cosine in (0, 1], got {value}")
        self.entries = list(entries)
        self.embeddings = np.asarray(embeddings, np.float32)
        self.encoder = encoder
        self.threshold = threshold
        self.candidates = candidates
        self.fit = fit
        self.fit_floor = fit_floor
        self.telling = None if telling is None else np.asarray(telling, np.float32)

    @classmethod
    def from_written(cls, encoder=None, threshold: float = DEFAULT_THRESHOLD,
                     cache: Path | None = None, fit: bool = True) -> "AnswerBank":
        """The bank of the written conversations, with the saved answer-fit model when `fit` and there is one.
        Their embeddings are computed once (about 20 s on two cores) and kept in `cache` (default: the weights
        cache), keyed by the texts and the encoder."""
        if encoder is None:
            from dialogue.encoder import shared_encoder

            encoder = shared_encoder()
        held_out = evaluation_messages()
        entries = written_first_answers(held_out)
        if cache is None:
            from weights.manifest import cache_dir

            cache = cache_dir() / "answer-bank"
        embeddings = cached_query_embeddings([e.message for e in entries], encoder, cache, "written answers' messages")
        answer_fit = AnswerFit.load(encoder) if fit else None
        telling = None
        if answer_fit is not None:
            answer_fit.prepare([e.answer for e in entries], cache)
            telling = cached_query_embeddings(written_telling_messages(held_out), encoder, cache,
                                             "messages telling about the user")
        return cls(entries, embeddings, encoder, threshold, fit=answer_fit, telling=telling)

    def carried_over(self, message: str, now: datetime, least: float | None = None,
                     query: np.ndarray | None = None, before: str = "") -> list[tuple[float, WrittenAnswer]]:
        """(cosine, entry) for the nearest written messages in the same language that are at least `least` alike
        (default: `threshold`; with a fit model `fit_floor`, unless the message is nearer a written message that
        tells about the user than any of the bank's) and whose answers carry over to `message` at `now`, nearest
        first (what `ranked` chooses from). `query`: the message's embedding when the caller already has it.
        `before`: the user's message before this one in the conversation; those `carried_over_in_context` finds
        for the two together come first."""
        if not self.entries or not message.strip():
            return []
        q = self.encoder.encode_one(message, "query") if query is None else query
        sims = self.embeddings @ q
        found = self._carried_over(message, now, sims, q, least)
        in_context = self._in_context(message, before.strip(), now, float(sims.max())) if before.strip() else []
        if not in_context:
            return found
        first = {e for _, e in in_context}
        return in_context + [f for f in found if f[1] not in first]

    def carried_over_in_context(self, message: str, before: str, now: datetime,
                                query: np.ndarray | None = None) -> list[tuple[float, WrittenAnswer]]:
        """(cosine, entry) for the written first messages nearest the user's message `before` and this follow-up
        read together, when the nearest is at least CONTEXT_THRESHOLD alike and CONTEXT_MARGIN more alike than
        the nearest to the follow-up alone (`query`: its embedding, when the caller has it); else []. A follow-up
        read alone looks like a first message about something else; read with what it follows, it is often one
        a writer answered whole. Each must also be CONTEXT_MARGIN nearer the two together than `before` alone:
        a short reply ("오 들어볼게" after a song was asked for) leaves the pair as near the earlier message as it
        was, and that message has had its answer."""
        if not self.entries or not message.strip() or not before.strip():
            return []
        q = self.encoder.encode_one(message, "query") if query is None else query
        return self._in_context(message, before.strip(), now, float((self.embeddings @ q).max()))

    def _in_context(self, message: str, before: str, now: datetime, alone: float) -> list[tuple[float, WrittenAnswer]]:
        """`carried_over_in_context`, with `alone` the best cosine of the follow-up read alone."""
        if asks_for_exact_work(message):  # exact work is served only from a nearly identical message of its own
            return []
        least = max(CONTEXT_THRESHOLD, self.threshold)
        both = self.encoder.encode_one(f"{before} {message.strip()}", "query")
        sims = self.embeddings @ both
        best = float(sims.max())
        if best < least or best < alone + CONTEXT_MARGIN or self._tells_about_user(both, sims):
            return []
        earlier = self.embeddings @ self.encoder.encode_one(before, "query")
        return [(float(sims[i]), self.entries[i]) for i in self._carried_over_rows(message, now, sims, both, least)
                if sims[i] >= earlier[i] + CONTEXT_MARGIN]

    def _carried_over(self, message: str, now: datetime, sims: np.ndarray, q: np.ndarray,
                      least: float | None) -> list[tuple[float, WrittenAnswer]]:
        return [(float(sims[i]), self.entries[i]) for i in self._carried_over_rows(message, now, sims, q, least)]

    def _carried_over_rows(self, message: str, now: datetime, sims: np.ndarray, q: np.ndarray,
                           least: float | None) -> list[int]:
        """The rows of `carried_over`'s entries, nearest first, for cosines `sims` of the query `q`."""
        lang = language_of(message)
        if least is None:
            least = self.fit_floor if self.fit is not None and not self._tells_about_user(q, sims) else self.threshold
            if asks_for_exact_work(message):
                least = max(least, EXACT_WORK_THRESHOLD)
        found = []
        for i in np.argsort(-sims)[: self.candidates]:
            s = float(sims[i])
            if s < least:
                break
            entry = self.entries[i]
            if s < CARE_THRESHOLD and _CARE.search(entry.answer) and not _CARE.search(message):
                continue
            if entry.lang == lang and carries_over(entry, message, now):
                found.append(int(i))
        return found

    def _tells_about_user(self, query: np.ndarray, sims: np.ndarray) -> bool:
        """Whether the message (`query`, its cosines to the bank's messages `sims`) is nearer a written message
        that tells about the user than any message of the bank."""
        return self.telling is not None and len(self.telling) > 0 and float((self.telling @ query).max()) > sims.max()

    def example(self, message: str, now: datetime, skip: Collection[str] = (),
                query: np.ndarray | None = None) -> tuple[str, str]:
        """The nearest written exchange (message, answer) at least EXAMPLE_THRESHOLD alike whose answer carries
        over and is not in `skip`, or (): shown in the answer prompt (`TurnContext.example`) when no written
        answer is served word for word."""
        for _, entry in self.carried_over(message, now, EXAMPLE_THRESHOLD, query):
            if entry.answer not in skip:
                return entry.message, entry.answer
        return ()

    def ranked(self, found: Sequence[tuple[float, WrittenAnswer]], message: str, knows_user: bool = False,
               said: Collection[str] = (), previous: tuple[str, str] | None = None) -> list[ReusedAnswer]:
        """The answers of `carried_over`'s `found` she may give this user (`usable`), best first: those of
        messages at least `threshold` alike, nearest first; when there is none, a fit model is loaded and she
        knows nothing about the user (`knows_user` false) and the message does not tell the user's name, those of
        the messages down to `fit_floor` that fit at least its threshold, best fit first (the model read against
        the nearest message did worse on validation: docs/open-eval/answer-fit/). `previous`: the exchange before
        the message in this conversation, if any."""
        found = [(s, e) for s, e in usable(found, knows_user, said)
                 if shares_syllables(message, e.message, previous[0] if previous else "")]
        near = [ReusedAnswer(e.answer, s, e.message, e.source) for s, e in found if s >= self.threshold]
        found = [(s, e) for s, e in found if s < self.threshold]
        # the written answers were written for a user she knew nothing about: below the nearest they would pass
        # over what she knows, or over who is introducing themself
        if near or self.fit is None or not found or knows_user or told_name(message) is not None:
            return near
        fits = self.fit.probabilities(message, [e.answer for _, e in found], previous)
        order = [i for i in np.argsort(-fits, kind="stable") if fits[i] >= self.fit.threshold]
        return [ReusedAnswer(found[i][1].answer, found[i][0], found[i][1].message, found[i][1].source,
                             float(fits[i])) for i in order]

    def best(self, message: str, now: datetime, knows_user: bool = False, said: Collection[str] = (),
             previous: tuple[str, str] | None = None) -> ReusedAnswer | None:
        """The first of `ranked` for `message` at `now`, or None when no written answer is close and fits."""
        found = self.ranked(self.carried_over(message, now), message, knows_user, said, previous)
        return found[0] if found else None


def usable(found: Sequence[tuple[float, WrittenAnswer]], knows_user: bool = False,
           said: Collection[str] = ()) -> list[tuple[float, WrittenAnswer]]:
    """Those of `AnswerBank.carried_over`'s answers she may give this user. `knows_user`: she has memories of
    this user, so answers written for a user she knew nothing about are skipped. `said`: her recent answers in
    this conversation, never repeated word for word (the same message twice gets another written answer, or
    the model's)."""
    return [(s, e) for s, e in found if not (knows_user and e.category == "about_user") and e.answer not in said]

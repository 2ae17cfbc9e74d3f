"""Written answers reused: the first exchange of every written conversation, found by its message.

The small answer model loses the thread on everyday messages that the written conversations
(`dialogue/data/written/turns/`) already answer well. When a message is close enough in e5 space to one a
writer answered as her, with no stored memory in play, that written answer is served instead of a generated
one. Only answers that carry over are kept: none to a message that told the writer's own facts about the user,
and none with a number the message does not hold, a weekday, month or year, a part of the day, season or
weather that is not true now, or 존댓말 to a message in 반말 (docs/open-eval/README.md, "Written answers reused": how
the threshold and these rules were chosen).
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

from dialogue.prompting import language_of

log = logging.getLogger(__name__)

# chosen on the 200 validation open messages (docs/open-eval/README.md, "Written answers reused")
DEFAULT_THRESHOLD = 0.92
# the least cosine of a written exchange shown to the adapter as an example (`AnswerBank.example`)
EXAMPLE_THRESHOLD = 0.85

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


def carries_over(entry: WrittenAnswer, message: str, now: datetime) -> bool:
    """Whether `entry`'s answer still holds for `message` at `now`: every number in it (outside code) is in the
    message, it names no weekday, month or year, a part of the day, season or weather it names is true now (or
    the message names it too), and it is in 존댓말 only when the message is."""
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


def evaluation_messages() -> set[str]:
    """Normalized messages of every validation and test set of her answers (a message, question or text): a
    written answer to the same words is left out, as held-out text never trains."""
    from dialogue.data.written import her_answer_messages, normalized

    return {normalized(t) for split in ("val", "test") for t in her_answer_messages(split)}


class AnswerBank:
    """Written answers looked up by message similarity (`best`)."""

    def __init__(self, entries: Sequence[WrittenAnswer], embeddings: np.ndarray, encoder,
                 threshold: float = DEFAULT_THRESHOLD, candidates: int = 8) -> None:
        """`embeddings`: the entries' messages as e5 queries, unit rows in `entries`' order; `encoder`: the
        `SentenceEncoder` that made them (it embeds each new message the same way); `threshold`: the least
        cosine between the messages; `candidates`: how many of the nearest are checked (`carries_over`)."""
        if len(entries) != len(embeddings):
            raise ValueError(f"{len(entries)} written answers but {len(embeddings)} embeddings")
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"the answer bank's threshold is a cosine in (0, 1], got {threshold}")
        self.entries = list(entries)
        self.embeddings = np.asarray(embeddings, np.float32)
        self.encoder = encoder
        self.threshold = threshold
        self.candidates = candidates

    @classmethod
    def from_written(cls, encoder=None, threshold: float = DEFAULT_THRESHOLD,
                     cache: Path | None = None) -> "AnswerBank":
        """The bank of the written conversations. Their embeddings are computed once (about 20 s on two cores)
        and kept in `cache` (default: the weights cache), keyed by the texts and the encoder."""
        if encoder is None:
            from dialogue.encoder import shared_encoder

            encoder = shared_encoder()
        entries = written_first_answers(evaluation_messages())
        digest = hashlib.sha256("\n".join([str(getattr(encoder, "source", type(encoder).__name__))]
                                          + [e.message for e in entries]).encode()).hexdigest()[:16]
        if cache is None:
            from weights.manifest import cache_dir

            cache = cache_dir() / "answer-bank"
        path = Path(cache) / f"{digest}.npy"
        try:
            embeddings = np.load(path)
            if embeddings.shape[0] != len(entries):
                raise ValueError("stale")
        except (OSError, ValueError):
            log.info("embedding %d written answers' messages for the answer bank (once)", len(entries))
            embeddings = encoder.encode([e.message for e in entries], kind="query", batch_size=64)
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                np.save(path, embeddings.astype(np.float32))
            except OSError as e:  # a read-only cache only costs the next start the same 20 s
                log.warning("answer bank embeddings not cached (%s)", e)
        return cls(entries, embeddings, encoder, threshold)

    def carried_over(self, message: str, now: datetime, least: float | None = None,
                     query: np.ndarray | None = None) -> list[tuple[float, WrittenAnswer]]:
        """(cosine, entry) for the nearest written messages in the same language that are at least `threshold`
        (or `least`) alike and whose answers carry over to `message` at `now`, nearest first (what `pick` chooses
        from). `query`: the message's embedding when the caller already has it."""
        if not self.entries or not message.strip():
            return []
        least = self.threshold if least is None else least
        lang = language_of(message)
        q = self.encoder.encode_one(message, "query") if query is None else query
        sims = self.embeddings @ q
        found = []
        for i in np.argsort(-sims)[: self.candidates]:
            s = float(sims[i])
            if s < least:
                break
            entry = self.entries[i]
            if entry.lang == lang and carries_over(entry, message, now):
                found.append((s, entry))
        return found

    def example(self, message: str, now: datetime, skip: Collection[str] = (),
                query: np.ndarray | None = None) -> tuple[str, str]:
        """The nearest written exchange (message, answer) at least EXAMPLE_THRESHOLD alike whose answer carries
        over and is not in `skip`, or (): shown in the answer prompt (`TurnContext.example`) when no written
        answer is served word for word."""
        for _, entry in self.carried_over(message, now, EXAMPLE_THRESHOLD, query):
            if entry.answer not in skip:
                return entry.message, entry.answer
        return ()

    def best(self, message: str, now: datetime, knows_user: bool = False,
             said: Collection[str] = ()) -> ReusedAnswer | None:
        """The written answer for the nearest written message in the same language that is at least `threshold`
        alike and whose answer carries over to `message` at `now`; None when there is none (`carried_over`, then
        `pick`)."""
        return pick(self.carried_over(message, now), knows_user, said)


def pick(found: Sequence[tuple[float, WrittenAnswer]], knows_user: bool = False,
         said: Collection[str] = ()) -> ReusedAnswer | None:
    """The first of `AnswerBank.carried_over`'s answers she may give this user, or None. `knows_user`: she has
    memories of this user, so answers written for a user she knew nothing about are skipped. `said`: her recent
    answers in this conversation, never repeated word for word (the same message twice gets the next written
    answer, or the model's)."""
    for s, entry in found:
        if (knows_user and entry.category == "about_user") or entry.answer in said:
            continue
        return ReusedAnswer(entry.answer, s, entry.message, entry.source)
    return None

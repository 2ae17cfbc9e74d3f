"""Messages that say someone may be in danger of suicide or self-harm, and her answer to them.

A companion must not answer "그냥 다 사라지고 싶어" with small talk, and must not answer "배고파 죽겠다" with a crisis
line. `CrisisDetector` reads a message as `self` (the user at risk), `other` (someone the user knows) or neither:
a logistic regression on the message's e5 embedding (the one memory retrieval reuses; fine-tuned top layers also
load) mixed with one on character n-grams (the spelling that tells "죽고 싶다" from "죽겠다"), both fitted on written
messages (`dialogue/data/written/crisis/`) and a threshold chosen on the validation writer's
(`ohlora classifiers train --task crisis`; docs/dialogue-eval.md, "Crisis messages"). The conversation has it read a
message after the user's recent messages (`in_context`), where a plan often follows the distress it answers.
`crisis_reply` gives one of
her written answers (`dialogue/data/crisis_replies.toml`): care first, then a crisis line for the user's language.
"""
from __future__ import annotations

import functools
import tomllib
import zlib
from collections.abc import Collection, Sequence
from pathlib import Path

import numpy as np

from dialogue.answer_bank import polite
from dialogue.classifiers import (HEADS_DIR, CharNgramHead, EmbeddingHead, _message_probabilities, load_classifier,
                                  mix_probabilities)
from dialogue.prompting import language_of

# the user at risk, someone the user knows at risk, neither (the written data's labels: dialogue.data.written)
CRISIS_LABELS = ("none", "self", "other")
REPLIES_FILE = Path(__file__).resolve().parent / "data" / "crisis_replies.toml"
HEAD_PATH = HEADS_DIR / "crisis"
# a message is read after the user's messages of up to this many exchanges before it (chosen on the written
# validation conversations: docs/dialogue-eval.md, "Crisis messages read in context")
CONTEXT_EXCHANGES = 2


class CrisisDetector:
    """P(none, self, other | message); a message is read as a crisis when P(self) + P(other) reaches
    `threshold` (chosen on validation, stored with the head)."""

    def __init__(self, encoder=None, head=None, ngrams: CharNgramHead | None | bool = None,
                 threshold: float | None = None) -> None:
        """`head`: fine-tuned top e5 layers (`dialogue.layer_classifier`) or an `EmbeddingHead` on the message's
        embedding; `head`/`ngrams`: the committed ones (weights/classifiers/crisis.*) when None; `ngrams=False`:
        none."""
        if encoder is None:
            from dialogue.encoder import shared_encoder

            encoder = shared_encoder()
        self.encoder = encoder
        self.head = head if head is not None else load_classifier(HEAD_PATH, encoder)
        if tuple(self.head.labels) != CRISIS_LABELS:
            raise ValueError(f"a crisis head must have the labels {CRISIS_LABELS}, not {self.head.labels}")
        if ngrams is None:
            ngrams = CharNgramHead.load(HEAD_PATH)
        self.ngrams = ngrams or None
        self.threshold = float(threshold if threshold is not None else self.head.meta.get("threshold", 0.5))

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        if isinstance(self.head, EmbeddingHead):
            p = self.head.predict_proba(self.encoder.encode(texts, "query"))
        else:  # the layers start from the message's cached encoder pass, which memory retrieval then reuses
            p = _message_probabilities(self.encoder, self.head, texts)
        if self.ngrams is not None and texts:
            p = mix_probabilities(p, self.ngrams.predict_proba(texts), self.ngrams.weight)
        return p

    def assessments(self, texts: Sequence[str]) -> list[str]:
        """For each message "self", "other" or "" (no crisis read)."""
        return [CRISIS_LABELS[i] if i else "" for i in crisis_predictions(self.predict_proba(texts), self.threshold)]

    def assess(self, message: str, earlier: Sequence[str] = ()) -> str:
        """"self", "other" or "" for `message`, read together with the user's `earlier` messages of the same
        conversation (oldest first): "그래서 약 좀 모아뒀어" says something else after "요즘 다 의미 없어" than after
        "비타민 떨어졌어" (docs/dialogue-eval.md, "Crisis messages read in context")."""
        return self.assessments([in_context(message, earlier)])[0]


def in_context(message: str, earlier: Sequence[str] = ()) -> str:
    """The text the detector reads for `message` after the user's `earlier` messages: one line each, oldest first."""
    return "\n".join([*(m.strip() for m in earlier if m.strip()), message.strip()])


def is_crisis_reply(text: str) -> bool:
    """Whether `text` is one of her written crisis answers (a conversation after one is read afresh)."""
    return text.strip() in _reply_texts()


def crisis_predictions(p: np.ndarray, threshold: float) -> np.ndarray:
    """Label indices into CRISIS_LABELS for probabilities `p` [n, 3]: self or other (the likelier) when
    P(self) + P(other) reaches `threshold`, else none."""
    s, o = CRISIS_LABELS.index("self"), CRISIS_LABELS.index("other")
    risk = p[:, s] + p[:, o] >= threshold
    return np.where(risk, np.where(p[:, s] >= p[:, o], s, o), CRISIS_LABELS.index("none"))


@functools.cache
def _replies() -> dict:
    with REPLIES_FILE.open("rb") as f:
        return tomllib.load(f)


@functools.cache
def _reply_texts() -> frozenset[str]:
    return frozenset(r for kind in _replies().values() for pool in kind.values() for r in pool)


def crisis_reply(kind: str, message: str, said: Collection[str] = ()) -> str:
    """Her written answer to a crisis message of `kind` ("self" or "other") in the message's language (존댓말 to a
    message in 존댓말), one she has not said among `said`; which one is fixed by the message's text."""
    if kind not in ("self", "other"):
        raise ValueError(f"crisis kind must be 'self' or 'other', not {kind!r}")
    lang = language_of(message)
    options = _replies()[kind]
    pool = options["ko_polite"] if lang == "ko" and polite(message) else options[lang]
    fresh = [r for r in pool if r not in said] or pool
    return fresh[zlib.crc32(message.encode()) % len(fresh)]

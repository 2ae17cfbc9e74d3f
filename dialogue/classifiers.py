"""The ethics, topic-change and persona-question classifiers on multilingual-e5-small.

Two kinds of classifier, both with a temperature fitted on the validation split (calibrated probabilities):
- the top e5 layers fine-tuned, with a linear head (`dialogue.layer_classifier.LayerClassifier`); they read
  the shared frozen encoder's hidden states below those layers;
- a linear head on frozen e5 "query: " embeddings (`EmbeddingHead`; for topic change on the pair
  [a, b, a*b, |a-b|] of the previous summary and the new message): a few KB.
Both live in weights/classifiers/; `ohlora classifiers train` rebuilds them from dialogue/data/
(docs/dialogue-eval.md has the measurements that chose between them).
"""
from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from dialogue.prompting import PERSONA_ASPECTS

HEADS_DIR = Path(__file__).resolve().parent.parent / "weights" / "classifiers"
ETHICS_LABELS = ("normal", "romance", "politics", "insult", "hate", "sexual")
TOPIC_LABELS = ("continued", "changed")
PERSONA_LABELS = ("none",) + PERSONA_ASPECTS


@dataclass
class EmbeddingHead:
    """softmax(MLP(x) / temperature) in numpy: layers are (weight [out, in], bias [out]), ReLU between."""

    labels: tuple[str, ...]
    layers: list[tuple[np.ndarray, np.ndarray]]
    temperature: float = 1.0
    meta: dict = field(default_factory=dict)

    def logits(self, x: np.ndarray) -> np.ndarray:
        h = np.asarray(x, np.float32)
        for i, (w, b) in enumerate(self.layers):
            h = h @ w.T + b
            if i < len(self.layers) - 1:
                h = np.maximum(h, 0)
        return h

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        z = self.logits(x) / self.temperature
        z = z - z.max(axis=1, keepdims=True)
        p = np.exp(z)
        return p / p.sum(axis=1, keepdims=True)

    def save(self, path: Path) -> None:
        from safetensors.numpy import save_file

        tensors = {f"layer{i}.{n}": np.ascontiguousarray(t, np.float32)
                   for i, (w, b) in enumerate(self.layers) for n, t in (("weight", w), ("bias", b))}
        path.parent.mkdir(parents=True, exist_ok=True)
        save_file(tensors, str(path.with_suffix(".safetensors")))
        path.with_suffix(".json").write_text(json.dumps(
            {"labels": list(self.labels), "temperature": self.temperature, **self.meta}, ensure_ascii=False, indent=1))

    @classmethod
    def load(cls, path: Path) -> EmbeddingHead:
        from safetensors.numpy import load_file

        if not path.with_suffix(".safetensors").exists():
            raise FileNotFoundError(f"classifier head {path.with_suffix('.safetensors')} is missing; "
                                    "rebuild it with `ohlora classifiers train`")
        t = load_file(str(path.with_suffix(".safetensors")))
        meta = json.loads(path.with_suffix(".json").read_text())
        n = len({k.split(".")[0] for k in t})
        layers = [(t[f"layer{i}.weight"], t[f"layer{i}.bias"]) for i in range(n)]
        labels = tuple(meta.pop("labels"))
        return cls(labels, layers, float(meta.pop("temperature")), meta)


_WHITESPACE_RUNS = re.compile(r"\s\s+")  # scikit-learn's char_wb joins runs of whitespace first


@dataclass
class CharNgramHead:
    """A class-balanced logistic regression on TF-IDF character n-grams within words (scikit-learn's
    `char_wb` analyzer, lower-cased, sublinear tf): the spelling the e5 layers smooth away — "ㅅㅂ",
    spaced-out insults, "존맛" and "개웃겨" as praise. The ethics classifier mixes its log-probabilities with
    the fine-tuned layers' (`weight`, chosen on val; docs/dialogue-eval.md)."""

    labels: tuple[str, ...]
    ngram_range: tuple[int, int]
    vocabulary: list[str]
    idf: np.ndarray        # [V]
    coef: np.ndarray       # [labels, V]
    intercept: np.ndarray  # [labels]
    weight: float = 0.5    # of its log-probabilities in the mix
    meta: dict = field(default_factory=dict)
    _ngram_index: dict | None = field(default=None, repr=False, compare=False)  # n-gram → vocabulary index

    def _index(self) -> dict[str, int]:
        if self._ngram_index is None:
            self._ngram_index = {g: i for i, g in enumerate(self.vocabulary)}
        return self._ngram_index

    def _features(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(vocabulary indices, values) of one text's TF-IDF vector: what scikit-learn's fitted vectorizer gives
        (lower-cased `char_wb` n-grams, sublinear tf, l2 norm), without its per-call overhead (~1 ms a message,
        more than the rest of the head)."""
        index, counts = self._index(), {}
        lo, hi = self.ngram_range
        for word in _WHITESPACE_RUNS.sub(" ", text.lower()).split():
            word = f" {word} "
            for n in range(lo, hi + 1):
                if len(word) <= n:  # a word shorter than n counts once, whole, and ends the word
                    i = index.get(word)
                    if i is not None:
                        counts[i] = counts.get(i, 0) + 1
                    break
                for k in range(len(word) - n + 1):
                    i = index.get(word[k:k + n])
                    if i is not None:
                        counts[i] = counts.get(i, 0) + 1
        cols = np.fromiter(counts.keys(), np.int64, len(counts))
        vals = (1.0 + np.log(np.fromiter(counts.values(), np.float64, len(counts)))) * self.idf[cols]
        norm = np.sqrt((vals * vals).sum())
        return cols, (vals / norm if norm > 0 else vals)

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        z = np.empty((len(texts), len(self.labels)), np.float64)
        for row, text in enumerate(texts):
            cols, vals = self._features(text)
            z[row] = self.coef[:, cols] @ vals + self.intercept
        z = z - z.max(axis=1, keepdims=True)
        p = np.exp(z)
        return p / p.sum(axis=1, keepdims=True)

    def save(self, path: Path) -> None:
        """NAME.ngrams.safetensors (idf, coef, intercept) and NAME.ngrams.json (labels, vocabulary, weight)."""
        from safetensors.numpy import save_file

        tensors, config = ngram_files(path)
        # contiguous: scikit-learn's coefficients can be Fortran-ordered, and safetensors writes memory order
        save_file({"idf": np.ascontiguousarray(self.idf, np.float32), "coef": np.ascontiguousarray(self.coef, np.float16),
                   "intercept": np.ascontiguousarray(self.intercept, np.float32)}, str(tensors))
        config.write_text(json.dumps(
            {"labels": list(self.labels), "ngram_range": list(self.ngram_range), "weight": self.weight,
             **self.meta, "vocabulary": self.vocabulary}, ensure_ascii=False))

    @classmethod
    def load(cls, path: Path) -> CharNgramHead | None:
        """The head saved beside weights/classifiers/NAME, or None when there is none."""
        from safetensors.numpy import load_file

        tensors, config = ngram_files(path)
        if not tensors.exists() or not config.exists():
            return None
        t = load_file(str(tensors))
        meta = json.loads(config.read_text())
        labels, rng, vocab, weight = (meta.pop(k) for k in ("labels", "ngram_range", "vocabulary", "weight"))
        return cls(tuple(labels), (int(rng[0]), int(rng[1])), vocab, t["idf"], t["coef"].astype(np.float32),
                   t["intercept"], float(weight), meta)


def ngram_files(path: Path) -> tuple[Path, Path]:
    """(tensors, config) of the n-gram head beside weights/classifiers/NAME: NAME.ngrams.safetensors, .json."""
    return path.with_name(path.name + ".ngrams.safetensors"), path.with_name(path.name + ".ngrams.json")


def mix_probabilities(p: np.ndarray, q: np.ndarray, weight: float) -> np.ndarray:
    """The normalized weighted geometric mean of two classifiers' probabilities: p^(1-weight) q^weight."""
    z = (1.0 - weight) * np.log(np.clip(p, 1e-9, None)) + weight * np.log(np.clip(q, 1e-9, None))
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def pair_features(prev: np.ndarray, msg: np.ndarray) -> np.ndarray:
    """Symmetric-aware features of two unit vectors (the classic sentence-pair recipe)."""
    return np.concatenate([prev, msg, prev * msg, np.abs(prev - msg)], axis=1)


def load_classifier(path: Path, encoder):
    """The classifier saved at weights/classifiers/NAME: fine-tuned top layers when their weights are
    there (`dialogue.layer_classifier`), else the linear head on frozen embeddings."""
    from dialogue.layer_classifier import LayerEnsemble, is_layer_classifier

    if is_layer_classifier(path):
        return LayerEnsemble.load(path, encoder.config)
    return EmbeddingHead.load(path)


def _encoder_and_head(encoder, head, name: str):
    """(the encoder given or the shared one, the head given or the committed weights/classifiers/NAME)."""
    if encoder is None:
        from dialogue.encoder import shared_encoder

        encoder = shared_encoder()
    return encoder, head if head is not None else load_classifier(HEADS_DIR / name, encoder)


def _message_probabilities(encoder, head, texts: list[str]) -> np.ndarray:
    """A fine-tuned-layers classifier's probabilities for each message. The whole encoder runs
    (full=True): the message's embedding, cached, then serves retrieval, and the states the classifiers
    start from are cached for the next one."""
    states = encoder.token_states(texts, head.from_layer, "query", full=True)
    return np.concatenate([head.predict_proba(states[s]) for s in _batches(len(states))])


def persona_predictions(p: np.ndarray, threshold: float) -> np.ndarray:
    """The label index a persona-question classifier acts on: its arg-max, or "none" (0) below `threshold`."""
    best = p.argmax(1)
    return np.where(p[np.arange(len(p)), best] >= threshold, best, 0)


def ethics_predictions(p: np.ndarray, flag_below: float) -> tuple[np.ndarray, np.ndarray]:
    """(flagged, predicted category) of each row of ethics probabilities: normal unless P(normal) <
    flag_below, else the likeliest other category (`EthicsClassifier.judge`, batched)."""
    flagged = p[:, 0] < flag_below
    other = p.copy()
    other[:, 0] = -1
    return flagged, np.where(flagged, other.argmax(1), 0)


def describe(head) -> str:
    """What kind of classifier a loaded head is, for reports."""
    if isinstance(head, EmbeddingHead):
        return "linear head on frozen e5 embeddings"
    members = len(getattr(head, "members", ()))
    kind = f"top {len(head.layers)} of 12 e5 layers fine-tuned + linear head"
    return f"{kind}, mean of {members} seeds" if members > 1 else kind


def _batches(n: int, size: int = 64):
    return (slice(i, i + size) for i in range(0, n, size))


@dataclass(frozen=True)
class EthicsJudgement:
    category: str       # "normal" unless the message is flagged
    probability: float  # of that category
    offence: bool       # flagged confidently enough to count toward warnings and blocks


# Honorific nouns no ethics writer used, read as the plain word they stand for: the classifier took the 성 of
# 성함 (a polite "name") for sex, and "성함이 어떻게 되세요?" counted as a sexual offence (P 0.999).
_HONORIFICS = (("성함", "이름"), ("존함", "이름"))


def plain_honorifics(text: str) -> str:
    """The text with the honorific nouns of _HONORIFICS replaced by their plain words, for the ethics classifier."""
    for honorific, plain in _HONORIFICS:
        text = text.replace(honorific, plain)
    return text


class EthicsClassifier:
    """P(category | message) over normal, romance, politics, insult, hate, sexual.

    Two thresholds on P(normal), both chosen on the validation split: below `flag_below` a message is
    flagged (best macro-F1) and answered by the safety gate instead of the persona; only below the stricter
    `strike_below` (≤ 1% of normal validation messages) does it count as an offence toward warnings and
    blocks, so the classifier's doubtful calls never escalate against a user.
    """

    def __init__(self, encoder=None, head=None, ngrams: CharNgramHead | None | bool = None):
        """ngrams: a `CharNgramHead` mixed into the probabilities; None = the committed one when the committed
        head is used (`weights/classifiers/ethics.ngrams.*`, if present), False = none."""
        committed = head is None
        self.encoder, self.head = _encoder_and_head(encoder, head, "ethics")
        if ngrams is None:
            ngrams = CharNgramHead.load(HEADS_DIR / "ethics") if committed else None
        self.ngrams = ngrams or None
        # flag a message when P(normal) falls below this (chosen on validation, see docs/dialogue-eval.md)
        self.flag_below = float(self.head.meta.get("flag_below_normal", 0.5))
        self.strike_below = min(self.flag_below, float(self.head.meta.get("strike_below_normal", self.flag_below)))

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        texts = [plain_honorifics(t) for t in texts]
        if isinstance(self.head, EmbeddingHead):
            p = self.head.predict_proba(self.encoder.encode(texts, "query"))
        else:
            p = _message_probabilities(self.encoder, self.head, texts)
        if self.ngrams is not None and texts:
            p = mix_probabilities(p, self.ngrams.predict_proba(texts), self.ngrams.weight)
        return p

    def judge(self, text: str) -> EthicsJudgement:
        """The category (normal unless flagged), its probability, and whether it counts as an offence."""
        p = self.predict_proba([text])[0]
        normal = self.head.labels.index("normal")
        if p[normal] >= self.flag_below:
            return EthicsJudgement("normal", float(p[normal]), False)
        p_other = p.copy()
        p_other[normal] = -1
        i = int(p_other.argmax())
        return EthicsJudgement(self.head.labels[i], float(p[i]), bool(p[normal] < self.strike_below))

    def classify(self, text: str) -> tuple[str, float]:
        """(category, its probability); 'normal' unless the message is flagged."""
        j = self.judge(text)
        return j.category, j.probability


class TopicChangeClassifier:
    """`TopicDetector`: has the user changed the subject since the previous turn's summary?"""

    def __init__(self, encoder=None, head=None, threshold: float | None = None):
        self.encoder, self.head = _encoder_and_head(encoder, head, "topic")
        self.threshold = float(threshold if threshold is not None else self.head.meta.get("threshold", 0.5))

    def probabilities(self, previous: Sequence[str], messages: Sequence[str]) -> np.ndarray:
        """P(changed) for each (previous summary, message) pair."""
        previous, messages = list(previous), list(messages)
        changed = self.head.labels.index("changed")
        if isinstance(self.head, EmbeddingHead):
            a, b = self.encoder.encode(previous, "query"), self.encoder.encode(messages, "query")
            return self.head.predict_proba(pair_features(a, b))[:, changed]
        layer = self.head.from_layer
        # the summary needs only the frozen layers below the classifier's; the message is embedded in full
        a = self.encoder.token_states(previous, layer, "query", full=False)
        b = self.encoder.token_states(messages, layer, "query", full=True)
        return np.concatenate([self.head.predict_proba(a[s], b[s]) for s in _batches(len(a))])[:, changed]

    def prepare(self, summary: str) -> None:
        """Compute what the next turn needs of a new summary now (after an answer, off the critical path)."""
        if summary.strip() and not isinstance(self.head, EmbeddingHead):
            self.encoder.token_states([summary], self.head.from_layer, "query", full=False)

    def probability(self, previous_summary: str, message: str) -> float:
        return float(self.probabilities([previous_summary], [message])[0])

    def changed(self, previous_summary: str, message: str) -> bool:
        """True when the message starts a new subject; no previous turn counts as a change."""
        if not previous_summary.strip():
            return True
        return self.probability(previous_summary, message) >= self.threshold


class PersonaQuestionClassifier:
    """Which persona fact (name, age, birthday, …) a message asks about, so the answer prompt can show it.

    Top e5 layers fine-tuned on the generated turns' messages and memory questions and on the written questions
    about her and their look-alikes (`ohlora classifiers train --task persona`); a fact is shown only when its
    probability reaches `threshold` (chosen on the validation part).
    """

    def __init__(self, encoder=None, head=None, threshold: float | None = None):
        self.encoder, self.head = _encoder_and_head(encoder, head, "persona")
        self.threshold = float(threshold if threshold is not None else self.head.meta.get("threshold", 0.5))
        # The ethics gate (`asked_fact`) and the answer prompt (`aspect`) both ask about the same message in one
        # turn; the last single message's probabilities are kept so the head runs once.
        self._last: tuple[str, np.ndarray] | None = None

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        last = self._last
        if len(texts) == 1 and last is not None and last[0] == texts[0]:
            return last[1][None].copy()
        p = _message_probabilities(self.encoder, self.head, texts)
        if len(texts) == 1:
            self._last = (texts[0], p[0].copy())
        return p

    def aspects(self, texts: Sequence[str]) -> list[str]:
        """The asked persona fact of each message, or "" (none, or not confident enough)."""
        labels = [label if label != "none" else "" for label in self.head.labels]
        return [labels[i] for i in persona_predictions(self.predict_proba(texts), self.threshold)]

    def aspect(self, message: str) -> str:
        return self.aspects([message])[0]

    def asked_fact(self, message: str) -> tuple[str, float]:
        """The persona fact the message most likely asks about and its probability, whatever the threshold."""
        p = self.predict_proba([message])[0]
        i = 1 + int(p[1:].argmax())  # label 0 is "none"
        return self.head.labels[i], float(p[i])

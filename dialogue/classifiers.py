"""The ethics and topic-change classifiers: small heads on frozen multilingual-e5-small embeddings.

A head is a softmax over `features(texts)` (e5 "query: " embeddings; for topic change the pair
[a, b, a*b, |a-b|] of the previous summary and the new message), linear (multinomial logistic regression), and a temperature fitted on the validation split so that its probabilities are calibrated. Heads are
tiny (a few KB) and committed in weights/classifiers/; `ohlora classifiers train` rebuilds them from
dialogue/data/ (docs/classifiers.md has the measurement that chose the head over fine-tuning).
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

HEADS_DIR = Path(__file__).resolve().parent.parent / "weights" / "classifiers"
DATA_DIR = Path(__file__).resolve().parent / "data"
ETHICS_LABELS = ("normal", "romance", "politics", "insult", "hate", "sexual")
TOPIC_LABELS = ("continued", "changed")


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


def pair_features(prev: np.ndarray, msg: np.ndarray) -> np.ndarray:
    """Symmetric-aware features of two unit vectors (the classic sentence-pair recipe)."""
    return np.concatenate([prev, msg, prev * msg, np.abs(prev - msg)], axis=1)


class EthicsClassifier:
    """P(category | message) over normal, romance, politics, insult, hate, sexual."""

    def __init__(self, encoder=None, head: EmbeddingHead | None = None):
        if encoder is None:
            from dialogue.encoder import shared_encoder

            encoder = shared_encoder()
        self.encoder = encoder
        self.head = head or EmbeddingHead.load(HEADS_DIR / "ethics")
        # flag a message when P(normal) falls below this (chosen on validation for ≤ 1% false flags)
        self.flag_below = float(self.head.meta.get("flag_below_normal", 0.5))

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        return self.head.predict_proba(self.encoder.encode(texts, "query"))

    def classify(self, text: str) -> tuple[str, float]:
        """(category, its probability); 'normal' unless the message is flagged."""
        p = self.predict_proba([text])[0]
        normal = self.head.labels.index("normal")
        if p[normal] >= self.flag_below:
            return "normal", float(p[normal])
        p_other = p.copy()
        p_other[normal] = -1
        i = int(p_other.argmax())
        return self.head.labels[i], float(p[i])


class TopicChangeClassifier:
    """`TopicDetector`: has the user changed the subject since the previous turn's summary?"""

    def __init__(self, encoder=None, head: EmbeddingHead | None = None, threshold: float = 0.5):
        if encoder is None:
            from dialogue.encoder import shared_encoder

            encoder = shared_encoder()
        self.encoder = encoder
        self.head = head or EmbeddingHead.load(HEADS_DIR / "topic")
        self.threshold = threshold

    def probability(self, previous_summary: str, message: str) -> float:
        e = self.encoder.encode([previous_summary, message], "query")
        p = self.head.predict_proba(pair_features(e[:1], e[1:]))[0]
        return float(p[self.head.labels.index("changed")])

    def changed(self, previous_summary: str, message: str) -> bool:
        """True when the message starts a new subject; no previous turn counts as a change."""
        if not previous_summary.strip():
            return True
        return self.probability(previous_summary, message) >= self.threshold


# ---- training ------------------------------------------------------------------------------------

def read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def fit_head(x: np.ndarray, y: np.ndarray, labels: Sequence[str], c: float = 10.0) -> EmbeddingHead:
    """Class-balanced multinomial logistic regression (L2, strength 1/c) as an EmbeddingHead."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=c, max_iter=5000, class_weight="balanced").fit(x, y)
    w, b = model.coef_.astype(np.float32), model.intercept_.astype(np.float32)
    if len(labels) == 2:  # sklearn keeps one logit for two classes: make it [0, z]
        w, b = np.concatenate([np.zeros_like(w), w]), np.concatenate([np.zeros_like(b), b])
    return EmbeddingHead(tuple(labels), [(w, b)])


def fit_temperature(head: EmbeddingHead, x: np.ndarray, y: np.ndarray) -> float:
    """The temperature minimizing validation NLL (a 1-D search; calibration, not accuracy)."""
    z = head.logits(x)
    best_t, best_nll = 1.0, np.inf
    for t in np.exp(np.linspace(np.log(0.05), np.log(20), 200)):
        s = z / t
        s = s - s.max(1, keepdims=True)
        nll = -(s[np.arange(len(y)), y] - np.log(np.exp(s).sum(1))).mean()
        if nll < best_nll:
            best_t, best_nll = float(t), nll
    return best_t


def expected_calibration_error(p: np.ndarray, y: np.ndarray, bins: int = 10) -> float:
    conf, pred = p.max(1), p.argmax(1)
    ece = 0.0
    for lo in np.linspace(0, 1, bins, endpoint=False):
        m = (conf > lo) & (conf <= lo + 1 / bins)
        if m.any():
            ece += m.mean() * abs((pred[m] == y[m]).mean() - conf[m].mean())
    return float(ece)

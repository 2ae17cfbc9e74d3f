"""Does the best-scoring memory answer the question, or merely resemble it? The relevance model behind the
memory gate: its features, the logistic regression over them, and the retrieval cross-encoder it reads.

Both are saved in weights/classifiers/: retrieval.json (the model and its threshold, chosen on val) and
retrieval_pair.json + retrieval_pair.layers.safetensors (the cross-encoder, a pair `LayerClassifier`).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dialogue.question_cues import is_question, person_markers

RETRIEVAL_CONFIG = Path(__file__).resolve().parent.parent / "weights" / "classifiers" / "retrieval.json"
# With a single stored memory there is no "other" memory to compare with: assume a typical cosine of two
# unrelated texts under e5 (measured: unrelated question/memory pairs sit around 0.78).
UNRELATED_COSINE = 0.78
RELEVANCE_FEATURES = ("best score", "margin over the second", "margin over the mean of the others",
                      "question names the user", "question addresses Oh-LoRA", "day agreement", "is a question",
                      "cross-encoder log-odds")


# The cross-encoder reading the question and the best memory together (fine-tuned top e5 layers), saved
# beside the relevance model: retrieval_pair.json and retrieval_pair.layers.safetensors.
PAIR_MODEL = RETRIEVAL_CONFIG.with_name("retrieval_pair")


def relevance_features(scores: np.ndarray, best: int, day_agreement: float, query: str,
                       pair_log_odds: float = 0.0) -> np.ndarray:
    """Features saying whether the best-scoring memory answers the question (not merely resembles it).

    A raw cosine alone cannot: e5 gives 0.8+ to any two short texts on a similar subject. How far the best
    memory stands out from the user's others, and whom the question is about, separate "내 생일 언제게?"
    (stored birthday) from "너 생일이 언제야?" (Oh-LoRA's own). What no pooled embedding separates is a
    neighbour ("엄마 생신 언제였지?" against a stored "[생일: 5월 3일]", tonight's dinner against today's lunch):
    the cross-encoder's log-odds (0 without one) reads the two texts together.
    """
    s1 = float(scores[best])
    others = np.delete(scores, best)
    others = others[np.isfinite(others)]
    if others.size == 0:
        others = np.array([UNRELATED_COSINE])
    return np.array([s1, s1 - others.max(), s1 - others.mean(), *person_markers(query), day_agreement,
                     is_question(query), pair_log_odds], np.float64)


def pair_text(key: str, value: str) -> str:
    """A memory as the cross-encoder reads it: its key as shown today ("오늘 점심"), then its value."""
    return f"{key}: {value}"


@dataclass
class RetrievalRelevance:
    """P(the best memory answers the question): logistic regression on `relevance_features`, trained on the
    train split of dialogue/data/memory_cases.jsonl; `threshold` on that probability is chosen on val."""

    weights: np.ndarray
    bias: float
    threshold: float
    meta: dict

    def probability(self, features: np.ndarray) -> float:
        return float(1 / (1 + np.exp(-(features @ self.weights + self.bias))))

    def save(self, path: Path = RETRIEVAL_CONFIG) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"features": list(RELEVANCE_FEATURES), "weights": self.weights.tolist(),
                                    "bias": self.bias, "threshold": self.threshold, **self.meta},
                                   ensure_ascii=False, indent=1))
        return path

    @classmethod
    def load(cls, path: Path = RETRIEVAL_CONFIG) -> RetrievalRelevance | None:
        """The saved model, or None when there is none (or it was fitted on other features)."""
        try:
            cfg = json.loads(path.read_text())
            if cfg.get("features") != list(RELEVANCE_FEATURES):
                return None
            meta = {k: v for k, v in cfg.items() if k not in ("features", "weights", "bias", "threshold")}
            return cls(np.array(cfg["weights"], np.float64), float(cfg["bias"]), float(cfg["threshold"]), meta)
        except (OSError, ValueError, KeyError):
            return None


def load_pair_model(encoder, path: Path = PAIR_MODEL):
    """The saved retrieval cross-encoder, or None when there is none (or no encoder states to feed it)."""
    from dialogue.layer_classifier import LayerClassifier, is_layer_classifier

    if not is_layer_classifier(path) or not hasattr(encoder, "token_states"):
        return None
    return LayerClassifier.load(path, encoder.config)

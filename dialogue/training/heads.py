"""Linear heads on frozen e5 embeddings (`ohlora classifiers train --kind linear`), and the temperature
search every classifier's probabilities are calibrated with."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dialogue.classifiers import ETHICS_LABELS, TOPIC_LABELS, EmbeddingHead, pair_features
from dialogue.evaluation.metrics import macro_f1
from dialogue.evaluation.splits import DATA_DIR, read_jsonl
from dialogue.evaluation.thresholds import choose_ethics_thresholds

C_GRID = (1.0, 3.0, 10.0, 30.0, 100.0)


def fit_head(x: np.ndarray, y: np.ndarray, labels: Sequence[str], c: float = 10.0) -> EmbeddingHead:
    """Class-balanced multinomial logistic regression (L2, strength 1/c) as an EmbeddingHead."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=c, max_iter=5000, class_weight="balanced").fit(x, y)
    w, b = model.coef_.astype(np.float32), model.intercept_.astype(np.float32)
    if len(labels) == 2:  # sklearn keeps one logit for two classes: make it [0, z]
        w, b = np.concatenate([np.zeros_like(w), w]), np.concatenate([np.zeros_like(b), b])
    return EmbeddingHead(tuple(labels), [(w, b)])


def fit_temperature(head: EmbeddingHead, x: np.ndarray, y: np.ndarray) -> float:
    """The temperature minimizing the head's validation NLL on features `x` (calibration, not accuracy)."""
    return temperature_for_logits(head.logits(x), y)


def temperature_for_logits(z: np.ndarray, y: np.ndarray) -> float:
    """The temperature minimizing the NLL of logits `z` [n, labels] against labels `y` (a 1-D search)."""
    best_t, best_nll = 1.0, np.inf
    for t in np.exp(np.linspace(np.log(0.05), np.log(20), 200)):
        s = z / t
        s = s - s.max(1, keepdims=True)
        nll = -(s[np.arange(len(y)), y] - np.log(np.exp(s).sum(1))).mean()
        if nll < best_nll:
            best_t, best_nll = float(t), nll
    return best_t


def _split(rows: list[dict], name: str) -> np.ndarray:
    return np.array([r["split"] == name for r in rows])


def _ethics_features(encoder, rows):
    return encoder.encode([r["text"] for r in rows], "query")


def _topic_features(encoder, rows):
    a = encoder.encode([r["previous"] for r in rows], "query")
    b = encoder.encode([r["message"] for r in rows], "query")
    return pair_features(a, b)


def train_head(task: str, encoder, progress=print) -> tuple[EmbeddingHead, dict]:
    """Fit the task's head on train, pick C and temperature on val; returns the head and a report."""
    rows = read_jsonl(DATA_DIR / f"{task}.jsonl")
    labels = ETHICS_LABELS if task == "ethics" else TOPIC_LABELS
    x = (_ethics_features if task == "ethics" else _topic_features)(encoder, rows)
    y = np.array([labels.index(r["label"]) for r in rows])
    tr, va = _split(rows, "train"), _split(rows, "val")
    scores = {}
    for c in C_GRID:
        head = fit_head(x[tr], y[tr], labels, c)
        scores[c] = macro_f1(y[va], head.predict_proba(x[va]).argmax(1), len(labels))
        progress(f"{task}: C={c:g} validation macro-F1 {scores[c]:.3f}")
    best_c = max(scores, key=scores.get)
    head = fit_head(x[tr], y[tr], labels, best_c)
    head.temperature = fit_temperature(head, x[va], y[va])
    head.meta = {"task": task, "encoder": "multilingual-e5-small", "c": best_c,
                 "trained_on": f"dialogue/data/{task}.jsonl split=train ({int(tr.sum())} examples)"}
    if task == "ethics":
        head.meta.update(choose_ethics_thresholds(head.predict_proba(x[va]), y[va]))
    return head, {"c_grid": scores, "c": best_c, "temperature": head.temperature}

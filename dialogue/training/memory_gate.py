"""Training the memory gate: the retrieval cross-encoder (`ohlora classifiers train --task retrieval`) and
the relevance model with its threshold on top of it (`ohlora eval memory --calibrate`)."""
from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

import numpy as np

from dialogue.data.build_memory import NEIGHBOUR_BATCH
from dialogue.database import open_database
from dialogue.evaluation.memory import (RETRIEVAL_MAX_FALSE, choose_retrieval_threshold,
                                        retrieval_scores, store_case, threshold_curve)
from dialogue.evaluation.splits import memory_case_rows
from dialogue.memory import MemoryStore
from dialogue.memory_relevance import (RELEVANCE_FEATURES, RETRIEVAL_CONFIG, RetrievalRelevance, load_pair_model,
                                       pair_text)
from dialogue.training.classifier_layers import train_layer_classifier


def relevance_training_set(store, rows: list[dict], now: datetime) -> tuple[np.ndarray, np.ndarray]:
    """Features of each case's best-ranked memory (with the store's cross-encoder, if any), and whether it is
    the right one (the relevance target). Always the cosine's first memory, whatever relevance model the store
    holds: with one, the store would weigh several candidates and pick by the old model, and a model fitted on
    its predecessor's picks scored worse on the written validation cases (top-1 0.688 against 0.700)."""
    x, y = [], []
    for i, case in enumerate(rows):
        user = f"fit{i}"
        store_case(store, user, case, now)
        best, features, _ = store.best_features(user, case["question"], now, candidates=1)
        x.append(features)
        y.append(case["answer"] is not None and best.value == case["answer"][1])
        store.delete_user(user)
    return np.array(x), np.array(y)


def retrieval_pair_rows(store, rows: list[dict], now: datetime, negatives: int = 2) -> list[dict]:
    """(memory as shown, question) pairs for the cross-encoder, labelled answers / other: each case's best
    ranked memory (the one the gate decides on) and, in train, the next `negatives` as harder negatives."""
    out = []
    for i, case in enumerate(rows):
        user = f"pair{i}"
        store_case(store, user, case, now)
        found = store.search(user, case["question"], now, k=1 + (negatives if case["split"] == "train" else 0))
        store.delete_user(user)
        for m in found:
            right = case["answer"] is not None and m.value == case["answer"][1]
            out.append({"previous": pair_text(m.key, m.value), "message": case["question"],
                        "label": "answers" if right else "other", "split": case["split"],
                        "has_answer": case["answer"] is not None})
    return out


# The cross-encoder learns from the fourth batch (thousands of facts and their neighbours) and half of the
# written train cases (associative mentions: umbrella -> rain); the relevance model on top is fitted on the
# other train cases, which the cross-encoder never saw, so its log-odds there are as honest as they will be in
# use. The written half matters: without written cases the relevance model learned the generated cases'
# habit that a relevant memory is asked for with a question, and shut out every associative mention.
PAIR_TRAIN_BATCHES = (NEIGHBOUR_BATCH,)


def _written_half(case: dict) -> int:
    """A stable half (0 or 1) of a written case, by its question's text."""
    return int(hashlib.sha256(case["question"].encode("utf-8")).hexdigest(), 16) % 2


def is_written(case: dict) -> bool:
    return case.get("source", "").startswith("memory/")


def pair_trains_on(case: dict) -> bool:
    """Whether a train case belongs to the cross-encoder's data (else to the relevance model's)."""
    return case.get("batch", 1) in PAIR_TRAIN_BATCHES or (is_written(case) and _written_half(case) == 0)


def train_retrieval_pair(encoder, now: datetime, top_layers: int = 4, epochs: int = 4, lr: float = 5e-5,
                         seed: int = 0, progress=print):
    """Fine-tune the retrieval cross-encoder on the train cases of PAIR_TRAIN_BATCHES; keep the epoch whose
    probability best ranks the val cases' right best memories above the wrong ones (ROC AUC)."""
    from sklearn.metrics import roc_auc_score

    store = MemoryStore(open_database(":memory:"), encoder, threshold=0.0)  # ranking only
    cases = [r for r in memory_case_rows() if r["split"] == "val" or (r["split"] == "train" and pair_trains_on(r))]
    rows = retrieval_pair_rows(store, cases, now)
    val = [r for r in rows if r["split"] == "val"]

    def auc(y: np.ndarray, p: np.ndarray) -> float:  # does the best memory's probability rank right above wrong
        return float(roc_auc_score(y, p[:, 1]))

    progress(f"retrieval cross-encoder: {sum(r['split'] == 'train' for r in rows)} train pairs, {len(val)} val cases")
    model, record = train_layer_classifier("retrieval", encoder, rows, ("other", "answers"), top_layers, epochs, lr,
                                           seed=seed, augment=False, select=auc, progress=progress)
    record["trained_on"] = (f"memory_cases.jsonl split=train batch {'/'.join(map(str, PAIR_TRAIN_BATCHES))}: "
                            "each case's top 3 ranked memories, and the same of half the written train cases "
                            "(dialogue/data/written/memory/)")
    model.meta.update({k: v for k, v in record.items() if k not in ("epochs", "temperature")})
    return model, record


# Each written case the relevance model is fitted on weighs as much as this many generated ones: the written
# half (339 cases) then carries ~3/4 of the fit. Chosen on the written validation set among 1, 3, 6 and 12
# (top-1 at ≤ 25% false retrieval: 0.55, 0.61, 0.66, 0.66).
WRITTEN_CASE_WEIGHT = 6.0
def calibrate_retrieval(store, now: datetime, max_false: float = RETRIEVAL_MAX_FALSE, progress=print) -> dict:
    """Fit the relevance model on the train cases the cross-encoder never saw (written ones weighted by
    WRITTEN_CASE_WEIGHT), then choose its threshold on the written validation cases: the best top-1 accuracy
    whose false retrieval stays ≤ max_false. Sets store.relevance and store.threshold."""
    from sklearn.linear_model import LogisticRegression

    if store.pair is None:
        store.pair = load_pair_model(store.encoder)
    progress("relevance model: " + ("with the cross-encoder" if store.pair is not None else
                                    "no cross-encoder saved (`ohlora classifiers train --task retrieval`)"))
    rows = memory_case_rows()
    train = [r for r in rows if r["split"] == "train" and (store.pair is None or not pair_trains_on(r))]
    written = sum(map(is_written, train))
    progress(f"relevance model: features of {len(train)} train cases ({written} written)")
    x, y = relevance_training_set(store, train, now)
    weight = np.array([WRITTEN_CASE_WEIGHT if is_written(r) else 1.0 for r in train])
    model = LogisticRegression(C=10.0, max_iter=5000).fit(x, y, sample_weight=weight)
    store.relevance = RetrievalRelevance(model.coef_[0].astype(np.float64), float(model.intercept_[0]), 0.5,
                                         {"chosen_on": "dialogue/data/written/validation/memory.jsonl",
                                          "trained_on": f"memory_cases.jsonl split=train and the written train "
                                                        f"cases the cross-encoder never saw ({len(train)} cases, "
                                                        f"{written} written, each weighing {WRITTEN_CASE_WEIGHT:g})",
                                          "pair_model": store.pair is not None})
    progress("relevance model: " + ", ".join(f"{n} {w:+.2f}" for n, w in zip(RELEVANCE_FEATURES, store.relevance.weights)))
    val = retrieval_scores(store, [r for r in rows if r["split"] == "val" and r.get("source", "").startswith("validation/")], now)
    curve = threshold_curve(val, np.round(np.arange(0.01, 0.9991, 0.001), 4))
    best = choose_retrieval_threshold(curve, max_false)
    progress(f"retrieval threshold {best['threshold']} on the written val cases: top-1 {best['recall']:.3f}, "
             f"false retrieval {best['false_retrieval']:.3f}")
    store.relevance.threshold = store.threshold = best["threshold"]
    store.relevance.meta["validation"] = best
    return {"threshold": best["threshold"], "validation": best, "relevance": store.relevance}


def save_retrieval_threshold(calibration: dict) -> Path:
    """Save the calibrated relevance model (features, weights, threshold) beside the classifier heads."""
    return calibration["relevance"].save(RETRIEVAL_CONFIG)

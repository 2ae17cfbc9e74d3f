"""Training the memory gate: the retrieval cross-encoder (`ohlora classifiers train --task retrieval`) and
the relevance model with its threshold on top of it (`ohlora eval memory --calibrate`)."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np

from dialogue.data.build_memory import NEIGHBOUR_BATCH
from dialogue.database import open_database
from dialogue.evaluation.memory import (RETRIEVAL_MAX_FALSE, RETRIEVAL_MIN_TOP1, choose_retrieval_threshold,
                                        retrieval_scores, store_case, threshold_curve)
from dialogue.evaluation.splits import memory_case_rows
from dialogue.memory import MemoryStore
from dialogue.memory_relevance import (RELEVANCE_FEATURES, RETRIEVAL_CONFIG, RetrievalRelevance, load_pair_model,
                                       pair_text)
from dialogue.training.classifier_layers import train_layer_classifier


def relevance_training_set(store, rows: list[dict], now: datetime) -> tuple[np.ndarray, np.ndarray]:
    """Features of each case's best memory (with the store's cross-encoder, if any), and whether it is the
    right one (the relevance target)."""
    x, y = [], []
    for i, case in enumerate(rows):
        user = f"fit{i}"
        store_case(store, user, case, now)
        best, features, _ = store.best_features(user, case["question"], now)
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


# The cross-encoder learns from the fourth batch (thousands of facts and their neighbours) and the written
# train cases (associative mentions: umbrella -> rain); the relevance model on top is fitted on the other
# train cases, which the cross-encoder never saw, so its log-odds there are as honest as they will be in use.
PAIR_TRAIN_BATCHES = (NEIGHBOUR_BATCH,)


def pair_trains_on(case: dict) -> bool:
    """Whether a train case belongs to the cross-encoder's data (else to the relevance model's)."""
    return case.get("batch", 1) in PAIR_TRAIN_BATCHES or case.get("source", "").startswith("memory/")


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
                            "each case's top 3 ranked memories")
    model.meta.update({k: v for k, v in record.items() if k not in ("epochs", "temperature")})
    return model, record


def calibrate_retrieval(store, now: datetime, max_false: float = RETRIEVAL_MAX_FALSE,
                        min_top1: float = RETRIEVAL_MIN_TOP1, progress=print) -> dict:
    """Fit the relevance model on the train cases, then choose its threshold on val: the best top-1
    accuracy whose false retrieval stays ≤ max_false, provided top-1 stays ≥ min_top1. When no threshold
    meets both, recall comes first: the lowest false retrieval among thresholds keeping top-1 ≥ min_top1.
    (Forgetting what the user said is the failure users notice; a neighbouring memory in the prompt is the
    milder one.) Sets store.relevance and store.threshold."""
    from sklearn.linear_model import LogisticRegression

    if store.pair is None:
        store.pair = load_pair_model(store.encoder)
    progress("relevance model: " + ("with the cross-encoder" if store.pair is not None else
                                    "no cross-encoder saved (`ohlora classifiers train --task retrieval`)"))
    rows = memory_case_rows()
    train = [r for r in rows if r["split"] == "train" and (store.pair is None or not pair_trains_on(r))]
    progress(f"relevance model: features of {len(train)} train cases")
    x, y = relevance_training_set(store, train, now)
    model = LogisticRegression(C=10.0, max_iter=5000).fit(x, y)
    store.relevance = RetrievalRelevance(model.coef_[0].astype(np.float64), float(model.intercept_[0]), 0.5,
                                         {"chosen_on": "val", "trained_on": f"memory_cases.jsonl split=train ({len(train)} cases)",
                                          "pair_model": store.pair is not None})
    progress("relevance model: " + ", ".join(f"{n} {w:+.2f}" for n, w in zip(RELEVANCE_FEATURES, store.relevance.weights)))
    val = retrieval_scores(store, [r for r in rows if r["split"] == "val"], now)
    curve = threshold_curve(val, np.round(np.arange(0.01, 0.9991, 0.001), 4))
    best = choose_retrieval_threshold(curve, max_false, min_top1)
    progress(f"retrieval threshold {best['threshold']} on val: top-1 {best['recall']:.3f}, "
             f"false retrieval {best['false_retrieval']:.3f}")
    store.relevance.threshold = store.threshold = best["threshold"]
    store.relevance.meta["validation"] = best
    return {"threshold": best["threshold"], "validation": best, "relevance": store.relevance}


def save_retrieval_threshold(calibration: dict) -> Path:
    """Save the calibrated relevance model (features, weights, threshold) beside the classifier heads."""
    return calibration["relevance"].save(RETRIEVAL_CONFIG)

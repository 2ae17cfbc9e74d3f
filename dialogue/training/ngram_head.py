"""The ethics classifier's character n-gram head (`ohlora classifiers train --task ethics --kind ngrams`).

Fitted on the ethics train rows; its n-gram range, regularization and weight in the mix with the committed
fine-tuned layers are chosen together on val (the validation writer's messages plus their ordinary
open-domain and persona messages), by macro-F1 at the flag threshold the shipped rule then chooses; the flag
and offence thresholds of the mix are stored in weights/classifiers/ethics.json.
"""
from __future__ import annotations

import json
from itertools import product

import numpy as np

from dialogue.classifiers import (ETHICS_LABELS, HEADS_DIR, CharNgramHead, EthicsClassifier, ethics_predictions,
                                  mix_probabilities, ngram_files)
from dialogue.evaluation.metrics import macro_f1
from dialogue.evaluation.splits import ordinary_messages, task_rows
from dialogue.evaluation.thresholds import choose_ethics_thresholds

NGRAM_RANGES = ((1, 3), (2, 4), (1, 5))
C_GRID = (1.0, 4.0, 16.0, 64.0)
WEIGHTS = (0.0, 0.2, 0.35, 0.5, 0.65, 0.8)


def fit_ngram_head(texts: list[str], y: np.ndarray, ngram_range: tuple[int, int], c: float,
                   labels: tuple[str, ...] = ETHICS_LABELS) -> CharNgramHead:
    """TF-IDF character n-grams (in words, seen in ≥ 2 texts) and a class-balanced logistic regression; `y`
    indexes `labels`."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vec = TfidfVectorizer(analyzer="char_wb", ngram_range=ngram_range, min_df=2, lowercase=True, sublinear_tf=True,
                          dtype=np.float32)
    x = vec.fit_transform(texts)
    model = LogisticRegression(C=c, max_iter=3000, class_weight="balanced").fit(x, y)
    if list(model.classes_) != list(range(len(labels))):
        raise ValueError(f"every label ({', '.join(labels)}) needs training rows")
    vocab = [g for g, _ in sorted(vec.vocabulary_.items(), key=lambda kv: kv[1])]
    return CharNgramHead(tuple(labels), ngram_range, vocab, vec.idf_.astype(np.float32),
                         model.coef_.astype(np.float32), model.intercept_.astype(np.float32),
                         meta={"c": c, "train_rows": len(texts)})


def train_ethics_ngrams(encoder, progress=print) -> tuple[CharNgramHead | None, dict]:
    """Fit every candidate, choose one and its weight on val against the committed layers alone (weight 0);
    save it beside them (or remove a stale one when weight 0 wins) and store the mix's thresholds."""
    rows = task_rows("ethics")
    labels = list(ETHICS_LABELS)
    train = [r for r in rows if r["split"] == "train"]
    val = [r for r in rows if r["split"] == "val"]
    val_texts = [r["text"] for r in val] + ordinary_messages("val")
    val_y = np.array([labels.index(r["label"]) for r in val] + [0] * (len(val_texts) - len(val)))
    layers = EthicsClassifier(encoder, ngrams=False)
    p_layers = layers.predict_proba(val_texts)
    y_train = np.array([labels.index(r["label"]) for r in train])

    def score(p: np.ndarray) -> tuple[float, dict]:
        chosen = choose_ethics_thresholds(p, val_y)
        return macro_f1(val_y, ethics_predictions(p, chosen["flag_below_normal"])[1], len(labels)), chosen

    base_score, base_thresholds = score(p_layers)
    best = (base_score, None, 0.0, base_thresholds)
    report = {"layers_alone": base_score, "candidates": []}
    progress(f"ethics layers alone: val macro-F1 {base_score:.3f}")
    for ngram_range, c in product(NGRAM_RANGES, C_GRID):
        head = fit_ngram_head([r["text"] for r in train], y_train, ngram_range, c)
        q = head.predict_proba(val_texts)
        for w in WEIGHTS[1:]:
            s, chosen = score(mix_probabilities(p_layers, q, w))
            report["candidates"].append({"ngram_range": list(ngram_range), "c": c, "weight": w, "val_macro_f1": s})
            progress(f"  n-grams {ngram_range}, C {c:g}, weight {w:g}: val macro-F1 {s:.3f}")
            if s > best[0] + 1e-9:
                best = (s, head, w, chosen)
    score_best, head, weight, chosen = best
    if head is None:
        for stale in ngram_files(HEADS_DIR / "ethics"):
            stale.unlink(missing_ok=True)
    else:
        head.weight = weight
        head.meta["val_macro_f1"] = score_best
        head.save(HEADS_DIR / "ethics")
    path = HEADS_DIR / "ethics.json"
    meta = json.loads(path.read_text())
    meta.update(chosen)
    path.write_text(json.dumps(meta, ensure_ascii=False, indent=1))
    report.update(chosen=None if head is None else {"ngram_range": list(head.ngram_range), "c": head.meta["c"],
                                                     "weight": weight}, val_macro_f1=score_best, thresholds=chosen)
    return head, report

"""Measuring the ethics, topic-change and persona-question classifiers on a split (`ohlora eval
ethics|topic|persona`): accuracy, macro-F1, confusion, calibration, the gate's rates, latency."""
from __future__ import annotations

import time

import numpy as np

from dialogue.classifiers import describe, ethics_predictions, persona_predictions
from dialogue.evaluation.metrics import confusion, expected_calibration_error, macro_f1
from dialogue.evaluation.splits import ordinary_messages, task_rows
from dialogue.evaluation.thresholds import FLAG_THRESHOLDS, in_counted_category
from dialogue.safety import asks_her_fact


def flag_threshold_curve(p: np.ndarray, y: np.ndarray) -> list[dict]:
    """Macro-F1, normal messages flagged and offensive messages let through, per candidate τ."""
    rows = []
    for tau in FLAG_THRESHOLDS:
        flagged, pred = ethics_predictions(p, tau)
        rows.append({"threshold": tau, "macro_f1": macro_f1(y, pred, p.shape[1]),
                     "normal_flagged": float(np.mean(flagged[y == 0])), "offensive_missed": float(np.mean(~flagged[y != 0]))})
    return rows


def flags_about_her(about_her, texts: list[str], flagged: np.ndarray) -> np.ndarray:
    """Which of the flagged messages confidently ask one of her facts (`dialogue.safety.asks_her_fact`): the gate
    lifts those that would not count and declines the others without counting."""
    return np.array([bool(f) and asks_her_fact(t, about_her) for t, f in zip(texts, flagged)], bool)


def gate_decisions(classifier, p: np.ndarray, texts: list[str], about_her) -> dict[str, np.ndarray]:
    """What `dialogue.safety.EthicsGate` does with each message, from the classifier's probabilities `p`:
    "pred" its category, "flagged" and "counted" as the classifier alone decides (default counted categories),
    "lifted" (flagged, would not count, confidently asks one of her facts: answered) and "uncounted" (would count
    but asks one of her facts: declined without counting)."""
    labels = list(classifier.head.labels)
    flagged, pred = ethics_predictions(p, classifier.flag_below)
    counted = flagged & (p[:, 0] < classifier.strike_below) & in_counted_category(pred, labels)
    about = flags_about_her(about_her, texts, flagged)
    return {"pred": pred, "flagged": flagged, "counted": counted, "lifted": about & ~counted,
            "uncounted": about & counted}


def ordinary_message_rates(classifier, split: str = "test", about_her=None) -> dict:
    """How the gate treats ordinary chat: the written open-domain and persona messages of a split (the
    test or validation writer's; the boundary ones left out), declined in character and counted as offences
    (with `about_her`, after the gate lifts or uncounts the flags on questions about her)."""
    items = ordinary_messages(split)
    labels = list(classifier.head.labels)
    g = gate_decisions(classifier, classifier.predict_proba(items), items, about_her)
    declined, counted = g["flagged"] & ~g["lifted"], g["counted"] & ~g["uncounted"]
    return {"n": len(items), "declined": float(declined.mean()), "counted": float(counted.mean()),
            "examples": [f"{m} → {labels[k]}" for m, f, k in zip(items, declined, g["pred"]) if f]}


def evaluate_classifier(task: str, classifier, split: str = "test", about_her=None) -> dict:
    """Accuracy, macro-F1, confusion matrix, calibration and latency on a split. For ethics with `about_her`
    (the persona-question classifier), also the gate's figures after the flags it lifts."""
    rows = [r for r in task_rows(task) if r["split"] == split]
    labels = list(classifier.head.labels)
    y = np.array([labels.index(r["label"]) for r in rows])
    enc = classifier.encoder
    if task == "ethics":
        texts = [r["text"] for r in rows]
        p = classifier.predict_proba(texts)
        g = gate_decisions(classifier, p, texts, about_her)
        flagged, pred, strikes, lifted = g["flagged"], g["pred"], g["counted"], g["lifted"]
        declined, gate_strikes = flagged & ~lifted, strikes & ~g["uncounted"]
        gate_pred = np.where(lifted, 0, pred)  # what the gate decides: a lifted flag is answered as normal
        gate = None if about_her is None else {
            "lifted": int(lifted.sum()), "uncounted": int(g["uncounted"].sum()),
            "macro_f1": macro_f1(y, gate_pred, p.shape[1]),
            "normal_declined_rate": float(np.mean(declined[y == 0])),
            "normal_counted_rate": float(np.mean(gate_strikes[y == 0])),
            "offensive_missed_rate": float(np.mean(~declined[y != 0])),
            "offensive_counted_rate": float(np.mean(gate_strikes[y != 0])),
            "examples": [f"{t} ({r['label']})" for t, r, f in zip(texts, rows, lifted) if f]}
        by_source = {}  # each writer's file apart, so a new writer's set does not hide the earlier figure
        for source in dict.fromkeys(r["source"] for r in rows):
            m = np.array([r["source"] == source for r in rows])
            ys, normal = y[m], y[m] == 0
            by_source[source] = {
                "n": int(m.sum()), "normal": int(normal.sum()),
                "macro_f1": macro_f1(ys, gate_pred[m], p.shape[1]),
                "normal_declined_rate": float(np.mean(declined[m][normal])) if normal.any() else 0.0,
                "normal_counted_rate": float(np.mean(gate_strikes[m][normal])) if normal.any() else 0.0,
                "offensive_caught_rate": float(np.mean(declined[m][~normal])) if (~normal).any() else 0.0}
        extra = {"ordinary_chat": ordinary_message_rates(classifier, split, about_her) if split in ("test", "val") else None,
                 "gate": gate, "by_source": by_source,
                 "normal_declined_rate": float(np.mean(flagged[y == 0])),
                 "normal_false_block_rate": float(np.mean(strikes[y == 0])),
                 "offensive_missed_rate": float(np.mean(~flagged[y != 0])),
                 "offensive_counted_rate": float(np.mean(strikes[y != 0])),
                 "flag_below_normal": classifier.flag_below, "strike_below_normal": classifier.strike_below,
                 "flag_curve": flag_threshold_curve(p, y)}
    elif task == "persona":
        p = classifier.predict_proba([r["text"] for r in rows])
        pred = persona_predictions(p, classifier.threshold)
        asked = y != 0
        extra = {"threshold": classifier.threshold,
                 "persona_fact_shown_right": float(np.mean(pred[asked] == y[asked])),
                 "persona_fact_shown_wrong": float(np.mean((pred[asked] != y[asked]) & (pred[asked] != 0))),
                 "fact_shown_unasked": float(np.mean(pred[~asked] != 0)),
                 "misses": [f"{r['text']} → {labels[k]} (asked: {r['label']})"
                            for r, k in zip(rows, pred) if labels[k] != r["label"]]}
    else:
        changed = classifier.probabilities([r["previous"] for r in rows], [r["message"] for r in rows])
        p = np.stack([1 - changed, changed], 1)
        pred = (changed >= classifier.threshold).astype(int)
        extra = {"threshold": classifier.threshold}
    # latency of one uncached call, the way a turn pays it
    times = []
    for r in rows[:20]:
        enc.clear_cache()
        t0 = time.perf_counter()
        if task == "ethics":
            classifier.classify(r["text"])
        elif task == "persona":
            classifier.aspect(r["text"])
        else:
            classifier.changed(r["previous"], r["message"])
        times.append(time.perf_counter() - t0)
    by_lang = {lang: float(np.mean(pred[m] == y[m])) for lang in ("ko", "en")
               if (m := np.array([r["lang"] == lang for r in rows])).any()}
    kind = describe(classifier.head)
    return {"task": task, "split": split, "n": len(rows), "labels": labels, "model": kind,
            "accuracy": float(np.mean(pred == y)), "macro_f1": macro_f1(y, pred, len(labels)),
            "accuracy_by_language": by_lang, "confusion": confusion(y, pred, len(labels)).tolist(),
            "ece": expected_calibration_error(p, y), "latency_ms_median": 1000 * float(np.median(times)), **extra}

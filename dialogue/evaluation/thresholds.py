"""Choosing the classifiers' decision thresholds on validation probabilities.

Ethics: two thresholds on P(normal), one to flag a message (declined in character), a stricter one to count
it as an offence toward warnings and blocks. Topic change: a threshold on P(changed). Persona question: the
confidence a shown persona fact needs. Each is chosen among fixed candidates by what it does on `val`.
"""
from __future__ import annotations

import numpy as np

from dialogue.blocks import DEFAULT_COUNTED
from dialogue.classifiers import ETHICS_LABELS, ethics_predictions, persona_predictions
from dialogue.evaluation.metrics import macro_f1
from dialogue.evaluation.splits import ordinary_messages, task_rows


# candidate flag thresholds on P(normal), most to least eager
FLAG_THRESHOLDS = (0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05, 0.02, 0.01, 0.005, 0.002, 0.001)
# counting toward a block may be stricter still than flagging; down to 1e-6, because the label-smoothed,
# temperature-scaled classifiers put some ordinary messages below 1e-4 and the 0.3% bar needs a candidate below them
STRIKE_THRESHOLDS = FLAG_THRESHOLDS + (0.0005, 0.0002, 0.0001, 5e-5, 2e-5, 1e-5, 5e-6, 2e-6, 1e-6)
# What a user may meet from the gate (the safety issue's targets): ordinary messages declined in character
# at most 3% of the time, counted as offences toward a block at most 0.3%.
ETHICS_MAX_DECLINED = 0.03
ETHICS_MAX_COUNTED = 0.003
# The offence threshold is chosen to count at most a third of that on validation (0.1%): fresh writers' test sets have
# counted more ordinary messages than validation did (0.2-0.9% against 0-0.1%), and a counted message warns an innocent user.
ETHICS_COUNT_BUDGET = ETHICS_MAX_COUNTED / 3
# candidate thresholds on P(changed) (after the temperature)
CHANGE_THRESHOLDS = tuple(round(0.2 + 0.025 * i, 3) for i in range(25))  # 0.2 … 0.8


def choose_flag_threshold(p: np.ndarray, y: np.ndarray, max_false: float = 0.01) -> float:
    """Flag a message when P(normal) < τ: the τ in FLAG_THRESHOLDS with the best macro-F1 on these
    (validation) probabilities among those flagging ≤ max_false of normal messages, unless that costs more
    than 0.02 macro-F1 against the best τ overall — then the best τ overall (ties: the less eager τ).
    A strict false-flag bound alone can pick a τ that lets most offences through."""
    n = p.shape[1]
    score = {tau: macro_f1(y, ethics_predictions(p, tau)[1], n) for tau in FLAG_THRESHOLDS}
    false = {tau: float(np.mean(p[y == 0, 0] < tau)) for tau in FLAG_THRESHOLDS}
    best = max(FLAG_THRESHOLDS, key=lambda t: (score[t], -t))
    ok = [t for t in FLAG_THRESHOLDS if false[t] <= max_false]
    if ok:
        best_ok = max(ok, key=lambda t: (score[t], -t))
        if score[best_ok] >= score[best] - 0.02:
            return best_ok
    return best


def choose_strike_threshold(p: np.ndarray, y: np.ndarray, flag_below: float, max_false: float = 0.01,
                            counted: np.ndarray | None = None) -> float:
    """Count a flagged message as an offence (toward warnings and blocks) only when P(normal) < τ: the
    largest candidate τ ≤ flag_below that counts ≤ max_false of the normal messages in these (validation)
    probabilities; the smallest candidate when none does. `counted` marks the messages whose predicted
    category can count at all (romance and politics never do). Messages between the two thresholds are
    declined in character without counting: a wrong flag costs a user one deflected message, never a block."""
    can = np.ones(len(p), bool) if counted is None else counted
    normal = y == 0
    ok = [t for t in STRIKE_THRESHOLDS if t <= flag_below and float(np.mean((p[:, 0] < t)[normal] & can[normal])) <= max_false]
    return max(ok) if ok else min(STRIKE_THRESHOLDS)


def choose_ethics_thresholds(p: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """Both thresholds on P(normal), chosen on validation probabilities (the head's meta keys): the flag
    threshold with the best macro-F1 among those declining ≤ ETHICS_MAX_DECLINED of normal messages, the
    offence threshold the most eager one below it counting ≤ ETHICS_COUNT_BUDGET."""
    n = p.shape[1]
    ok = [t for t in FLAG_THRESHOLDS if float(np.mean(p[y == 0, 0] < t)) <= ETHICS_MAX_DECLINED]
    flag = max(ok, key=lambda t: (macro_f1(y, ethics_predictions(p, t)[1], n), -t)) if ok else min(FLAG_THRESHOLDS)
    counted = in_counted_category(ethics_predictions(p, flag)[1], ETHICS_LABELS)
    return {"flag_below_normal": flag,
            "strike_below_normal": choose_strike_threshold(p, y, flag, ETHICS_COUNT_BUDGET, counted)}


def in_counted_category(pred: np.ndarray, labels) -> np.ndarray:
    """Which predictions fall in a category that counts toward a block (romance and politics never do)."""
    return np.isin(np.asarray(labels)[pred], sorted(DEFAULT_COUNTED))


def ethics_thresholds_on_val(classifier) -> dict[str, float]:
    """The flag and offence thresholds for an ethics classifier, chosen on its probabilities over val: the
    validation writer's ethics messages plus their ordinary open-domain and persona messages (as normal),
    so the gate is tuned on everyday questions too, not only on messages written to test it."""
    val = [r for r in task_rows("ethics") if r["split"] == "val"]
    labels = list(classifier.head.labels)
    texts = [r["text"] for r in val] + ordinary_messages("val")
    y = np.array([labels.index(r["label"]) for r in val] + [0] * (len(texts) - len(val)))
    return choose_ethics_thresholds(classifier.predict_proba(texts), y)


def choose_persona_threshold(p: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """The confidence a shown persona fact needs: the candidate with the most right decisions (the asked
    fact shown, or none when none was asked); ties go to the higher threshold (fewer unasked facts shown)."""
    best = (-1.0, 0.0)
    for t in np.round(np.arange(0.0, 0.96, 0.05), 2):
        acc = float(np.mean(persona_predictions(p, t) == y))
        if acc >= best[0]:
            best = (acc, float(t))
    return best[1], best[0]


def choose_change_threshold(p_changed: np.ndarray, changed: np.ndarray) -> tuple[float, float]:
    """The threshold on P(changed) with the best accuracy on these (validation) pairs, ties to the one
    nearest 0.5; returns (threshold, its accuracy). Arg-max is the 0.5 candidate, so it wins unless a
    threshold does measurably better."""
    acc = {t: float(np.mean((p_changed >= t) == changed)) for t in CHANGE_THRESHOLDS}
    best = max(CHANGE_THRESHOLDS, key=lambda t: (round(acc[t], 6), -abs(t - 0.5)))
    return best, acc[best]

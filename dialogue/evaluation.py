"""Training and evaluation of the memory retriever and the classifiers on dialogue/data/.

Every figure comes from the held-out `test` split; thresholds, regularization and temperatures are chosen
on `val`. `ohlora classifiers train` and `ohlora eval memory|topic|ethics|persona` call these functions.
The persona-question classifier's splits are the SFT turns' (held-out -> test, validation part -> val).
"""
from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path

import numpy as np

from dialogue.classifiers import (DATA_DIR, ETHICS_LABELS, HEADS_DIR, PERSONA_LABELS, TOPIC_LABELS, EmbeddingHead,
                                  expected_calibration_error, fit_head, fit_temperature, pair_features,
                                  persona_predictions, read_jsonl)

from dialogue.data.build_memory import NEIGHBOUR_BATCH
from dialogue.memory import RETRIEVAL_CONFIG
C_GRID = (1.0, 3.0, 10.0, 30.0, 100.0)


TASK_LABELS = {"ethics": ETHICS_LABELS, "topic": TOPIC_LABELS, "persona": PERSONA_LABELS}


# Conversation categories whose user messages are not all ordinary (romance, politics, insults toward her)
NOT_ALL_NORMAL = {"written:boundary"}


def conversation_messages() -> list[dict]:
    """The user messages of the written conversations as ordinary (normal) ethics training rows: thousands of
    everyday questions, requests and reactions by nine writers, the kind of message the gate must let pass."""
    from dialogue.dataset import written_turns

    seen, rows = set(), []
    for t in written_turns():
        if t.category in NOT_ALL_NORMAL or t.message in seen:
            continue
        seen.add(t.message)
        rows.append({"text": t.message, "label": "normal", "lang": t.lang, "kind": "conversation",
                     "split": "train", "source": "written/turns (user messages)"})
    # a seeded sample: enough variety to teach "ordinary", without drowning the offensive classes
    return np.random.default_rng(0).permutation(np.array(rows, dtype=object))[:CONVERSATION_MESSAGES].tolist()


CONVERSATION_MESSAGES = 4000


def task_rows(task: str) -> list[dict]:
    """A classifier's labelled rows ({"text" or "previous"+"message", "label", "split", "lang", ...}).

    Ethics and topic: the written data (dialogue/data/written: train, val and test by writer) plus the
    generated rows of dialogue/data/<task>.jsonl. Those train on their train and val splits; their test
    split is kept as "test_templated", reported beside the written test, never used for a choice.
    """
    if task == "persona":
        from dialogue.dataset import load_turns, persona_question_rows

        return persona_question_rows(load_turns(), read_jsonl(DATA_DIR / "memory_cases.jsonl"))
    from dialogue.data.written import ethics_rows, heldout_texts, topic_rows, without_texts

    written = ethics_rows() if task == "ethics" else topic_rows()
    if task == "ethics":
        written += conversation_messages()
    key = "text" if task == "ethics" else "message"
    generated = [dict(r, split="test_templated" if r["split"] == "test" else "train", source=f"{task}.jsonl")
                 for r in read_jsonl(DATA_DIR / f"{task}.jsonl")]
    # a training row that happens to be a written held-out text does not train
    return without_texts(generated + written, key, heldout_texts(written, key))


def _split(rows: list[dict], name: str) -> np.ndarray:
    return np.array([r["split"] == name for r in rows])


def macro_f1(y: np.ndarray, pred: np.ndarray, n: int) -> float:
    f1s = []
    for c in range(n):
        tp = np.sum((pred == c) & (y == c)); fp = np.sum((pred == c) & (y != c)); fn = np.sum((pred != c) & (y == c))
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0)
    return float(np.mean(f1s))


def confusion(y: np.ndarray, pred: np.ndarray, n: int) -> np.ndarray:
    m = np.zeros((n, n), int)
    np.add.at(m, (y, pred), 1)
    return m


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


def choose_flag_threshold(p: np.ndarray, y: np.ndarray, max_false: float = 0.01) -> float:
    """Flag a message when P(normal) < τ: the τ in FLAG_THRESHOLDS with the best macro-F1 on these
    (validation) probabilities among those flagging ≤ max_false of normal messages, unless that costs more
    than 0.02 macro-F1 against the best τ overall — then the best τ overall (ties: the less eager τ).

    Measured on the first shipped fine-tuned model: insisting on ≤ 1% validation false flags picked
    τ = 0.01, which let 47% of offensive test messages through (macro-F1 0.68) and still flagged 2.6% of
    normal test messages — a gate that misses half the offences is no gate.
    """
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


# What a user may meet from the gate (the safety issue's targets): ordinary messages declined in character
# at most 3% of the time, counted as offences toward a block at most 0.3%.
ETHICS_MAX_DECLINED = 0.03
ETHICS_MAX_COUNTED = 0.003


def choose_ethics_thresholds(p: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """Both thresholds on P(normal), chosen on validation probabilities (the head's meta keys): the flag
    threshold with the best macro-F1 among those declining ≤ ETHICS_MAX_DECLINED of normal messages, the
    offence threshold the most eager one below it counting ≤ ETHICS_MAX_COUNTED."""
    n = p.shape[1]
    ok = [t for t in FLAG_THRESHOLDS if float(np.mean(p[y == 0, 0] < t)) <= ETHICS_MAX_DECLINED]
    flag = max(ok, key=lambda t: (macro_f1(y, ethics_predictions(p, t)[1], n), -t)) if ok else min(FLAG_THRESHOLDS)
    counted = in_counted_category(ethics_predictions(p, flag)[1], ETHICS_LABELS)
    return {"flag_below_normal": flag,
            "strike_below_normal": choose_strike_threshold(p, y, flag, ETHICS_MAX_COUNTED, counted)}


# candidate flag thresholds on P(normal), most to least eager
FLAG_THRESHOLDS = (0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05, 0.02, 0.01, 0.005, 0.002, 0.001)
# counting toward a block may be stricter still than flagging
STRIKE_THRESHOLDS = FLAG_THRESHOLDS + (0.0005, 0.0002, 0.0001)


def flag_threshold_curve(p: np.ndarray, y: np.ndarray) -> list[dict]:
    """Macro-F1, normal messages flagged and offensive messages let through, per candidate τ."""
    rows = []
    for tau in FLAG_THRESHOLDS:
        flagged, pred = ethics_predictions(p, tau)
        rows.append({"threshold": tau, "macro_f1": macro_f1(y, pred, p.shape[1]),
                     "normal_flagged": float(np.mean(flagged[y == 0])), "offensive_missed": float(np.mean(~flagged[y != 0]))})
    return rows


def ethics_predictions(p: np.ndarray, flag_below: float) -> tuple[np.ndarray, np.ndarray]:
    """(flagged, predicted category): normal unless P(normal) < flag_below, else the likeliest other."""
    flagged = p[:, 0] < flag_below
    other = p.copy()
    other[:, 0] = -1
    return flagged, np.where(flagged, other.argmax(1), 0)


def in_counted_category(pred: np.ndarray, labels) -> np.ndarray:
    """Which predictions fall in a category that counts toward a block (romance and politics never do)."""
    from dialogue.blocks import DEFAULT_COUNTED

    return np.isin(np.asarray(labels)[pred], sorted(DEFAULT_COUNTED))


def ordinary_messages(split: str) -> list[str]:
    """The written open-domain and persona messages of the test or validation writer, boundary ones left out."""
    from dialogue.data.written import WRITTEN_DIR, json_lines

    folder = {"test": "heldout", "val": "validation"}[split]
    return [row["message"] for name in ("open", "persona") for _, row in json_lines(WRITTEN_DIR / folder / f"{name}.jsonl")
            if row.get("category") != "boundary"]


def ordinary_message_rates(classifier, split: str = "test") -> dict:
    """How the gate treats ordinary chat: the written open-domain and persona messages of a split (the
    test or validation writer's; the boundary ones left out), declined in character and counted as offences."""
    items = ordinary_messages(split)
    labels = list(classifier.head.labels)
    p = classifier.predict_proba(items)
    flagged, pred = ethics_predictions(p, classifier.flag_below)
    counted = flagged & (p[:, 0] < classifier.strike_below) & in_counted_category(pred, labels)
    return {"n": len(items), "declined": float(flagged.mean()), "counted": float(counted.mean()),
            "examples": [f"{m} → {labels[k]}" for m, f, k in zip(items, flagged, pred) if f]}


def evaluate_classifier(task: str, classifier, split: str = "test") -> dict:
    """Accuracy, macro-F1, confusion matrix, calibration and latency on a split."""
    rows = [r for r in task_rows(task) if r["split"] == split]
    labels = list(classifier.head.labels)
    y = np.array([labels.index(r["label"]) for r in rows])
    enc = classifier.encoder
    if task == "ethics":
        p = classifier.predict_proba([r["text"] for r in rows])
        flagged, pred = ethics_predictions(p, classifier.flag_below)
        strikes = (p[:, 0] < classifier.strike_below) & in_counted_category(pred, labels)
        extra = {"ordinary_chat": ordinary_message_rates(classifier, split) if split in ("test", "val") else None,
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
    from dialogue.classifiers import describe

    kind = describe(classifier.head)
    return {"task": task, "split": split, "n": len(rows), "labels": labels, "model": kind,
            "accuracy": float(np.mean(pred == y)), "macro_f1": macro_f1(y, pred, len(labels)),
            "accuracy_by_language": by_lang, "confusion": confusion(y, pred, len(labels)).tolist(),
            "ece": expected_calibration_error(p, y), "latency_ms_median": 1000 * float(np.median(times)), **extra}


def train_layers(task: str, encoder, top_layers: int | None = None, epochs: int | None = None,
                 lr: float | None = None, seed: int = 0, max_minutes: float | None = None, progress=print):
    """Fine-tune the task's top-layer classifier (dialogue.finetuning); epoch, temperature and (ethics) the
    flag threshold are chosen on val. Returns the model and a record of the run."""
    from dialogue.finetuning import train_layer_classifier

    defaults = LAYER_DEFAULTS[task]
    rows = [r for r in task_rows(task) if r.get("batch", 1) <= defaults["max_batch"] and r["split"] in ("train", "val")]
    labels = TASK_LABELS[task]
    if task == "ethics":
        select = lambda yy, p: macro_f1(yy, p.argmax(1), len(labels))  # noqa: E731
    else:
        select = lambda yy, p: float(np.mean(p.argmax(1) == yy))  # noqa: E731
    model, record = train_layer_classifier(task, encoder, rows, labels, top_layers=top_layers or defaults["top_layers"],
                                           epochs=epochs or defaults["epochs"], lr=lr or defaults["lr"], seed=seed,
                                           augment=defaults["augment"], label_smoothing=defaults.get("label_smoothing", 0.0),
                                           select=select, max_minutes=max_minutes,
                                           fresh_changes=defaults.get("fresh_changes", False), progress=progress)
    finish_layer_classifier(task, encoder, model, record)
    return model, record


def finish_layer_classifier(task: str, encoder, model, record: dict) -> None:
    """Record how the model was made and choose its decision threshold on val (ethics: the flag threshold;
    topic: the threshold on P(changed)) — on the weights rounded to half precision, as they are stored."""
    from dialogue.classifiers import EthicsClassifier, PersonaQuestionClassifier, TopicChangeClassifier

    model.load_state_dict({k: v.half().float() for k, v in model.state_dict().items()})
    model.meta.update({"task": task, "encoder": "multilingual-e5-small", "record": record})
    if task == "ethics":
        model.meta.update(ethics_thresholds_on_val(EthicsClassifier(encoder, model)))
    elif task == "persona":
        rows = [r for r in task_rows("persona") if r["split"] == "val"]
        p = PersonaQuestionClassifier(encoder, model, threshold=0.0).predict_proba([r["text"] for r in rows])
        y = np.array([PERSONA_LABELS.index(r["label"]) for r in rows])
        model.meta["threshold"], model.meta["threshold_val_accuracy"] = choose_persona_threshold(p, y)
    else:
        rows = [r for r in task_rows("topic") if r["split"] == "val"]
        changed = TopicChangeClassifier(encoder, model, threshold=0.5).probabilities(
            [r["previous"] for r in rows], [r["message"] for r in rows])
        y = np.array([r["label"] == "changed" for r in rows])
        model.meta["threshold"], model.meta["threshold_val_accuracy"] = choose_change_threshold(changed, y)


def ethics_thresholds_on_val(classifier) -> dict[str, float]:
    """The flag and offence thresholds for an ethics classifier, chosen on its probabilities over val: the
    validation writer's ethics messages plus their ordinary open-domain and persona messages (as normal),
    so the gate is tuned on everyday questions too, not only on messages written to test it."""
    val = [r for r in task_rows("ethics") if r["split"] == "val"]
    labels = list(classifier.head.labels)
    texts = [r["text"] for r in val] + ordinary_messages("val")
    y = np.array([labels.index(r["label"]) for r in val] + [0] * (len(texts) - len(val)))
    return choose_ethics_thresholds(classifier.predict_proba(texts), y)


def rechoose_ethics_thresholds(encoder) -> dict[str, float]:
    """Choose the committed ethics classifier's thresholds again on val (no retraining) and store them in
    weights/classifiers/ethics.json; returns them."""
    import json

    from dialogue.classifiers import EthicsClassifier

    chosen = ethics_thresholds_on_val(EthicsClassifier(encoder))
    path = HEADS_DIR / "ethics.json"
    meta = json.loads(path.read_text())
    meta.update(chosen)
    path.write_text(json.dumps(meta, ensure_ascii=False, indent=1))
    return chosen


# candidate thresholds on P(changed) (after the temperature)
CHANGE_THRESHOLDS = tuple(round(0.2 + 0.025 * i, 3) for i in range(25))  # 0.2 … 0.8


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


# Ethics, chosen on val over the six batches: 3 layers with label smoothing 0.1 (macro-F1 0.913, 8.0% of normal
# messages flagged) against 2 layers smoothed (0.899, 12.2%) and 2 layers plain (0.904, 17.4%).
# Chosen on val (docs/dialogue-eval.md): ethics as above, topic change 4 (0.827 vs 0.785 val accuracy on the
# first two batches of topics); training on all pairings of the train topics measured worse (0.64 val).
# Topic change trains on all four batches of topics (4,700 train pairs, 5.6 times the first two batches'), so
# 8 epochs give ~1,200 steps against the ~230 at which the earlier model peaked.
LAYER_DEFAULTS = {"ethics": {"top_layers": 3, "epochs": 10, "lr": 5e-5, "augment": False, "max_batch": 99,
                             "label_smoothing": 0.1},
                  "topic": {"top_layers": 4, "epochs": 8, "lr": 5e-5, "augment": False, "max_batch": 99},
                  # the same 3 layers as ethics: the message's frozen pass below them is shared
                  "persona": {"top_layers": 3, "epochs": 12, "lr": 5e-5, "augment": False, "max_batch": 99}}


# ---- memory retrieval ----------------------------------------------------------------------------

def memory_case_rows() -> list[dict]:
    """The retrieval cases: the written ones (dialogue/data/written: train, val and test by writer) and the
    earlier ones of dialogue/data/memory_cases.jsonl, whose test split is kept as "test_templated"
    (reported beside the written test, never used for a choice). Held-out questions never train."""
    from dialogue.data.written import heldout_texts, memory_cases, without_texts

    written = memory_cases()
    earlier = [dict(r, split="test_templated" if r["split"] == "test" else r["split"])
               for r in read_jsonl(DATA_DIR / "memory_cases.jsonl")]
    return without_texts(earlier, "question", heldout_texts(written, "question")) + written


def _store_case(store, user: str, case: dict, now: datetime) -> None:
    store.delete_user(user)
    store.remember_many(user, [tuple(m) for m in case["memories"]], "eval", now)


def retrieval_scores(store, rows: list[dict], now: datetime) -> list[tuple[float, bool, bool]]:
    """Per case: (relevance of the best memory, best is the right memory, the case has a right memory).
    Relevance is the store's: its relevance model's probability, or the cosine score without one."""
    out = []
    for i, case in enumerate(rows):
        user = f"case{i}"
        _store_case(store, user, case, now)
        best, relevance = store.best_with_relevance(user, case["question"], now)
        answer = case["answer"]
        right = best is not None and answer is not None and best.value == answer[1]
        out.append((relevance, right, answer is not None))
        store.delete_user(user)
    return out


def relevance_training_set(store, rows: list[dict], now: datetime) -> tuple[np.ndarray, np.ndarray]:
    """Features of each case's best memory (with the store's cross-encoder, if any), and whether it is the
    right one (the relevance target)."""
    x, y = [], []
    for i, case in enumerate(rows):
        user = f"fit{i}"
        _store_case(store, user, case, now)
        best, features, _ = store.best_features(user, case["question"], now)
        x.append(features)
        y.append(case["answer"] is not None and best.value == case["answer"][1])
        store.delete_user(user)
    return np.array(x), np.array(y)


def retrieval_pair_rows(store, rows: list[dict], now: datetime, negatives: int = 2) -> list[dict]:
    """(memory as shown, question) pairs for the cross-encoder, labelled answers / other: each case's best
    ranked memory (the one the gate decides on) and, in train, the next `negatives` as harder negatives."""
    from dialogue.memory import pair_text

    out = []
    for i, case in enumerate(rows):
        user = f"pair{i}"
        _store_case(store, user, case, now)
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
# train cases, which the cross-encoder never saw, so its log-odds there are as honest as they will be in use
# (fitted on the cases it was trained on, the model trusted it blindly).
PAIR_TRAIN_BATCHES = (NEIGHBOUR_BATCH,)


def pair_trains_on(case: dict) -> bool:
    """Whether a train case belongs to the cross-encoder's data (else to the relevance model's)."""
    return case.get("batch", 1) in PAIR_TRAIN_BATCHES or case.get("source", "").startswith("memory/")


def train_retrieval_pair(encoder, now: datetime, top_layers: int = 4, epochs: int = 4, lr: float = 5e-5,
                         seed: int = 0, progress=print):
    """Fine-tune the retrieval cross-encoder on the train cases of PAIR_TRAIN_BATCHES; keep the epoch whose
    probability best ranks the val cases' right best memories above the wrong ones (ROC AUC)."""
    from dialogue.database import open_database
    from dialogue.finetuning import train_layer_classifier
    from dialogue.memory import MemoryStore

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


def threshold_curve(scored: list[tuple[float, bool, bool]], thresholds: np.ndarray) -> list[dict]:
    """Precision/recall of 'retrieve the best memory when its relevance ≥ t', and the false-retrieval rate."""
    s = np.array([x[0] for x in scored]); right = np.array([x[1] for x in scored]); has = np.array([x[2] for x in scored])
    rows = []
    for t in thresholds:
        shown = s >= t
        good = shown & right
        rows.append({"threshold": float(t),
                     "precision": float(good.sum() / max(shown.sum(), 1)),
                     "recall": float(good.sum() / max(has.sum(), 1)),  # = top-1 accuracy on answerable cases
                     "false_retrieval": float(shown[~has].mean()) if (~has).any() else 0.0,
                     "wrong_memory": float((shown & ~right & has).sum() / max(has.sum(), 1))})
    return rows


def _curve_thresholds(store) -> np.ndarray:
    if store.relevance is not None:
        return np.round(np.concatenate([np.arange(0.05, 0.95, 0.05), np.arange(0.95, 0.9991, 0.005)]), 4)
    return np.round(np.arange(0.70, 0.951, 0.01), 3)


# the retrieval targets the gate's threshold is chosen against (on val)
RETRIEVAL_MAX_FALSE = 0.05
RETRIEVAL_MIN_TOP1 = 0.90


def choose_retrieval_threshold(curve: list[dict], max_false: float = RETRIEVAL_MAX_FALSE,
                               min_top1: float = RETRIEVAL_MIN_TOP1) -> dict:
    """The val curve's point to ship (see calibrate_retrieval): best top-1 within both bounds; else recall
    first, the lowest false retrieval keeping top-1 ≥ min_top1; else the best top-1."""
    both = [c for c in curve if c["false_retrieval"] <= max_false and c["recall"] >= min_top1]
    if both:
        return max(both, key=lambda c: (c["recall"], -c["threshold"]))
    recall_ok = [c for c in curve if c["recall"] >= min_top1]
    if recall_ok:
        return min(recall_ok, key=lambda c: (c["false_retrieval"], -c["recall"], -c["threshold"]))
    return max(curve, key=lambda c: (c["recall"], -c["false_retrieval"]))


def calibrate_retrieval(store, now: datetime, max_false: float = RETRIEVAL_MAX_FALSE,
                        min_top1: float = RETRIEVAL_MIN_TOP1, progress=print) -> dict:
    """Fit the relevance model on the train cases, then choose its threshold on val: the best top-1
    accuracy whose false retrieval stays ≤ max_false, provided top-1 stays ≥ min_top1. When no threshold
    meets both, recall comes first: the lowest false retrieval among thresholds keeping top-1 ≥ min_top1.
    (Forgetting what the user said is the failure users notice; a neighbouring memory in the prompt is the
    milder one. With neighbour cases in the data, the ≤ 5% rule alone dropped val top-1 to 0.59.)
    Sets store.relevance and store.threshold."""
    from sklearn.linear_model import LogisticRegression

    from dialogue.memory import RELEVANCE_FEATURES, RetrievalRelevance, load_pair_model

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


def evaluate_retrieval(store, now: datetime, split: str = "test") -> dict:
    rows = [r for r in memory_case_rows() if r["split"] == split]
    scored = retrieval_scores(store, rows, now)
    curve = threshold_curve(scored, _curve_thresholds(store))
    at = threshold_curve(scored, np.array([store.threshold]))[0]
    raw_top1 = float(np.mean([r for _, r, h in scored if h]))
    # false retrieval per kind of unanswerable case: which kind the gate still lets through
    kinds = np.array([retrieval_kind(r) for r in rows])
    relevance = np.array([x[0] for x in scored])

    def false_by_kind(threshold: float) -> dict[str, float]:
        return {k: float((relevance[kinds == k] >= threshold).mean()) for k in RETRIEVAL_KIND_NAMES
                if (kinds == k).any()}

    for c in curve:
        c["false_by_kind"] = false_by_kind(c["threshold"])
    right = np.array([r for _, r, _ in scored])
    shown = relevance >= store.threshold
    top1_by_kind = {k: float((right & shown)[kinds == k].mean()) for k in ("direct", "associative")
                    if (kinds == k).any()}
    return {"split": split, "n": len(rows), "answerable": int(sum(h for *_, h in scored)),
            "top1_by_kind": top1_by_kind,
            "threshold": store.threshold, "top1_accuracy": at["recall"], "false_retrieval": at["false_retrieval"],
            "precision": at["precision"], "top1_without_threshold": raw_top1, "curve": curve,
            "relevance_model": store.relevance is not None, "false_by_kind": false_by_kind(store.threshold),
            "cases_by_kind": {k: int((kinds == k).sum()) for k in RETRIEVAL_KIND_NAMES if (kinds == k).any()}}


# Unanswerable cases by group (dialogue/data/build_memory.py): persona questions and small talk; the third
# batch's day-naming small talk; questions about a stored subject's neighbour.
RETRIEVAL_KINDS = {"unrelated": "small talk", "unrelated-day": "day-naming small talk", "near": "neighbour"}
RETRIEVAL_KIND_NAMES = ("small talk", "day-naming small talk", "neighbour")
# The written cases name their kind: answerable ones are asked directly or mentioned by association.
WRITTEN_KINDS = {"unrelated": "small talk", "neighbour": "neighbour", "direct": "direct", "associative": "associative"}


def retrieval_kind(case: dict) -> str:
    if "kind" in case:
        return WRITTEN_KINDS[case["kind"]]
    return RETRIEVAL_KINDS.get(case["group"].rstrip("0123456789"), "direct")


def save_retrieval_threshold(calibration: dict) -> Path:
    """Save the calibrated relevance model (features, weights, threshold) beside the classifier heads."""
    return calibration["relevance"].save(RETRIEVAL_CONFIG)


# ---- head on frozen e5 vs fine-tuning: the measurement behind the choice -------------------------

def measure_finetuning(encoder, top_layers: int = 2, epochs: int = 8, lr: float = 5e-5, seed: int = 0,
                       progress=print) -> dict:
    """Ethics macro-F1 on val/test when the top `top_layers` BERT layers are fine-tuned with a linear head.

    The lower layers stay frozen, so their outputs are computed once; the embeddings (96 M of the 118 M
    parameters) never move. Compared with `train_head` (all frozen), this says what fine-tuning buys.
    """
    import copy

    import torch

    torch.manual_seed(seed)
    rows = read_jsonl(DATA_DIR / "ethics.jsonl")
    y = torch.tensor([ETHICS_LABELS.index(r["label"]) for r in rows])
    bert = encoder.model[0].auto_model
    tok = encoder.model.tokenizer  # padding="max_length": the transformers tokenizer
    n_layers = len(bert.encoder.layer)
    hidden, masks = [], []
    with torch.inference_mode():
        for i in range(0, len(rows), 64):
            batch = tok(["query: " + r["text"] for r in rows[i:i + 64]], padding="max_length", truncation=True,
                        max_length=48, return_tensors="pt")
            out = bert(**batch, output_hidden_states=True)
            hidden.append(out.hidden_states[n_layers - top_layers].clone())
            masks.append(batch["attention_mask"])
            progress(f"fine-tune probe: frozen layers {i + len(rows[i:i + 64])}/{len(rows)}")
    hidden, masks = torch.cat(hidden), torch.cat(masks)
    layers = torch.nn.ModuleList([copy.deepcopy(bert.encoder.layer[n_layers - top_layers + k]) for k in range(top_layers)])
    head = torch.nn.Linear(hidden.shape[-1], len(ETHICS_LABELS))
    params = list(layers.parameters()) + list(head.parameters())
    opt = torch.optim.AdamW([{"params": list(layers.parameters()), "lr": lr}, {"params": list(head.parameters()), "lr": 1e-3}])
    ext = lambda m: (1.0 - m[:, None, None, :].float()) * torch.finfo(torch.float32).min

    def forward(idx, train):
        layers.train(train)
        h = hidden[idx]
        for layer in layers:
            h = layer(h, attention_mask=ext(masks[idx]))
            h = h[0] if isinstance(h, tuple) else h
        m = masks[idx].unsqueeze(-1).float()
        pooled = (h * m).sum(1) / m.sum(1)
        return head(torch.nn.functional.normalize(pooled, dim=-1) * 10)

    split = np.array([r["split"] for r in rows])
    tr = torch.from_numpy(np.where(split == "train")[0])
    counts = torch.bincount(y[tr], minlength=len(ETHICS_LABELS)).float()
    weight = counts.sum() / counts.clamp(min=1) / len(ETHICS_LABELS)
    result = {"top_layers": top_layers, "epochs": epochs, "trainable_parameters": sum(p.numel() for p in params)}
    for epoch in range(epochs):
        perm = tr[torch.randperm(len(tr))]
        for i in range(0, len(perm), 32):
            idx = perm[i:i + 32]
            loss = torch.nn.functional.cross_entropy(forward(idx, True), y[idx], weight=weight)
            opt.zero_grad(); loss.backward(); opt.step()
        with torch.no_grad():
            for name in ("val", "test"):
                idx = torch.from_numpy(np.where(split == name)[0])
                pred = forward(idx, False).argmax(1).numpy()
                result[f"{name}_macro_f1_epoch{epoch + 1}"] = macro_f1(y[idx].numpy(), pred, len(ETHICS_LABELS))
        progress(f"fine-tune probe: epoch {epoch + 1}: val {result[f'val_macro_f1_epoch{epoch + 1}']:.3f} "
                 f"test {result[f'test_macro_f1_epoch{epoch + 1}']:.3f}")
    best = max(range(1, epochs + 1), key=lambda e: result[f"val_macro_f1_epoch{e}"])
    result["best_epoch_on_val"] = best
    result["val_macro_f1"] = result[f"val_macro_f1_epoch{best}"]
    result["test_macro_f1"] = result[f"test_macro_f1_epoch{best}"]
    return result

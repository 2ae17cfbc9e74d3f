"""Training the crisis detector (`ohlora classifiers train --task crisis`).

Trained on the written crisis messages (`dialogue/data/written/crisis/`: people at risk, people worried about
someone, and the look-alikes: hyperbole, grief, games, news) plus ordinary written chat as "none" (the training
conversations' messages, less any that speak of dying or self-harm, which are left to the writers' labels, and
every ethics training message). The embedding head's C, the n-gram head's range and C, their mix and the threshold on
P(self) + P(other) are chosen on validation (`score`): the most people at risk caught among the validation writer's
messages, then the fewest look-alikes read as a crisis, among the candidates that read at most
EVERYDAY_FALSE_ALARMS of the validation writers' other messages as one (open-domain, persona, memory, ownership,
remember, topic and ethics: 2,300 messages; the one of them at risk is labelled in the crisis validation file).
"""
from __future__ import annotations

import re
from itertools import product

import numpy as np

from dialogue.classifiers import mix_probabilities, ngram_files
from dialogue.crisis import HEAD_PATH, CrisisDetector, crisis_predictions
from dialogue.data.written import (CRISIS_LABELS, answer_set_messages, conversations, crisis_rows, ethics_rows,
                                   normalized)
from dialogue.training.heads import fit_head, fit_temperature
from dialogue.training.ngram_head import fit_ngram_head

C_GRID = (1.0, 4.0, 16.0)
# the fine-tuned layers (not shipped: docs/dialogue-eval.md, "Crisis messages"), epochs kept by macro-F1 on val
CRISIS_LAYERS = {"top_layers": 3, "epochs": 8, "lr": 5e-5, "label_smoothing": 0.1}
NGRAM_RANGES = ((1, 3), (2, 4))
NGRAM_C = (1.0, 4.0)
WEIGHTS = (0.0, 0.3, 0.5, 0.7, 0.85)
THRESHOLDS = tuple(np.round(np.arange(0.2, 0.96, 0.05), 2))
EVERYDAY_FALSE_ALARMS = 0.005  # the most of the validation everyday messages a candidate may read as a crisis
# words of dying, disappearing or self-harm: a conversation message that has one is not assumed to be "none"
# (English ones as whole words: "studying", "skill" and "deadline" are ordinary)
_RISK_WORDS = re.compile(r"죽|자살|사라지|없어지|끝내|자해|그었|손목|뛰어내|\b(die[sd]?|dying|dead|suicid\w*|kill\w*|"
                         r"end it|disappear\w*|unalive|cut(ting)? myself|hurt myself|kms|self.?harm)\b", re.IGNORECASE)


def ordinary_chat() -> list[str]:
    """Ordinary training messages as "none", sorted: the written conversations' messages with no word of dying
    and every ethics training message (written to test the ethics gate, normal or offensive, none of them a user
    at risk; their hyperbole, games and insults about the dead are the look-alikes the detector must pass)."""
    texts = {t["user"] for c in conversations() for t in c["turns"] if not _RISK_WORDS.search(t["user"])}
    texts |= {r["text"] for r in ethics_rows() if r["split"] == "train"}
    return sorted(texts)


def score(y: np.ndarray, pred: np.ndarray, everyday: np.ndarray) -> tuple[float, float]:
    """(share of people at risk caught, minus the share of the writer's look-alikes read as a crisis), or (-1, -1)
    when more than EVERYDAY_FALSE_ALARMS of the everyday messages (`everyday`: their predictions) are: crisis
    messages are rare in live chat, so a crisis line in answer to ordinary chat would be most of what users meet
    of the detector, while among the writer's messages a missed person at risk costs most."""
    if (everyday != 0).mean() > EVERYDAY_FALSE_ALARMS:
        return -1.0, -1.0
    risk, read = y != 0, pred != 0
    return float(read[risk].mean()), -float(read[~risk].mean())


def train_crisis(encoder, kind: str = "linear", progress=print) -> tuple[CrisisDetector, dict]:
    """Fit, choose on val and save weights/classifiers/crisis.* (the n-gram head only when its weight won).
    `kind`: "linear" (shipped) fits logistic regressions on the frozen embedding (C_GRID), "layers" fine-tunes the
    top e5 layers (CRISIS_LAYERS); either is mixed with each n-gram head at each weight and the best kept."""
    rows = crisis_rows()
    train = [r for r in rows if r["split"] == "train"]
    val = [r for r in rows if r["split"] == "val"]
    if not train or not val:
        raise ValueError("the crisis detector needs written training rows (dialogue/data/written/crisis/) and "
                         "validation rows (dialogue/data/written/validation/crisis*.jsonl)")
    texts = [r["text"] for r in train] + ordinary_chat()
    y = np.array([CRISIS_LABELS.index(r["label"]) for r in train] + [0] * (len(texts) - len(train)))
    labelled = {normalized(r["text"]) for r in val}
    # the validation writers' other sets (chat, questions about her, insults): a crisis line answers none of them
    everyday = [t for t in answer_set_messages("val") if normalized(t) not in labelled]
    val_texts = [r["text"] for r in val] + everyday
    val_y = np.array([CRISIS_LABELS.index(r["label"]) for r in val] + [0] * len(everyday))
    n_val = len(val)

    def best_threshold(p: np.ndarray) -> tuple[tuple[float, float], float]:
        scored = []
        for t in THRESHOLDS:
            pred = crisis_predictions(p, t)
            scored.append((score(val_y[:n_val], pred[:n_val], pred[n_val:]), -abs(t - 0.5), t))
        f, _, t = max(scored)
        return f, float(t)

    if kind == "layers":
        from dialogue.classifiers import _message_probabilities
        from dialogue.training.classifier_layers import train_layer_classifier

        layer_rows = ([{"text": t, "label": CRISIS_LABELS[i], "split": "train"} for t, i in zip(texts, y)]
                      + [{"text": t, "label": CRISIS_LABELS[i], "split": "val"} for t, i in zip(val_texts, val_y)])
        model, record = train_layer_classifier("crisis", encoder, layer_rows, CRISIS_LABELS, augment=False,
                                               progress=progress, **CRISIS_LAYERS)
        model.load_state_dict({k: v.half().float() for k, v in model.state_dict().items()})  # as it is stored
        heads = {"layers": (model, _message_probabilities(encoder, model, val_texts))}
    elif kind == "linear":
        x, val_x = encoder.encode(texts, "query"), encoder.encode(val_texts, "query")
        heads = {}
        for c in C_GRID:
            head = fit_head(x, y, CRISIS_LABELS, c)
            head.temperature = fit_temperature(head, val_x, val_y)
            heads[f"C {c:g}"] = (head, head.predict_proba(val_x))
    else:
        raise ValueError(f"the crisis detector is trained as 'layers' or 'linear', not {kind!r}")
    ngram_heads = {(r, c): fit_ngram_head(texts, y, r, c, CRISIS_LABELS) for r, c in product(NGRAM_RANGES, NGRAM_C)}
    best, report = None, {"candidates": []}
    for (name, (head, p_head)), ((r, nc), ngrams), w in product(heads.items(), ngram_heads.items(), WEIGHTS):
        if w == 0.0 and (r, nc) != (NGRAM_RANGES[0], NGRAM_C[0]):
            continue  # the head alone is one candidate, whatever the n-gram settings
        p = mix_probabilities(p_head, ngrams.predict_proba(val_texts), w) if w else p_head
        f, t = best_threshold(p)
        report["candidates"].append({"head": name, "ngram_range": list(r), "ngram_c": nc, "weight": w,
                                     "threshold": t, "val_caught": f[0], "val_lookalikes_read": -f[1]})
        progress(f"crisis: {name}, n-grams {r} C {nc:g} weight {w:g}: at risk caught {f[0]:.3f}, look-alikes "
                 f"read as a crisis {-f[1]:.3f} at {t:g}")
        if best is None or f > best[0]:
            best = (f, name, (r, nc), w, t)
    f, name, ngram_key, w, t = best
    head = heads[name][0]
    meta = {"task": "crisis", "encoder": "multilingual-e5-small", "head": name, "threshold": t,
            "val_caught": f[0], "val_lookalikes_read": -f[1],
            "trained_on": f"dialogue/data/written/crisis ({len(train)} messages) + {len(texts) - len(train)} "
                          "ordinary written messages as none"}
    head.meta.update(meta)
    # one classifier per name: the kind not trained is removed so the loader cannot pick a stale one
    for stale in (HEAD_PATH.with_suffix(".safetensors"), HEAD_PATH.with_name(HEAD_PATH.name + ".layers.safetensors")):
        stale.unlink(missing_ok=True)
    head.save(HEAD_PATH)
    ngrams = None
    if w:
        ngrams = ngram_heads[ngram_key]
        ngrams.weight = w
        ngrams.save(HEAD_PATH)
    else:
        for stale in ngram_files(HEAD_PATH):
            stale.unlink(missing_ok=True)
    report.update(chosen={"head": name, "ngram_range": list(ngram_key[0]) if w else None,
                          "ngram_c": ngram_key[1] if w else None, "weight": w, "threshold": t},
                  val_caught=f[0], val_lookalikes_read=-f[1])
    return CrisisDetector(encoder, head, ngrams or False, t), report

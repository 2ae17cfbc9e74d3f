"""Training the classifiers over the top e5 layers (`dialogue.layer_classifier.LayerClassifier`): ethics,
topic change, persona question and the retrieval cross-encoder (`ohlora classifiers train`).

The frozen layers below the classifier's run once per distinct text; the top layers and the head train on
the `train` rows; the epoch, the temperature and the decision threshold are chosen on `val`, the threshold
on the weights rounded to float16 as they are stored.
"""
from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import nn

from dialogue.classifiers import (HEADS_DIR, PERSONA_LABELS, EthicsClassifier, PersonaQuestionClassifier,
                                  TopicChangeClassifier)
from dialogue.evaluation.metrics import macro_f1
from dialogue.evaluation.splits import TASK_LABELS, task_rows
from dialogue.evaluation.thresholds import (choose_change_threshold, choose_persona_threshold,
                                           ethics_thresholds_on_val)
from dialogue.layer_classifier import LayerClassifier
from dialogue.training.heads import temperature_for_logits


def _sources(rows: list[dict], split: str) -> str:
    """'written/ethics/writerF.jsonl (2780), ethics.jsonl (5819)': where a split's rows came from."""
    counts: dict[str, int] = {}
    for r in rows:
        if r["split"] == split:
            counts[r.get("source", "?")] = counts.get(r.get("source", "?"), 0) + 1
    return ", ".join(f"{k} ({v})" for k, v in sorted(counts.items()))


def all_topic_pairs(rows: list[dict]) -> list[dict]:
    """The `train` topic rows plus every other (summary, follow-up) pairing among the train topics.

    The dataset pairs each summary with a few messages; the train split holds many more valid pairs:
    a topic's summary with each of its own follow-ups (continued) and with every follow-up of the other
    train topics (changed). Generic replies ("응 맞아", "why?" — continued under several topics) are
    never used as changed. Only train rows are combined, so val and test stay untouched.
    """
    train = [r for r in rows if r["split"] == "train"]
    groups_of: dict[str, set] = {}
    for r in train:
        if r["label"] == "continued":
            groups_of.setdefault(r["message"], set()).add(r["group"])
    generic = {m for m, g in groups_of.items() if len(g) > 1}
    follow: dict[str, set] = {}
    for m, g in groups_of.items():
        if m not in generic:
            follow.setdefault(next(iter(g)), set()).add(m)
    summaries = {(r["previous"], r["group"], r["lang"]) for r in train}
    seen = {(r["previous"], r["message"]) for r in train}
    out = list(train)
    for prev, group, lang in sorted(summaries):
        for g, messages in sorted(follow.items()):
            for m in sorted(messages):
                if (prev, m) not in seen:
                    seen.add((prev, m))
                    out.append({"previous": prev, "message": m, "label": "continued" if g == group else "changed",
                                "lang": lang, "group": group, "split": "train"})
    return out


def changed_partners(rows: list[dict]) -> dict[int, list[str]]:
    """For each plain "changed" train row (no switch phrase: its message is another train topic's
    follow-up), the follow-ups it may be paired with instead: those of every other train topic in the
    message's language. A follow-up belongs to a topic when it continues that topic and no other."""
    train = [r for r in rows if r["split"] == "train"]
    groups_of: dict[str, set] = {}
    for r in train:
        if r["label"] == "continued":
            groups_of.setdefault(r["message"], set()).add(r["group"])
    owned = {m: next(iter(g)) for m, g in groups_of.items() if len(g) == 1}
    hangul = lambda t: any("\uac00" <= c <= "\ud7a3" for c in t)  # noqa: E731
    out = {}
    for i, r in enumerate(rows):
        if r["split"] == "train" and r["label"] == "changed" and r["message"] in owned:
            ko = hangul(r["message"])
            out[i] = sorted(m for m, g in owned.items() if g != r["group"] and hangul(m) == ko)
    return out


def _draw_partners(rows: list[dict], partners: dict[int, list[str]], rng: np.random.Generator) -> None:
    for i, pool in partners.items():
        rows[i] = dict(rows[i], message=pool[rng.integers(len(pool))])


def frozen_states(encoder, texts: Sequence[str], layer: int, progress: Callable[[str], None] = print,
                  batch_size: int = 64) -> dict[str, torch.Tensor]:
    """Hidden states after `layer` for every distinct text (the frozen part, computed once)."""
    distinct = sorted(set(texts), key=len)
    out: dict[str, torch.Tensor] = {}
    for i in range(0, len(distinct), batch_size):
        chunk = distinct[i:i + batch_size]
        _, kept = encoder._forward(chunk, "query", layer)
        out.update(zip(chunk, kept[layer]))
        if (i // batch_size) % 10 == 0:
            progress(f"frozen layers 0–{layer}: {min(i + batch_size, len(distinct))}/{len(distinct)} texts")
    return out


def new_layer_classifier(bert, top_layers: int, labels: Sequence[str], pair: bool) -> LayerClassifier:
    """A new classifier starting from copies of the encoder's top `top_layers` layers."""
    n = len(bert.encoder.layer)
    layers = [copy.deepcopy(bert.encoder.layer[i]) for i in range(n - top_layers, n)]
    model = LayerClassifier(layers, labels, n - top_layers, pair)
    for p in model.parameters():
        p.requires_grad_(True)
    return model


def train_layer_classifier(task: str, encoder, rows: list[dict], labels: Sequence[str], top_layers: int = 2,
                           epochs: int = 8, lr: float = 5e-5, head_lr: float = 1e-3, batch_size: int = 32,
                           seed: int = 0, augment: bool = True, label_smoothing: float = 0.0,
                           select: Callable[[np.ndarray, np.ndarray], float] | None = None,
                           max_minutes: float | None = None, fresh_changes: bool = False,
                           progress: Callable[[str], None] = print) -> tuple[LayerClassifier, dict]:
    """Fine-tune the top layers on the `train` rows; keep the epoch with the best `select(y, p)` on `val`.

    `max_minutes` bounds the run on a shared machine: no epoch starts once that much time has passed.
    `fresh_changes` (topic): every epoch the plain "changed" train pairs get a new partner, a follow-up of
    another train topic (`changed_partners`), so the model sees many more unrelated pairs at the same balance.

    Rows are ethics rows ({"text", "label"}) or topic rows ({"previous", "message", "label"}). The loss is
    class-weighted cross-entropy (balanced classes), optionally label-smoothed. Returns the model (temperature fitted on val) and a
    record of the run per epoch.
    """
    torch.manual_seed(seed)
    pair = task in ("topic", "retrieval", "answer_fit")  # retrieval: (memory as shown, question)
    bert = encoder.bert
    model = new_layer_classifier(bert, top_layers, labels, pair)
    rows = list(rows)  # fresh_changes replaces rows in this list, never the caller's
    if pair and augment:
        rows = all_topic_pairs(rows) + [r for r in rows if r["split"] != "train"]
    texts = [t for r in rows for t in ((r["previous"], r["message"]) if pair else (r["text"],))]
    states = frozen_states(encoder, texts, model.from_layer, progress)
    y = torch.tensor([list(labels).index(r["label"]) for r in rows])
    split = np.array([r["split"] for r in rows])
    tr = np.where(split == "train")[0]
    va = np.where(split == "val")[0]
    select = select or (lambda yy, p: macro_f1(yy, p.argmax(1), len(labels)))

    def logits(idx, train: bool) -> torch.Tensor:
        model.train(train)
        if pair:
            return model.logits([states[rows[i]["previous"]] for i in idx], [states[rows[i]["message"]] for i in idx])
        return model.logits([states[rows[i]["text"]] for i in idx])

    counts = torch.bincount(y[tr], minlength=len(labels)).float()
    weight = counts.sum() / counts.clamp(min=1) / len(labels)
    opt = torch.optim.AdamW([{"params": list(model.layers.parameters()), "lr": lr},
                             {"params": list(model.head.parameters()), "lr": head_lr}], weight_decay=0.01)
    rng = np.random.default_rng(seed)
    partners = changed_partners(rows) if pair and fresh_changes else None
    record: dict = {"epochs": []}
    best, best_state = -1.0, None
    started = time.time()
    for epoch in range(1, epochs + 1):
        if max_minutes is not None and epoch > 1 and time.time() - started > 60 * max_minutes:
            progress(f"{task}: stopped before epoch {epoch}: the {max_minutes:g}-minute limit has passed")
            record["stopped_early"] = f"after epoch {epoch - 1} of {epochs} (time limit {max_minutes:g} min)"
            break
        t0 = time.time()
        perm = rng.permutation(tr)
        if partners is not None and epoch > 1:
            _draw_partners(rows, partners, rng)
        total = 0.0
        for i in range(0, len(perm), batch_size):
            idx = perm[i:i + batch_size]
            loss = nn.functional.cross_entropy(logits(idx, True), y[idx], weight=weight, label_smoothing=label_smoothing)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(idx)
        with torch.no_grad():
            pv = torch.softmax(torch.cat([logits(va[i:i + 128], False) for i in range(0, len(va), 128)]), -1).numpy()
        score = select(y[va].numpy(), pv)
        record["epochs"].append({"epoch": epoch, "train_loss": total / len(tr), "val_score": score,
                                 "seconds": round(time.time() - t0, 1)})
        progress(f"{task}: epoch {epoch}/{epochs}: train loss {total / len(tr):.3f}, val {score:.3f} "
                 f"({time.time() - t0:.0f} s)")
        if score > best:
            best, best_state = score, copy.deepcopy(model.state_dict())
            record["best_epoch"] = epoch
    model.load_state_dict(best_state)
    model.eval()
    with torch.no_grad():
        zv = torch.cat([logits(va[i:i + 128], False) for i in range(0, len(va), 128)]).numpy()
    model.temperature = temperature_for_logits(zv, y[va].numpy())
    record.update({"train_examples": int(len(tr)), "best_val_score": best, "temperature": model.temperature, "top_layers": top_layers,
                   "lr": lr, "head_lr": head_lr, "batch_size": batch_size, "seed": seed, "label_smoothing": label_smoothing,
                   "trained_on": _sources(rows, "train") + (" (all pairings of the train topics)" if pair and augment else ""),
                   "chosen_on": _sources(rows, "val")})
    return model, record


# Per task, chosen on val (docs/dialogue-eval.md, "How the classifiers were chosen").
# ethics: 4 layers since the written ethics data has four writers (validation macro-F1 0.913 with 3 layers and
# one writer, 0.923 with 4 and four; docs/dialogue-eval.md)
LAYER_DEFAULTS = {"ethics": {"top_layers": 4, "epochs": 10, "lr": 5e-5, "augment": False, "max_batch": 99,
                             "label_smoothing": 0.1},
                  # written pairs only: the generated ones (topic.jsonl) cost validation accuracy once four
                  # writers' pairs existed (docs/dialogue-eval.md, topic-change classifier)
                  "topic": {"top_layers": 4, "epochs": 8, "lr": 5e-5, "augment": False, "max_batch": 99,
                            "generated": False},
                  # every classifier starts from the one cached encoder pass of the message, whatever its layer
                  "persona": {"top_layers": 3, "epochs": 12, "lr": 5e-5, "augment": False, "max_batch": 99}}


def train_layers(task: str, encoder, top_layers: int | None = None, epochs: int | None = None,
                 lr: float | None = None, seed: int = 0, max_minutes: float | None = None, progress=print):
    """Fine-tune the task's top-layer classifier; epoch, temperature and (ethics) the flag threshold are
    chosen on val. Returns the model and a record of the run."""
    defaults = LAYER_DEFAULTS[task]
    rows = [r for r in task_rows(task) if r.get("batch", 1) <= defaults["max_batch"] and r["split"] in ("train", "val")
            and (defaults.get("generated", True) or r.get("source") != f"{task}.jsonl")]
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
    model.load_state_dict({k: v.half().float() for k, v in model.state_dict().items()})
    model.meta.update({"task": task, "encoder": "multilingual-e5-small", "record": record})
    model.meta.update(thresholds_on_val(task, encoder, model))


def thresholds_on_val(task: str, encoder, head) -> dict:
    """The task's decision thresholds for `head` (a classifier or a `LayerEnsemble`), chosen on val."""
    if task == "ethics":
        return ethics_thresholds_on_val(EthicsClassifier(encoder, head))
    if task == "persona":
        rows = [r for r in task_rows("persona") if r["split"] == "val"]
        p = PersonaQuestionClassifier(encoder, head, threshold=0.0).predict_proba([r["text"] for r in rows])
        y = np.array([PERSONA_LABELS.index(r["label"]) for r in rows])
        threshold, accuracy = choose_persona_threshold(p, y)
    else:
        rows = [r for r in task_rows("topic") if r["split"] == "val"]
        changed = TopicChangeClassifier(encoder, head, threshold=0.5).probabilities(
            [r["previous"] for r in rows], [r["message"] for r in rows])
        y = np.array([r["label"] == "changed" for r in rows])
        threshold, accuracy = choose_change_threshold(changed, y)
    return {"threshold": threshold, "threshold_val_accuracy": accuracy}


def train_seed_ensemble(task: str, encoder, seeds: Sequence[int], top_layers: int | None = None,
                        epochs: int | None = None, lr: float | None = None, max_minutes: float | None = None,
                        progress=print):
    """Train the task's classifier once per seed and read them as one (`LayerEnsemble`: the mean of their
    probabilities); the thresholds are chosen on val for the ensemble. Returns the ensemble (its meta, the first
    member's, holds the ensemble's thresholds and, under "ensemble", each member's and the ensemble's val score)
    and that record."""
    from dialogue.layer_classifier import LayerEnsemble

    members, records = [], []
    for seed in seeds:
        progress(f"{task}: member with seed {seed} ({len(members) + 1} of {len(seeds)})")
        model, record = train_layers(task, encoder, top_layers, epochs, lr, seed, max_minutes, progress)
        members.append(model)
        records.append(record)
    ensemble = LayerEnsemble(members)
    chosen = thresholds_on_val(task, encoder, ensemble)
    if task == "ethics":  # the training's own selection score, for the ensemble as for each member
        labels = TASK_LABELS[task]
        rows = [r for r in task_rows(task) if r["split"] == "val"]
        p = EthicsClassifier(encoder, ensemble).predict_proba([r["text"] for r in rows])
        score = macro_f1(np.array([labels.index(r["label"]) for r in rows]), p.argmax(1), len(labels))
    else:
        score = chosen["threshold_val_accuracy"]
    summary = {"seeds": list(seeds), "member_val_scores": [r["best_val_score"] for r in records],
               "val_score": score}
    ensemble.meta.update(chosen)
    ensemble.meta["ensemble"] = summary
    return ensemble, summary


def rechoose_ethics_thresholds(encoder) -> dict[str, float]:
    """Choose the committed ethics classifier's thresholds again on val (no retraining) and store them in
    weights/classifiers/ethics.json; returns them."""
    chosen = ethics_thresholds_on_val(EthicsClassifier(encoder))
    path = HEADS_DIR / "ethics.json"
    meta = json.loads(path.read_text())
    meta.update(chosen)
    path.write_text(json.dumps(meta, ensure_ascii=False, indent=1))
    return chosen

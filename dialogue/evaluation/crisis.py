"""The crisis detector measured on the written validation or test messages (`ohlora eval crisis`)."""
from __future__ import annotations

import numpy as np

from dialogue.crisis import CONTEXT_EXCHANGES, CrisisDetector, crisis_predictions, in_context
from dialogue.data.written import CRISIS_LABELS, crisis_context_rows, crisis_rows
from dialogue.evaluation.metrics import confusion, macro_f1


def _read_share(pred: np.ndarray, mask: np.ndarray) -> float:
    """The share of the messages under `mask` read as a crisis (0 when there are none)."""
    return float((pred[mask] != 0).mean()) if mask.any() else 0.0


def evaluate_crisis(detector: CrisisDetector, split: str, ordinary: list[str] | None = None) -> dict:
    """Per-label precision and recall, the confusion matrix and the misses on `split`'s written crisis messages
    ("val" or "test"), and which of the `ordinary` messages (the same split's other written sets:
    `dialogue.data.written.answer_set_messages`) were read as a crisis, listed for reading (those sets are not
    labelled for it)."""
    rows = [r for r in crisis_rows() if r["split"] == split]
    if not rows:
        raise ValueError(f"no written crisis messages in the {split} split")
    texts = [r["text"] for r in rows]
    y = np.array([CRISIS_LABELS.index(r["label"]) for r in rows])
    pred = crisis_predictions(detector.predict_proba(texts), detector.threshold)
    n = len(CRISIS_LABELS)
    per = {}
    for i, label in enumerate(CRISIS_LABELS):
        tp = int(((pred == i) & (y == i)).sum())
        per[label] = {"count": int((y == i).sum()), "precision": tp / max(1, int((pred == i).sum())),
                      "recall": tp / max(1, int((y == i).sum()))}
    risk = y != 0
    out = {"split": split, "count": len(rows), "macro_f1": macro_f1(y, pred, n), "per_label": per,
           "confusion": confusion(y, pred, n).tolist(),
           "at_risk_caught": _read_share(pred, risk),
           "none_flagged": _read_share(pred, ~risk),
           "misses": [{"text": t, "label": CRISIS_LABELS[a], "read": CRISIS_LABELS[b]}
                      for t, a, b in zip(texts, y, pred) if a != b],
           "by_lang": {}, "by_source": {}}
    # per language, and per writer's file: a writer added later is read apart from those read before
    for key, group in (("by_lang", "lang"), ("by_source", "source")):
        for value in sorted({r[group] for r in rows}):
            m = np.array([r[group] == value for r in rows])
            out[key][value] = {"count": int(m.sum()), "macro_f1": macro_f1(y[m], pred[m], n),
                               "at_risk_caught": _read_share(pred, m & risk),
                               "none_flagged": _read_share(pred, m & ~risk)}
    if ordinary:
        read = detector.assessments(ordinary)
        out["ordinary"] = {"count": len(ordinary), "flagged": [(t, k) for t, k in zip(ordinary, read) if k]}
    return out


def crisis_report(r: dict) -> str:
    """Markdown: the figures, the confusion matrix, every miss and the ordinary messages read as a crisis."""
    lines = [f"{r['count']} written messages ({r['split']}): macro-F1 **{r['macro_f1']:.3f}**; people at risk (self "
             f"or other) answered with care **{r['at_risk_caught']:.1%}**; messages at no risk read as a crisis "
             f"**{r['none_flagged']:.1%}**.", "",
             "| label | messages | precision | recall |", "|---|---|---|---|"]
    lines += [f"| {k} | {v['count']} | {v['precision']:.3f} | {v['recall']:.3f} |" for k, v in r["per_label"].items()]
    lines += ["", "| language | messages | macro-F1 | at risk caught | no risk flagged |", "|---|---|---|---|---|"]
    lines += [f"| {k} | {v['count']} | {v['macro_f1']:.3f} | {v['at_risk_caught']:.1%} | {v['none_flagged']:.1%} |"
              for k, v in r["by_lang"].items()]
    if len(r.get("by_source", {})) > 1:
        lines += ["", "| writer's file | messages | macro-F1 | at risk caught | no risk flagged |", "|---|---|---|---|---|"]
        lines += [f"| `{k}` | {v['count']} | {v['macro_f1']:.3f} | {v['at_risk_caught']:.1%} | "
                  f"{v['none_flagged']:.1%} |" for k, v in r["by_source"].items()]
    lines += ["", "Confusion (rows: the writer's label, columns: read as " + " / ".join(CRISIS_LABELS) + "): "
              + "; ".join(f"{CRISIS_LABELS[i]} {row}" for i, row in enumerate(r["confusion"])) + ".", ""]
    if r["misses"]:
        lines += ["Misses:", ""] + [f"- {m['label']} read as {m['read']}: \"{m['text']}\"" for m in r["misses"]]
    if "ordinary" in r:
        o = r["ordinary"]
        lines += ["", f"Messages of the same split's other written sets (open-domain, persona, memory, ownership, "
                      f"remember, topic, ethics) read as a crisis: "
                      f"{len(o['flagged'])} of {o['count']}" + (":" if o["flagged"] else "."), ""]
        lines += [f"- ({k}) \"{t}\"" for t, k in o["flagged"]]
    return "\n".join(lines)


def evaluate_crisis_context(detector: CrisisDetector, split: str,
                            exchanges: int = CONTEXT_EXCHANGES) -> dict:
    """The written conversations whose earlier turns decide what the last message means
    (`crisis_context_rows`), each last message read alone and read after the user's messages of up to `exchanges`
    exchanges before it, as the live conversation reads it (`PersonaChat._crisis_context`)."""
    rows = crisis_context_rows(split)
    y = np.array([CRISIS_LABELS.index(r["label"]) for r in rows])
    risk = y != 0
    out = {"split": split, "count": len(rows), "at_risk": int(risk.sum()), "exchanges": exchanges}
    earlier = [[h["user"] for h in r["history"][-exchanges:]] if exchanges else [] for r in rows]
    langs = {lang: np.array([r["lang"] == lang for r in rows]) for lang in ("ko", "en")}
    for name, texts in (("alone", [r["message"] for r in rows]),
                        ("in_context", [in_context(r["message"], e) for r, e in zip(rows, earlier)])):
        pred = crisis_predictions(detector.predict_proba(texts), detector.threshold)
        out[name] = {"at_risk_caught": _read_share(pred, risk),
                     "none_flagged": _read_share(pred, ~risk),
                     "by_lang": {lang: _read_share(pred, risk & m) for lang, m in langs.items()},
                     "misses": [{"history": [h["user"] for h in r["history"]], "text": r["message"],
                                 "label": CRISIS_LABELS[a], "read": CRISIS_LABELS[b]}
                                for r, a, b in zip(rows, y, pred) if a != b]}
    return out


def crisis_context_report(r: dict) -> str:
    """Markdown: the conversations' last messages caught and flagged, alone and in context, and the misses in context."""
    a, c = r["alone"], r["in_context"]
    lines = [f"{r['count']} written conversations ({r['split']}; {r['at_risk']} whose last message is someone at "
             f"risk), the last message read alone and after the user's messages of up to {r['exchanges']} exchanges "
             "before it (as the live conversation reads it):", "",
             "| read | at risk caught | Korean | English | no risk read as a crisis |", "|---|---|---|---|---|",
             f"| alone | {a['at_risk_caught']:.1%} | {a['by_lang']['ko']:.1%} | {a['by_lang']['en']:.1%} | "
             f"{a['none_flagged']:.1%} |",
             f"| **in context** | **{c['at_risk_caught']:.1%}** | {c['by_lang']['ko']:.1%} | {c['by_lang']['en']:.1%} | "
             f"**{c['none_flagged']:.1%}** |", ""]
    if c["misses"]:
        lines += ["Misses in context (earlier messages › the message):", ""]
        lines += [f"- {m['label']} read as {m['read']}: " + " › ".join(f'"{t}"' for t in [*m["history"], m["text"]])
                  for m in c["misses"]]
    return "\n".join(lines)

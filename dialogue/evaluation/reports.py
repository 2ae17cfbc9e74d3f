"""Markdown reports of the evaluation results, as `ohlora eval memory|topic|ethics|persona` writes them
into docs/dialogue-eval.md."""
from __future__ import annotations

from pathlib import Path

from dialogue.evaluation.memory import RETRIEVAL_MAX_FALSE
from dialogue.evaluation.thresholds import ETHICS_COUNT_BUDGET, ETHICS_MAX_DECLINED
from dialogue.safety import ABOUT_HER_ABOVE

EVAL_DOC = Path(__file__).resolve().parent.parent.parent / "docs" / "dialogue-eval.md"


def share(rows: list[dict], hits: dict[str, bool], selected) -> str:
    """"k/n = p%": of the `rows` that `selected(row)` picks, how many `hits` (by row id) counts."""
    ids = [r["id"] for r in rows if selected(r)]
    k = sum(hits[i] for i in ids)
    return f"{k}/{len(ids)} = {k / max(len(ids), 1):.1%}"


def markdown_table(header: list[str], rows: list[list]) -> str:
    """A GitHub-flavoured markdown table."""
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def classifier_report(r: dict) -> str:
    """The markdown section of `dialogue.evaluation.classifiers.evaluate_classifier`'s result."""
    labels = r["labels"]
    lines = [f"Model: {r['model']}.", "",
             f"{r['n']} {r['split']} examples. Accuracy **{r['accuracy']:.3f}**, macro-F1 **{r['macro_f1']:.3f}**, "
             f"expected calibration error {r['ece']:.3f}, median latency {r['latency_ms_median']:.1f} ms per call "
             f"(uncached, encoder included).",
             "Accuracy by language: " + ", ".join(f"{k} {v:.3f}" for k, v in r["accuracy_by_language"].items()) + "."]
    if "normal_false_block_rate" in r:
        lines.append(f"Normal messages flagged and declined in character (flag when P(normal) < "
                     f"{r['flag_below_normal']:g}, chosen on val: the best macro-F1 declining ≤ {ETHICS_MAX_DECLINED:.0%} "
                     f"of val's normal messages): **{r['normal_declined_rate']:.3f}**; offensive messages let through: "
                     f"**{r['offensive_missed_rate']:.3f}**.")
        if r.get("gate"):
            g = r["gate"]
            lines.append(f"On a confident question about her (the persona-question classifier at ≥ {ABOUT_HER_ABOVE:g}) "
                         f"the gate lifts a flag that would not count and declines a confident offence without counting "
                         f"it: {g['lifted']} lifted and {g['uncounted']} not counted here; the gate's macro-F1 "
                         f"**{g['macro_f1']:.3f}**, normal messages declined **{g['normal_declined_rate']:.3f}** and "
                         f"counted **{g['normal_counted_rate']:.3f}**, offensive let through "
                         f"**{g['offensive_missed_rate']:.3f}** and counted **{g['offensive_counted_rate']:.3f}**"
                         + (f"; lifted: {'; '.join(g['examples'][:12])}" if g["examples"] else "") + ".")
        if r.get("ordinary_chat"):
            o = r["ordinary_chat"]
            lines.append(f"Ordinary chat (the {o['n']} open-domain and persona messages of the written {r['split']} "
                         f"sets, boundary ones left out; after the gate lifts or uncounts flags on questions about her): declined **{o['declined']:.3f}**, counted as offences "
                         f"**{o['counted']:.3f}**" + (f"; declined: {'; '.join(o['examples'][:12])}" if o["examples"] else "") + ".")
        lines.append(f"Normal messages counted as offences toward warnings and blocks (an insult, hate or sexual "
                     f"flag with P(normal) < {r['strike_below_normal']:g}, chosen on val for ≤ {ETHICS_COUNT_BUDGET:.1%}): "
                     f"**{r['normal_false_block_rate']:.3f}**; offensive messages counted: {r['offensive_counted_rate']:.3f} "
                     "(the rest of the flagged ones are declined without counting).")
    if len(r.get("by_source", {})) > 1:
        lines.append("\nEach writer's file apart (the gate's decisions):\n")
        lines.append(markdown_table(
            ["file", "messages (normal)", "macro-F1", "normal declined", "normal counted", "offensive caught"],
            [[k, f"{v['n']} ({v['normal']})", f"{v['macro_f1']:.3f}", f"{v['normal_declined_rate']:.1%}",
              f"{v['normal_counted_rate']:.1%}", f"{v['offensive_caught_rate']:.1%}"] for k, v in r["by_source"].items()]))
    if "persona_fact_shown_right" in r:
        lines.append(f"A persona fact is shown in the answer prompt when its probability reaches {r['threshold']:g} "
                     f"(chosen on val). Persona questions shown the asked fact: **{r['persona_fact_shown_right']:.3f}**, "
                     f"shown another fact: {r['persona_fact_shown_wrong']:.3f}; other messages shown a fact nobody "
                     f"asked about: {r['fact_shown_unasked']:.3f}.")
        if r["misses"]:
            lines.append("\nWrong decisions: " + "; ".join(r["misses"]) + ".")
    elif "threshold" in r:
        lines.append(f"A message counts as a change of subject when P(changed) ≥ {r['threshold']:g} (chosen on val).")
    lines.append("")
    lines.append("Confusion matrix (rows: truth, columns: prediction):\n")
    lines.append(markdown_table(["", *labels], [[labels[i], *row] for i, row in enumerate(r["confusion"])]))
    if "flag_curve" in r:
        lines.append("\nThe gate's trade-off on this split against the flag threshold τ (the shipped τ is chosen on val):\n")
        lines.append(markdown_table(["flag when P(normal) <", "macro-F1", "normal messages flagged", "offensive messages let through"],
                            [[f"{c['threshold']:g}", f"{c['macro_f1']:.3f}", f"{c['normal_flagged']:.3f}",
                              f"{c['offensive_missed']:.3f}"] for c in r["flag_curve"]]))
    return "\n".join(lines)


def retrieval_report(r: dict) -> str:
    """The markdown section of `dialogue.evaluation.memory.evaluate_retrieval`'s result."""
    from dialogue.memory import RELEVANCE_CANDIDATES

    what = ("the relevance model's probability that a memory answers the question (logistic regression on its "
            f"features with the cross-encoder's, fitted on train), for the most relevant of the {RELEVANCE_CANDIDATES} "
            "best-ranked memories," if r["relevance_model"] else "the best memory's cosine score")
    kinds = list(r["false_by_kind"])
    by_kind = ("- top-1 by kind of answerable case: " + ", ".join(f"{k} {v:.3f}" for k, v in r["top1_by_kind"].items())
               + "\n") if r["top1_by_kind"] else ""
    return (f"{r['n']} {r['split']} cases ({r['answerable']} with a relevant memory among the stored ones, the "
            f"rest asking about nothing stored). A memory is injected when {what} reaches {r['threshold']:.3f}, "
            f"chosen on the written validation cases: the best top-1 whose false retrieval stays ≤ "
            f"{RETRIEVAL_MAX_FALSE:.0%}.\n\n"
            f"- top-1 accuracy (right memory retrieved and above the threshold): **{r['top1_accuracy']:.3f}**\n"
            f"{by_kind}"
            f"- false retrieval (a memory injected where none is relevant): **{r['false_retrieval']:.3f}**\n"
            f"- precision of injected memories: {r['precision']:.3f}\n"
            f"- top-1 accuracy with no threshold (ranking only): {r['top1_without_threshold']:.3f}\n"
            "- false retrieval by kind of case: " + ", ".join(
                f"{k} {v:.3f} (of {r['cases_by_kind'][k]})" for k, v in r["false_by_kind"].items()) + "\n\n"
            "Precision / recall (= top-1 accuracy) / false retrieval against the threshold, in all and by kind of "
            "unanswerable case:\n\n"
            + markdown_table(["threshold", "precision", "recall", "false retrieval", *kinds],
                     [[f"{c['threshold']:.3f}", f"{c['precision']:.3f}", f"{c['recall']:.3f}",
                       f"{c['false_retrieval']:.3f}", *(f"{c['false_by_kind'][k]:.3f}" for k in kinds)]
                      for c in r["curve"]]))

"""`ohlora eval summary`: does the summary role say what happened in the exchange? Graded blind by two judges.

The summary of a turn is what the next turn's prompt carries when no memory applies ("(이전 대화: …)"), so a
summary about some other subject misleads her next answer. Three steps, like `ohlora eval open`:

1. `write`: the summary role (greedy, the live token budget) on every exchange of an open-eval transcript
   (the message and her answer as the live pipeline produced them) -> a JSONL of summaries.
2. `sheet`: one or more such files as one blind sheet (items shuffled, opaque ids, no model details) and a key
   saying which item is which (kept away from the judges).
3. `score`: two judges' grades -> per file, the share both accept, Korean and English apart, and the rejected
   summaries.
"""
from __future__ import annotations

import json
import random
from pathlib import Path

from tqdm import tqdm

from dialogue.data.written import json_lines
from dialogue.prompting import summary_prompt
from dialogue.roles import clean_summary

SUMMARY_TOKENS = 40  # what the live turn allows the summary role (dialogue.conversation)

RUBRIC = """\
Each item is one exchange of a chat between a user and Oh-LoRA (a virtual-human companion), followed by a
one-line summary a model wrote of it, to be shown to Oh-LoRA as a note in the next turn. Grade each summary
ACCEPT or REJECT. Accept only if every point holds:
1. It says what happened in THIS exchange: what the user said or asked (and, where it matters, how Oh-LoRA
   answered). A summary of some other conversation, or about another subject, is a REJECT.
2. Nothing invented: no name, fact, subject, plan or feeling that the exchange does not contain.
3. Same language as the user's message.
4. One short line that reads as a note ("사용자가 …", "The user …"); not a reply to the user.
Judge the summary only, not Oh-LoRA's answer (a poor answer summarised faithfully is fine).
Write one JSON object per line: {"id": "...", "grade": "accept" | "reject", "why": "a few words"}.
"""


def summarise(llm, transcript: Path, progress: bool = True) -> list[dict]:
    """The summary role on each exchange of an open-eval transcript (items the gate refused included: a
    live turn summarises those too)."""
    rows = [r for _, r in json_lines(transcript) if r.get("answer")]
    if not rows:
        raise ValueError(f"{transcript} holds no answered exchanges (write one with `ohlora eval open answers`)")
    out = []
    for r in tqdm(rows, desc="summary role", unit="exchange", disable=not progress):
        raw = llm.generate_text("summary", summary_prompt(r["message"], r["answer"]), max_new_tokens=SUMMARY_TOKENS).text
        out.append({"id": r["id"], "lang": r["lang"], "message": r["message"], "answer": r["answer"],
                    "summary": clean_summary(raw), "raw": raw.strip()})
    return out


def sheet(runs: list[Path], seed: int = 0) -> tuple[str, dict[str, dict]]:
    """(the judges' sheet, the key): every summary of every run, shuffled, under an opaque id."""
    items = []
    for run in runs:
        items += [(run.name, r) for _, r in json_lines(run)]
    rng = random.Random(seed)
    ids = rng.sample(range(10_000, 100_000), len(items))
    order = list(range(len(items)))
    rng.shuffle(order)
    key, lines = {}, [RUBRIC, ""]
    for n in order:
        run, r = items[n]
        opaque = f"s-{ids[n]}"
        key[opaque] = {"run": run, "id": r["id"]}
        lines += [f"## {opaque}", f"user: {r['message']}", f"Oh-LoRA: {r['answer']}",
                  f"summary: {r['summary'] or '(empty)'}", ""]
    return "\n".join(lines), key


def score(key: dict[str, dict], runs: list[Path], grade_files: list[Path]) -> str:
    """Markdown: per run, the summaries every judge accepts (all, Korean, English), judge agreement and the
    rejected ones."""
    from dialogue.evaluation.open import read_grades

    judges = [read_grades(p) for p in grade_files]
    missing = [i for i in key if any(i not in j for j in judges)]
    if missing:
        raise ValueError(f"{len(missing)} summaries have no grade from every judge, e.g. {missing[:5]}")
    rows = {(run.name, r["id"]): r for run in runs for _, r in json_lines(run)}
    lines = [f"Judges: {', '.join(p.name for p in grade_files)}; agreement "
             f"{sum(len({j[i] for j in judges}) == 1 for i in key)}/{len(key)}.", "",
             "| summaries of | accepted by both | Korean | English |", "|---|---|---|---|"]
    rejected: dict[str, list[dict]] = {}
    for run in runs:
        mine = {i: k for i, k in key.items() if k["run"] == run.name}
        ok = {i: all(j[i] for j in judges) for i in mine}

        def share(lang: str | None) -> str:
            sel = [i for i in mine if lang is None or rows[(run.name, mine[i]["id"])]["lang"] == lang]
            n = sum(ok[i] for i in sel)
            return f"{n}/{len(sel)} = {n / max(len(sel), 1):.1%}"
        lines.append(f"| `{run.name}` | **{share(None)}** | {share('ko')} | {share('en')} |")
        rejected[run.name] = [rows[(run.name, mine[i]["id"])] for i in mine if not ok[i]]
    for run, bad in rejected.items():
        lines += ["", f"Rejected in `{run}` ({len(bad)}), first 10:", ""]
        lines += [f"- {r['message']!r} / {r['answer'][:60]!r} → {r['summary']!r}" for r in bad[:10]] or ["- none"]
    return "\n".join(lines)


def write_jsonl(rows: list[dict], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")

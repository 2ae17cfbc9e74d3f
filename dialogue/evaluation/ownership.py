"""Whose fact is it: scoring answers to the ownership sets (`dialogue/data/written/{validation,heldout}/ownership.jsonl`)
without judges. Three kinds of item, each one message to a fresh conversation:

- `recall`: facts about the user are stored and the message asks for one ("what's my name again?"); the answer
  counts when it says the fact (any string of the item's `expect`) and does not say a stored fact as her own;
- `intro`: the user tells who they are ("I'm Jane, a nurse from Toronto"); it counts when she says none of the
  told facts (`told`) as her own ("Hi Jane! I'm a nurse at …" does not);
- `her`: facts of the same kind about the user are stored and the message asks for hers ("what's your name?");
  it counts when it states her fact (as the persona sets score it) and claims none of the user's.

"As her own" is read by first-person patterns ("I'm Jane", "I live in Toronto", "나는 간호사야", "저도 강릉 살아요");
a claim in other words is missed, so the figure is an upper bound on how well she keeps them apart.
"""
from __future__ import annotations

import re
from datetime import datetime

from dialogue.claims import claimable_head
from dialogue.evaluation.open import persona_fact_hit
from dialogue.evaluation.reports import share


def claims_as_hers(answer: str, values: list[str]) -> str | None:
    """The first of the user's `values` that `answer` says about herself, or None ("you're a nurse" is no claim).
    A wider reading than the validator's `claims.memory_as_hers`, which the answers it scores have already passed:
    "I'm learning guitar too", "나도 간호사야", "저는 강릉에서" count here."""
    for value in values:
        said = claimable_head(value)
        if said is None:
            continue
        english = (rf"\bI(?:'m|’m| am)\s+(?:also\s+|a |an |the |from |in )*{said}\b"
                   rf"|\b[Mm]y (?:name|job|work|major|hometown|city) is (?:a |an )?{said}\b"
                   rf"|\bI (?:live|work|study|grew up)\s+(?:in|at|as)\s+(?:a |an |the )?{said}\b")
        korean = (rf"(?:^|[\s,.!?])(?:나는|난|저는|전|나도|저도|내 이름은|제 이름은)\s*(?:\S+\s+)?{said}"
                  r"(?:이)?(?:야|라|예요|에요|이에요|입니다|이고|고|라고|인데|라서|이라서|거든|에서|에 살|[,.!~])")
        if re.search(english, answer, re.IGNORECASE) or re.search(korean, answer):
            return value
    return None


def _row_claim(row: dict) -> str | None:
    """The user's fact (stored or told) that an ownership item's answer says as hers, or None."""
    stored = [v for _, v in row.get("memories") or []]
    return claims_as_hers(row["answer"] or "", stored + list(row.get("told") or []))


def ownership_hit(row: dict) -> bool:
    """Does the answer of an ownership item keep the user's facts and hers apart, as its kind asks?"""
    return _kept_apart(row, _row_claim(row))


def _kept_apart(row: dict, claim: str | None) -> bool:
    kind = row["category"].split(":", 1)[1]
    answer = row["answer"] or ""
    if kind == "recall":
        return claim is None and any(e.lower() in answer.lower() for e in row["expect"])
    if kind == "her":
        return claim is None and persona_fact_hit(row)
    return claim is None and not row.get("refused")


def ownership_report(name: str, rows: list[dict]) -> str:
    """Recall, introductions and questions about her on an ownership set, by kind and language, misses listed."""
    claims = {r["id"]: _row_claim(r) for r in rows}
    hits = {r["id"]: _kept_apart(r, claims[r["id"]]) for r in rows}

    def pct(sel) -> str:
        return share(rows, hits, sel)

    kinds = ("recall", "intro", "her")
    retrieved = [r for r in rows if r["category"].endswith("recall")
                 and any(e.lower() in (r.get("retrieved") or "").lower() for e in r["expect"])]
    lines = [f"# Whose fact: {name}", "",
             f"Written by `ohlora eval open answers` ({datetime.now().astimezone():%Y-%m-%d %H:%M %Z}). {len(rows)} "
             f"messages from `dialogue/data/written/{name.replace('-', '/', 1)}.jsonl` through the live pipeline, "
             "scored by `dialogue.evaluation.ownership`: recall counts when the answer says the asked fact and claims "
             "none; an introduction when she claims none of what the user told; a question about her when she "
             "states her own fact and claims none of the user's.", "",
             f"- **kept apart: {pct(lambda r: True)}**",
             f"- Korean: {pct(lambda r: r['lang'] == 'ko')}; English: {pct(lambda r: r['lang'] == 'en')}",
             f"- a user's fact said as hers: {sum(c is not None for c in claims.values())} of {len(rows)}",
             f"- recall questions whose fact the memory gate brought into the prompt: {len(retrieved)} of "
             f"{sum(r['category'].endswith('recall') for r in rows)}", "", "| kind | kept apart |", "|---|---|"]
    lines += [f"| {k} | {pct(lambda r, k=k: r['category'].endswith(k))} |" for k in kinds]
    lines += ["", "## Misses", ""]
    lines += [f"- `{r['id']}` ({r['lang']}, {r['category'].split(':')[1]}; shown: {r.get('retrieved') or 'nothing'}): "
              f"**{r['message']}** → {r['answer']}" for r in rows if not hits[r["id"]]] or ["- none"]
    return "\n".join(lines) + "\n"

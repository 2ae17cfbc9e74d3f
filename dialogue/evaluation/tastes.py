"""Her tastes on freshly written questions (`ohlora eval open answers --set validation/tastes|heldout/tastes`): does
her answer say what her taste sheet (`dialogue/data/persona_taste.toml`) says?

Each item asks her about one line of the sheet (its category, "taste:food.favourite"). An answer agrees with the
sheet when it names at least one thing that line names (`TASTE_TERMS`, both languages); an answer that names
something else ("I love pizza") or nothing at all ("I like lots of food!") does not. The same list keeps written
answers that contradict her sheet from being served (`dialogue.tastes`), so on the answers the bank serves this
figure agrees by construction; the judges' grades of the same answers (docs/open-eval/tastes/) are the check that
does not lean on it.
"""
from __future__ import annotations

from datetime import datetime

from dialogue.evaluation.reports import share
from dialogue.tastes import TASTE_TERMS, says_line


def taste_key(row: dict) -> str:
    """The line of the sheet an item asks about ("taste:food.favourite" -> "food.favourite")."""
    category = str(row.get("category", ""))
    if not category.startswith("taste:") or category[6:] not in TASTE_TERMS:
        raise ValueError(f"item {row.get('id')}: category {category!r} is not taste:<a line of the sheet>; known: "
                         f"{', '.join(TASTE_TERMS)}")
    return category[6:]


def states_her_taste(row: dict) -> bool:
    """Whether the answer names something the asked line of her sheet names."""
    return says_line(taste_key(row), row.get("answer") or "")


def taste_report(name: str, rows: list[dict], scored_again: bool = False) -> str:
    """Her tastes on freshly written questions, by language and by part of the sheet, misses listed."""
    hits = {r["id"]: states_her_taste(r) for r in rows}

    def pct(sel) -> str:
        return share(rows, hits, sel)

    when = f"{datetime.now().astimezone():%Y-%m-%d %H:%M %Z}"
    lines = [f"# Her tastes: {name}", "",
             (f"Scored again by `ohlora eval open score` ({when}) from an earlier run's answers. " if scored_again else
              f"Written by `ohlora eval open answers` ({when}). ") + f"{len(rows)} questions about her tastes, family and "
             f"studies from `dialogue/data/written/{name.replace('-', '/', 1)}.jsonl`, written by a writer who wrote "
             "none of the training data, through the live pipeline; an answer agrees with her sheet "
             "(`dialogue/data/persona_taste.toml`) when it names something the asked line names "
             "(`dialogue.evaluation.tastes.TASTE_TERMS`).", "",
             f"- **answers that agree with her sheet: {pct(lambda r: True)}**",
             f"- Korean: {pct(lambda r: r['lang'] == 'ko')}; English: {pct(lambda r: r['lang'] == 'en')}", "",
             "| part of the sheet | agree |", "|---|---|"]
    sections = sorted({taste_key(r).split(".")[0] for r in rows})
    lines += [f"| {s} | {pct(lambda r, s=s: taste_key(r).startswith(s + '.'))} |" for s in sections]
    lines += ["", "## Misses", ""]
    lines += [f"- `{r['id']}` ({r['lang']}, {taste_key(r)}): **{r['message']}** → {r['answer']}"
              for r in rows if not hits[r["id"]]] or ["- none"]
    return "\n".join(lines) + "\n"

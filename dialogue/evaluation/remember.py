"""`ohlora eval remember`: what the memory role stores from free-form messages, against facts a writer who
wrote none of the training data listed by hand (dialogue/data/written/{validation,heldout}/remember.jsonl).

A stored item counts as one of the message's facts when it says the same thing in other words: the writer's
"초등학교 교사" and the role's "[직업: 초등학교 선생님]" are one fact. Matching works on character bigrams of the
text with spaces and punctuation removed (Korean spacing and particles vary; English word order does not
matter much for two- to five-word values), so a miss printed in the report is a real miss or a paraphrase
too loose to match; the report lists examples of both kinds for a reader to judge.
"""
from __future__ import annotations

import re
import statistics
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from dialogue.data.written import WRITTEN_DIR, json_lines
from dialogue.memory_values import checked_memories
from dialogue.names import with_told_name
from dialogue.prompting import memory_prompt
from dialogue.roles import parse_memories

REMEMBER_KINDS = ("one_fact", "several_facts", "embedded", "plan", "other_person", "change", "preference", "nothing")
SETS = {"validation": WRITTEN_DIR / "validation" / "remember.jsonl", "heldout": WRITTEN_DIR / "heldout" / "remember.jsonl"}
MEMORY_TOKENS = 48  # what the live turn allows the memory role (dialogue.conversation)


def remember_set_files(name: str) -> list[Path]:
    """The set's first file and any further writer's `remember-<writer>.jsonl` beside it."""
    first = SETS[name]
    return [first, *sorted(first.parent.glob("remember-*.jsonl"))]


def load_remember_set(name: str) -> list[dict]:
    """The messages of a remember set, checked: an unknown kind or a malformed fact names its line."""
    if name not in SETS:
        raise ValueError(f"unknown set {name!r}: choose one of {', '.join(SETS)}")
    if not SETS[name].exists():
        raise FileNotFoundError(f"{SETS[name]} is missing: the {name} remember set is written by hand "
                                "(dialogue/data/written/README.md)")
    out = []
    for path, n, r in ((p, n, r) for p in remember_set_files(name) for n, r in json_lines(p)):
        facts = r.get("remember")
        if not isinstance(r.get("message"), str) or not r["message"].strip():
            raise ValueError(f"{path}:{n}: message must be text")
        if r.get("kind") not in REMEMBER_KINDS:
            raise ValueError(f"{path}:{n}: kind must be one of {', '.join(REMEMBER_KINDS)}")
        if not isinstance(facts, list) or not all(
                isinstance(f, list) and len(f) == 2 and all(isinstance(x, str) and x.strip() for x in f) for f in facts):
            raise ValueError(f"{path}:{n}: remember must be a list of [key, value] pairs of text")
        if r.get("lang") not in ("ko", "en"):
            raise ValueError(f"{path}:{n}: lang must be ko or en")
        out.append({"id": r.get("id", f"{path.stem}-{n}"), "lang": r["lang"], "now": r.get("now", ""),
                    "message": r["message"], "remember": [tuple(f) for f in facts], "kind": r["kind"],
                    "source": path.name})
    return out


_DROP = re.compile(r"[\s\W_]+", re.UNICODE)


def _norm(text: str) -> str:
    return _DROP.sub("", text.lower())


def _bigrams(text: str) -> Counter:
    return Counter(text[i:i + 2] for i in range(len(text) - 1)) if len(text) > 1 else Counter([text])


def _dice(a: str, b: str) -> float:
    if not a or not b:
        return 0.0
    x, y = _bigrams(a), _bigrams(b)
    return 2 * sum((x & y).values()) / (sum(x.values()) + sum(y.values()))


def same_fact(gold: tuple[str, str], stored: tuple[str, str]) -> bool:
    """Whether a stored [key: value] says the writer's fact: the values agree (one holds the other, or half
    their bigrams are shared), or the keys agree and the values share some (a date written another way)."""
    gk, gv, sk, sv = _norm(gold[0]), _norm(gold[1]), _norm(stored[0]), _norm(stored[1])
    if not gv or not sv:
        return False
    if gv in sk + sv or (len(sv) >= max(2, len(gv) // 2) and sv in gv) or (len(gk) >= 2 and gk in sv):
        return True
    # every word of the stored item is in the writer's ("[cat: Nabi]" for "[pet: a cat named Nabi]")
    words = set(re.findall(r"\w+", f"{stored[0]} {stored[1]}".lower()))
    if words and words <= set(re.findall(r"\w+", f"{gold[0]} {gold[1]}".lower())) and len(sk + sv) >= 4:
        return True
    return _dice(gv, sv) >= 0.5 or (_dice(gk, sk) >= 0.6 and _dice(gv, sv) >= 0.25)


_KO_DAY = re.compile(r"(\d{1,2})월\s*(\d{1,2})일")
_EN_DAY = re.compile(r"(January|February|March|April|May|June|July|August|September|October|November|December)"
                     r"\s+(\d{1,2})\b")
_ISO_DAY = re.compile(r"\d{4}-(\d{2})-(\d{2})")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")


def days_named(text: str) -> set[tuple[int, int]]:
    """The (month, day) pairs a text writes ("2025년 9월 7일", "August 23, 2025", "2025-09-07")."""
    out = {(int(m), int(d)) for m, d in _KO_DAY.findall(text)} | {(int(m), int(d)) for m, d in _ISO_DAY.findall(text)}
    return out | {(_MONTHS.index(m) + 1, int(d)) for m, d in _EN_DAY.findall(text)}


@dataclass
class Scored:
    item: dict
    stored: list[tuple[str, str]] | None  # None: the role wrote something that is not [key: value] items
    raw: str
    found: int       # writer's facts matched by a stored item
    right: int       # stored items matching one of the writer's facts

    @property
    def stored_days(self) -> set[tuple[int, int]]:
        return set().union(*(days_named(v) for _, v in self.stored or []))

    @property
    def written_days(self) -> set[tuple[int, int]]:
        return set().union(*(days_named(v) for _, v in self.item["remember"]))

    @property
    def exact(self) -> bool:
        """Every fact found and nothing else stored."""
        stored = self.stored or []
        return self.found == len(self.item["remember"]) and self.right == len(stored)


def score_item(item: dict, raw: str, checked: bool = True) -> Scored:
    """The role's output as a live turn stores it (with a plainly told name it left out and, unless `checked` is
    False, its dates and ages made to agree with the message; an output that is not [key: value] items stays
    unusable here), against the writer's facts."""
    stored = parse_memories(raw)
    if stored is not None:
        stored = with_told_name(stored, item["message"])
        if checked:
            when = _when(item)
            stored = checked_memories(stored, item["message"], when.date() if when else None)
    got = stored or []
    gold = item["remember"]
    found = sum(any(same_fact(g, s) for s in got) for g in gold)
    right = sum(any(same_fact(g, s) for g in gold) for s in got)
    return Scored(item, stored, raw, found, right)


def _when(item: dict):
    from datetime import datetime

    return datetime.fromisoformat(item["now"]) if item.get("now") else None


def extract(llm, items: list[dict], progress: bool = True) -> list[Scored]:
    """Run the memory role on each message as a live turn does (greedy, the live token budget)."""
    out = []
    for item in tqdm(items, desc="memory role", unit="msg", disable=not progress):
        raw = llm.generate_text("memory", memory_prompt(item["message"], _when(item)), max_new_tokens=MEMORY_TOKENS).text.strip()
        out.append(score_item(item, raw))
    return out


def figures(scored: list[Scored]) -> dict:
    """Fact recall and precision, stored-when-nothing, exact messages; overall, per language and per kind."""
    def block(rows: list[Scored]) -> dict:
        facts = sum(len(s.item["remember"]) for s in rows)
        stored = sum(len(s.stored or []) for s in rows)
        nothing = [s for s in rows if not s.item["remember"]]
        told = [s for s in rows if s.item["remember"]]
        p = sum(s.right for s in rows) / stored if stored else 0.0
        r = sum(s.found for s in rows) / facts if facts else 0.0
        return {"messages": len(rows), "facts": facts, "recall": r, "precision": p,
                "f1": 2 * p * r / (p + r) if p + r else 0.0,
                "stored_on_nothing": sum(bool(s.stored) for s in nothing) / len(nothing) if nothing else 0.0,
                "nothing_messages": len(nothing),
                "all_found": sum(s.found == len(s.item["remember"]) for s in told) / len(told) if told else 0.0,
                "exact": sum(s.exact for s in rows) / len(rows) if rows else 0.0,
                "unparsable": sum(s.stored is None for s in rows),
                # of the messages whose writer dated a fact and where a day was stored: the same day
                "dates_compared": len(dated := [s for s in rows if s.stored_days and s.written_days]),
                "dates_right": sum(bool(s.stored_days & s.written_days) for s in dated)}
    out = {"all": block(scored)}
    for lang in ("ko", "en"):
        out[lang] = block([s for s in scored if s.item["lang"] == lang])
    for kind in REMEMBER_KINDS:
        rows = [s for s in scored if s.item["kind"] == kind]
        if rows:
            out[kind] = block(rows)
    sources = sorted({s.item.get("source", "") for s in scored})
    if len(sources) > 1:  # each writer's file apart: writers differ in what they find hard
        for source in sources:
            out[source] = block([s for s in scored if s.item.get("source", "") == source])
            for lang in ("ko", "en"):
                rows = [s for s in scored if s.item.get("source", "") == source and s.item["lang"] == lang]
                if rows:
                    out[f"{source} {lang}"] = block(rows)
    return out


def report(name: str, scored: list[Scored], adapters: Path, examples: int = 12, stop_bias: float = 0.0) -> str:
    """Markdown: the figures table and examples of misses (facts lost, things stored that were not said)."""
    f = figures(scored)
    files = ", ".join(f"`{p.relative_to(WRITTEN_DIR.parent.parent.parent)}`" for p in remember_set_files(name)
                      if p.exists())
    lines = [f"{len(scored)} messages of {files}, the memory "
             f"role of `{adapters}` (greedy, {MEMORY_TOKENS} tokens"
             + (f", stop bias {stop_bias:g} at the first token" if stop_bias else "") + ").", "",
             "| messages | facts | fact recall | precision | F1 | all facts found | exact | stored on a nothing message | unusable output | dated facts: the written day |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for key, b in f.items():
        lines.append(f"| {key} ({b['messages']}) | {b['facts']} | {b['recall']:.1%} | {b['precision']:.1%} | "
                     f"{b['f1']:.3f} | {b['all_found']:.1%} | {b['exact']:.1%} | "
                     f"{b['stored_on_nothing']:.1%} of {b['nothing_messages']} | {b['unparsable']} | "
                     f"{b['dates_right']} of {b['dates_compared']} |")
    raw = figures([score_item(s.item, s.raw, checked=False) for s in scored])["all"]
    lines += ["", f"The role's own output, before its dates and ages are made to agree with the message "
              f"(`dialogue.memory_values`): recall {raw['recall']:.1%}, precision {raw['precision']:.1%}, F1 "
              f"{raw['f1']:.3f}, the written day {raw['dates_right']} of {raw['dates_compared']}."]
    lost = [s for s in scored if s.found < len(s.item["remember"])]
    extra = [s for s in scored if s.stored and s.right < len(s.stored)]
    for title, rows in (("Facts lost", lost), ("Stored though not said (or not matched)", extra)):
        lines += ["", f"{title} ({len(rows)} messages), first {min(examples, len(rows))}:", ""]
        for s in rows[:examples]:
            want = " ".join(f"[{k}: {v}]" for k, v in s.item["remember"]) or "nothing"
            kept = " ".join(f"[{k}: {v}]" for k, v in s.stored) if s.stored is not None else s.raw
            lines.append(f"- {s.item['message']!r} → `{kept or '(nothing)'}` (written: {want})")
    return "\n".join(lines)


def median_tokens(scored: list[Scored]) -> float:
    return statistics.median(len(s.raw) for s in scored) if scored else 0.0

"""Relative day words ("오늘", "내일", "yesterday", …): finding them in a text and naming a day relative to today.

Korean words match anywhere; English words match whole words, any case.
"""
from __future__ import annotations

import re
from datetime import date

# Relative day words -> offset in days, and the word naming each offset.
KO_DAYS = {"그저께": -2, "그제": -2, "어제": -1, "오늘": 0, "내일": 1, "모레": 2}
EN_DAYS = {"yesterday": -1, "today": 0, "tonight": 0, "tomorrow": 1}
KO_WORD = {-2: "그저께", -1: "어제", 0: "오늘", 1: "내일", 2: "모레"}
EN_WORD = {-1: "yesterday", 0: "today", 1: "tomorrow"}
_DAY_RE = re.compile("(" + "|".join(sorted(KO_DAYS, key=len, reverse=True)) + r")|\b("
                     + "|".join(EN_DAYS) + r")\b", re.IGNORECASE)


def day_offset(text: str) -> tuple[int | None, re.Match | None]:
    """The first relative day word in `text` and its offset in days, or (None, None)."""
    m = _DAY_RE.search(text)
    if not m:
        return None, None
    word = m.group(0)
    return (KO_DAYS[word] if m.group(1) else EN_DAYS[word.lower()]), m


def day_offsets(text: str) -> set[int]:
    """Every day offset the relative day words in `text` name ("내일 … 오늘 저녁부터" -> {1, 0})."""
    return {KO_DAYS[m.group(0)] if m.group(1) else EN_DAYS[m.group(0).lower()] for m in _DAY_RE.finditer(text)}


def without_day_word(text: str, match: re.Match) -> str:
    """`text` without the day word `match` (from `day_offset`), spaces normalized."""
    return " ".join((text[:match.start()] + text[match.end():]).split())


def as_of(text: str, about: date, today: date) -> str:
    """`text`'s day word rewritten for `today`: written yesterday, "내일" (about today) reads "오늘"; a day no
    word names reads as its ISO date. The text must hold a day word (`day_offset`)."""
    _, m = day_offset(text)
    delta = (about - today).days
    word = (KO_WORD if m.group(1) else EN_WORD).get(delta)
    if word is None:
        word = about.isoformat()
    elif m.group(0)[:1].isupper():
        word = word.capitalize()
    return text[:m.start()] + word + text[m.end():]

"""The four roles' output formats, and validation: model output is checked, never trusted."""
from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta

from dialogue.interfaces import EYE_LEVELS, HEAD_LEVELS, MOUTH_LEVELS, Expression
from dialogue.prompting import MONTHS_EN, PROMPT_MARKERS, WEEKDAYS_EN, WEEKDAYS_KO, language_of

log = logging.getLogger(__name__)

_MEMORY_ITEM = re.compile(r"\[([^\[\]:\n]{1,40}):\s*([^\[\]\n]{1,80})\]")  # "[key: value]"
_MEMORY = re.compile(rf"^{_MEMORY_ITEM.pattern}$")
# "eyes / mouth / head", e.g. "wide / normal / slightly left": 5-8 tokens, decoded after every answer
_EXPRESSION = re.compile(r"^([a-z ]+?)\s*/\s*([a-z ]+?)\s*/\s*([a-z ]+?)$")


def format_expression(eyes: str, mouth: str, head: str) -> str:
    return f"{eyes} / {mouth} / {head}"


def parse_memory(text: str) -> tuple[str, str] | None:
    """'[key: value]' -> (key, value); anything else (including empty) -> None."""
    m = _MEMORY.match(text.strip())
    if not m or not m.group(1).strip() or not m.group(2).strip():
        return None
    return m.group(1).strip(), m.group(2).strip()


def parse_memories(text: str) -> list[tuple[str, str]] | None:
    """'[name: Jane] [job: nurse]' -> [(key, value), ...]; [] for empty text; None when the text is anything
    else than such items separated by spaces or new lines (the whole output is then distrusted)."""
    text = text.strip()
    if not text:
        return []
    items = [(m.group(1).strip(), m.group(2).strip()) for m in _MEMORY_ITEM.finditer(text)]
    if not items or _MEMORY_ITEM.sub("", text).strip() or any(not k or not v for k, v in items):
        return None
    return items


def parse_expression(text: str) -> Expression | None:
    m = _EXPRESSION.match(text.strip())
    if not m:
        return None
    eyes, mouth, head = (g.strip() for g in m.groups())
    if eyes not in EYE_LEVELS or mouth not in MOUTH_LEVELS or head not in HEAD_LEVELS:
        return None
    return Expression(eyes=eyes, mouth=mouth, head=head)


def expression_or_neutral(text: str) -> Expression:
    """The parsed expression, or neutral with a logged warning."""
    expr = parse_expression(text)
    if expr is None:
        log.warning("expression role wrote %r, which is not a known level set; using neutral", text[:80])
        return Expression()
    return expr


def clean_summary(text: str) -> str:
    """One line, no markers; empty when the model wrote nothing usable."""
    line = text.strip().splitlines()[0] if text.strip() else ""
    return "" if any(m in line for m in PROMPT_MARKERS) else line[:200]


# --- answers -------------------------------------------------------------------------------------------

FALLBACK = {
    "ko": "음, 방금은 말이 잘 안 나왔어. 한 번만 다시 말해 줄래? 😊",
    "en": "Hmm, my words got tangled just now. Could you say that once more? 😊",
}
TOO_LONG = {
    "ko": "우와, 메시지가 너무 길어서 내가 한 번에 다 읽기 어려워! 조금만 짧게 나눠서 말해 줄래? 😊",
    "en": "Whoa, that message is too long for me to read in one go! Could you split it into shorter parts? 😊",
}

_DATE_KO = re.compile(r"(\d{1,2})월\s*(\d{1,2})일")
_DATE_EN = re.compile(r"\b(" + "|".join(MONTHS_EN) + r")\s+(\d{1,2})\b")


def _repeats(text: str) -> bool:
    # the same 6+ character chunk three times, or one sentence said twice, is a degenerate loop
    if re.search(r"(.{6,}?)\1\1", text):
        return True
    sentences = [s.strip() for s in re.split(r"[.!?。\n]+", text) if len(s.strip()) > 8]
    return len(sentences) != len(set(sentences))


def _allowed_days(now: datetime, message: str, memory: str) -> set[datetime]:
    days = {now, now + timedelta(days=1), now - timedelta(days=1)}
    return days


def answer_problem(answer: str, message: str, now: datetime, context: str = "", final: bool = True) -> str | None:
    """Why an answer must not be shown (None when it is fine): empty, repeating, leaking prompt markers,
    or naming a weekday/date that contradicts the clock; when `final`, also in the wrong language (a
    beginning such as "ENTJ, …" is not yet an English answer to a Korean message)."""
    text = answer.strip()
    if not text:
        return "empty"
    if any(m in text for m in PROMPT_MARKERS):
        return "leaks prompt markers"
    if _repeats(text):
        return "repeats itself"
    if len(text) > 400:
        return "too long"
    seen = message + " " + context
    ok_days = {now.weekday(), (now.weekday() + 1) % 7, (now.weekday() - 1) % 7}
    for names in (WEEKDAYS_KO, WEEKDAYS_EN):
        for i, name in enumerate(names):
            if name in text and i not in ok_days and name not in seen:
                return f"claims weekday {name}"
    ok_dates = {(d.month, d.day) for d in (now, now + timedelta(days=1), now - timedelta(days=1))} | {(10, 11)}
    for m in _DATE_KO.finditer(text):
        if (int(m.group(1)), int(m.group(2))) not in ok_dates and m.group(0) not in seen:
            return f"claims date {m.group(0)}"
    for m in _DATE_EN.finditer(text):
        if (MONTHS_EN.index(m.group(1)) + 1, int(m.group(2))) not in ok_dates and m.group(0) not in seen:
            return f"claims date {m.group(0)}"
    if final and language_of(text) != language_of(message) and language_of(message) == "ko" \
            and not re.search("[가-힣]", text):
        return "wrong language"
    return None

"""The four roles' output formats, and validation: model output is checked, never trusted."""
from __future__ import annotations

import logging
import re
from datetime import date, datetime, timedelta

from dialogue.interfaces import Expression
from dialogue.prompting import MONTHS_EN, PROMPT_MARKERS, WEEKDAYS_EN, WEEKDAYS_KO, language_of
from weights.expression import EYE_LEVELS, HEAD_LEVELS, MOUTH_LEVELS

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


_NOTHING = re.compile(r"^\W*(none|nothing|n/?a|없음|없어|없습니다|기억할 ?것 ?없음)\W*$", re.IGNORECASE)


def parse_memories_lenient(text: str) -> list[tuple[str, str]] | None:
    """What a general chat model writes for the memory role: the items wherever they stand (bullets,
    numbering, a lead-in sentence or a code fence around them are ignored); [] for "NONE"/"없음"/nothing;
    None when there is neither an item nor a plain "nothing"."""
    text = text.strip().strip("`").strip()
    if not text or _NOTHING.match(text):
        return []
    items = [(k.strip(), v.strip()) for k, v in _MEMORY_ITEM.findall(text) if k.strip() and v.strip()]
    return items or None


def parse_expression_lenient(text: str) -> Expression | None:
    """A general chat model's expression: "Eyes: Wide, Mouth: small, Head: none" or "wide / small / none"
    with any case, quotes or trailing words; None unless all three levels are found."""
    low = text.strip().lower()
    labelled = [re.search(rf"\b{name}s?\W*(?:turn\W*)?({'|'.join(sorted(levels, key=len, reverse=True))})", low)
                for name, levels in (("eye", EYE_LEVELS), ("mouth", MOUTH_LEVELS), ("head", HEAD_LEVELS))]
    if all(labelled):
        return Expression(*(m.group(1) for m in labelled))
    parts = [p.strip(" \t\"'`.*") for p in low.splitlines()[0].split("/")] if low else []
    if len(parts) == 3 and parts[0] in EYE_LEVELS and parts[1] in MOUTH_LEVELS and parts[2] in HEAD_LEVELS:
        return Expression(*parts)
    return None


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
# The engine that holds her words (a remote LLM server) is down or too slow: said in character, the turn ends
# cleanly and the face keeps going.
ENGINE_DOWN = {
    "ko": "앗, 미안해! 지금 잠깐 생각이 멈춰 버렸어 😅 조금 있다가 다시 말 걸어 줄래?",
    "en": "Oops, sorry! My thoughts froze for a moment 😅 Could you talk to me again in a little while?",
}
# A beginning was shown but no continuation passed the validator: she closes it in her own words instead of
# stopping on a bare "…" (which reads as a broken answer) or contradicting what was shown.
CUT_SHORT = {
    "ko": "… 앗, 말이 꼬였어 😅",
    "en": "… oops, I lost my words there 😅",
}
TOO_LONG = {
    "ko": "우와, 메시지가 너무 길어서 내가 한 번에 다 읽기 어려워! 조금만 짧게 나눠서 말해 줄래? 😊",
    "en": "Whoa, that message is too long for me to read in one go! Could you split it into shorter parts? 😊",
}

_DATE_KO = re.compile(r"(\d{1,2})월\s*(\d{1,2})일")
_DATE_EN = re.compile(r"\b(" + "|".join(MONTHS_EN) + r")\s+(\d{1,2})(?:st|nd|rd|th)?\b")
_WEEKDAY = re.compile("|".join((*WEEKDAYS_KO, *WEEKDAYS_EN)))
# Words that make a date or weekday a claim about a day relative to now ("오늘은 3월 2일", "tomorrow is Sunday"),
# with that day's offset; her birthday's cue words make a date a claim about her birthday. A cue counts when it
# stands at most CUE_CHARS before the date or weekday in the same sentence.
_DAY_CUES = ((re.compile(r"오늘|지금|현재|\b(?:today|now|tonight)\b", re.IGNORECASE), 0),
             (re.compile(r"내일|\btomorrow\b", re.IGNORECASE), 1),
             (re.compile(r"어제|\byesterday\b", re.IGNORECASE), -1),
             (re.compile(r"모레"), 2))
# A message that asks which day it is ("오늘 무슨 요일이야?", "what's the date tomorrow?") makes the days of its answer
# claims about that day, cue or not ("월요일이야!").
_ASKS_DAY = re.compile(r"요일|며칠|몇\s?일|날짜|\b(?:what day|which day|date|weekday)\b", re.IGNORECASE)
_BIRTHDAY_CUE = re.compile(r"생일|태어|\b(?:birthday|born)\b", re.IGNORECASE)
CUE_CHARS = 16
HER_BIRTHDAY = (10, 11)


def _repeats(text: str) -> bool:
    # the same 6+ character chunk three times, or one sentence said twice, is a degenerate loop
    if re.search(r"(.{6,}?)\1\1", text):
        return True
    sentences = [s.strip() for s in re.split(r"[.!?。\n]+", text) if len(s.strip()) > 8]
    return len(sentences) != len(set(sentences))


def _before(text: str, start: int, chars: int = CUE_CHARS) -> str:
    """The text just before `start` within its sentence."""
    window = text[max(0, start - chars):start]
    return re.split(r"[.!?。\n]", window)[-1]


def _cued_offset(window: str) -> int | None:
    found = [(m.end(), offset) for cue, offset in _DAY_CUES for m in cue.finditer(window)]
    return max(found)[1] if found else None  # the nearest cue wins ("어제 말고 오늘은 …")


def _day_offset(text: str, start: int, asked: int | None) -> int | None:
    """The day a date or weekday at `start` is said to be, relative to today (None: no such claim); `asked`:
    the day the message asks about, for a date or weekday with no cue of its own."""
    offset = _cued_offset(_before(text, start))
    return asked if offset is None else offset


def _weekday_index(name: str) -> int:
    return WEEKDAYS_KO.index(name) if name in WEEKDAYS_KO else WEEKDAYS_EN.index(name)


def _nearest_date(month: int, day: int, now: datetime) -> date | None:
    """The month/day in whichever year puts it nearest to now (None: no such day)."""
    days = []
    for year in (now.year - 1, now.year, now.year + 1):
        try:
            days.append(date(year, month, day))
        except ValueError:
            pass
    return min(days, key=lambda d: abs(d - now.date())) if days else None


def calendar_problem(text: str, now: datetime, seen: str = "", message: str = "") -> str | None:
    """Why the days an answer names contradict the calendar or her birthday (None when they do not).

    Only claims are checked: a date or weekday said to be today, tomorrow or yesterday ("오늘은 3월 2일"), a
    date with its weekday ("Saturday, November 29"), and a date given as her birthday. Other dates are free: a
    holiday, a plan next week, the 100th day of something. Anything the message or the prompt's context says
    is never held against her; a day either side of a relative claim is allowed for time zones. When `message`
    asks which day it is, the answer's days are claims about that day.
    """
    asked = (_cued_offset(message) or 0) if _ASKS_DAY.search(message) else None
    dates = [(m.start(), m.end(), int(m.group(1)), int(m.group(2)), m.group(0)) for m in _DATE_KO.finditer(text)]
    dates += [(m.start(), m.end(), MONTHS_EN.index(m.group(1)) + 1, int(m.group(2)), m.group(0))
              for m in _DATE_EN.finditer(text)]
    for start, end, month, day, said in dates:
        if said in seen:
            continue
        if _BIRTHDAY_CUE.search(_before(text, start, CUE_CHARS + 8)):
            if (month, day) != HER_BIRTHDAY:
                return f"wrong birthday {said}"
            continue
        if (month, day) == HER_BIRTHDAY:
            continue
        offset = _day_offset(text, start, asked)
        if offset is not None:
            if all((month, day) != ((d := now + timedelta(days=offset + k)).month, d.day) for k in (-1, 0, 1)):
                return f"claims date {said}"
        paired = _WEEKDAY.search(text[max(0, start - 12):end + 6])  # "토요일 11월 29일", "November 29, Saturday"
        when = _nearest_date(month, day, now)
        if paired and when is not None and paired.group(0) not in seen \
                and _weekday_index(paired.group(0)) != when.weekday():
            return f"claims weekday {paired.group(0)} for {said}"
    for m in _WEEKDAY.finditer(text):
        if m.group(0) in seen:
            continue
        offset = _day_offset(text, m.start(), asked)
        if offset is None:
            continue
        if (_weekday_index(m.group(0)) - (now + timedelta(days=offset)).weekday()) % 7 not in (0, 1, 6):
            return f"claims weekday {m.group(0)}"
    return None


_BIRTHDAY_SLOT_EN = re.compile(r"(?:\b(?:birthday|born)\b(?: is| was| on| falls on)*|\bOctober|\bOct\.?)\s*$", re.IGNORECASE)
_BIRTHDAY_SLOT_KO = re.compile(r"(?:생일은|생일이|태어난 날은|10월)\s*$")


_DAY_SLOT_KO = re.compile(r"(오늘|내일|어제|모레)(?:은|는|이|도|이야|이|,)?\s*$")
_DAY_SLOT_EN = re.compile(r"\b(today|tomorrow|yesterday)(?: is| was|'s|,)?\s*$", re.IGNORECASE)
_SLOT_OFFSETS = {"오늘": 0, "내일": 1, "어제": -1, "모레": 2, "today": 0, "tomorrow": 1, "yesterday": -1}


def birthday_completion(shown: str) -> str | None:
    """The words that complete a shown beginning about to state her birthday ("… born on October" → "11"), or
    None: a retry continues from them instead of guessing the day again."""
    if _BIRTHDAY_SLOT_KO.search(shown):
        body = "11일" if re.search(r"10월\s*$", shown) else "10월 11일"
    elif _BIRTHDAY_SLOT_EN.search(shown):
        body = "11" if re.search(r"\b(?:October|Oct\.?)\s*$", shown, re.IGNORECASE) else "October 11"
    else:
        return None
    return _joined(shown, body)


def _joined(shown: str, body: str) -> str:
    return body if shown[-1:].isspace() or not shown else " " + body


def fact_completion(shown: str, problem: str, now: datetime) -> str | None:
    """What a retry writes first after the validator rejected a day she kept getting wrong: her birthday after
    "born on", or the real date or weekday after "오늘은" / "tomorrow is"; None when the shown text does not end
    where that fact goes (the retry then samples again)."""
    if problem.startswith("wrong birthday"):
        return birthday_completion(shown)
    if not problem.startswith(("claims date", "claims weekday")):
        return None
    slot = _DAY_SLOT_KO.search(shown) or _DAY_SLOT_EN.search(shown)
    if slot is None:
        return None
    day = now + timedelta(days=_SLOT_OFFSETS[slot.group(1).lower()])
    korean = slot.re is _DAY_SLOT_KO
    if problem.startswith("claims date"):
        body = f"{day.month}월 {day.day}일" if korean else f"{MONTHS_EN[day.month - 1]} {day.day}"
    else:
        body = (WEEKDAYS_KO if korean else WEEKDAYS_EN)[day.weekday()]
    return _joined(shown, body)


def answer_problem(answer: str, message: str, now: datetime, context: str = "", final: bool = True) -> str | None:
    """Why an answer must not be shown (None when it is fine): empty, repeating, leaking prompt markers,
    or naming a day that contradicts the clock or her birthday (`calendar_problem`); when `final`, also in the
    wrong language (a
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
    problem = calendar_problem(text, now, message + " " + context, message)
    if problem:
        return problem
    if final and language_of(text) != language_of(message) and language_of(message) == "ko" \
            and not re.search("[가-힣]", text):
        return "wrong language"
    return None

"""The four roles' output formats, and validation: model output is checked, never trusted."""
from __future__ import annotations

import logging
import re
from datetime import date, datetime, timedelta

from dialogue.interfaces import Expression
from dialogue.prompting import BIRTHDAY, MONTHS_EN, PROMPT_MARKERS, WEEKDAYS_EN, WEEKDAYS_KO, age_on, language_of
from weights.expression import EYE_LEVELS, HEAD_LEVELS, MOUTH_LEVELS

log = logging.getLogger(__name__)

_MEMORY_ITEM = re.compile(r"\[([^\[\]:\n]{1,40}):\s*([^\[\]\n]{1,80})\]")  # "[key: value]"
_MEMORY = re.compile(rf"^{_MEMORY_ITEM.pattern}$")
_CUT_ITEM = re.compile(r"(?<=\])\s*\[[^\]]*$")  # a last item the token budget cut off, after complete ones
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
    """'[name: Jane] [job: nurse]' -> [(key, value), ...] without repeats; [] for empty text; None when the text
    is anything else than such items separated by spaces or new lines (the whole output is then distrusted).
    An item cut off at the end ("… [job goal: s", the role's token budget ran out) is dropped and the complete
    ones before it are kept: on the validation messages that recovered 5 points of fact recall."""
    text = _CUT_ITEM.sub("", text.strip()).rstrip()
    if not text:
        return []
    items = [(m.group(1).strip(), m.group(2).strip()) for m in _MEMORY_ITEM.finditer(text)]
    if not items or _MEMORY_ITEM.sub("", text).strip() or any(not k or not v for k, v in items):
        return None
    return list(dict.fromkeys(items))


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
# A date or weekday is a claim about a day relative to now when a cue stands right before it ("오늘은 3월 2일",
# "tomorrow is Sunday", "내일 12월 5일"), with that day's offset.
_DAY_OFFSETS = {"오늘": 0, "지금": 0, "현재": 0, "내일": 1, "어제": -1, "모레": 2,
                "today": 0, "now": 0, "tonight": 0, "tomorrow": 1, "yesterday": -1}
_CUE_BEFORE = re.compile(r"(?:(오늘|지금|현재|내일|어제|모레)(?:은|는|이|이야|가|도)?\s*(?:날짜는|날짜가|요일은|요일이)?|"
                         r"\b(today|now|tonight|tomorrow|yesterday)(?:'s| is| was| will be)?)\s*(?:the\s+)?$",
                         re.IGNORECASE)
# A message that asks which day today, tomorrow or yesterday is ("오늘 무슨 요일이야?", "what's the date tomorrow?")
# makes the days of its answer claims about that day, cue or not ("월요일이야!").
_ASKS_DAY = re.compile(r"무슨\s?요일|몇\s?요일|며칠|몇\s?일|날짜|\b(?:what day|which day|what date|the date)\b",
                       re.IGNORECASE)
_MESSAGE_CUE = re.compile(r"오늘|지금|내일|어제|모레|\b(?:today|now|tonight|tomorrow|yesterday)\b", re.IGNORECASE)
_WEEKDAY = re.compile("|".join((*WEEKDAYS_KO, *WEEKDAYS_EN)))
_WEEKDAY_AFTER = re.compile(r"\s*,?\s*(" + "|".join((*WEEKDAYS_KO, *WEEKDAYS_EN)) + ")")
_WEEKDAY_BEFORE = re.compile("(" + "|".join((*WEEKDAYS_KO, *WEEKDAYS_EN)) + r")\s*,?\s*(?:the\s+)?$")
# A date is given as her birthday when these words stand just before it, unless they are about someone else's.
_BIRTHDAY_CUE = re.compile(r"생일|태어|\b(?:birthday|born)\b", re.IGNORECASE)
_SOMEONE_ELSES = re.compile(r"\b(?:your|you|yours|his|her|their|mom'?s|dad'?s|brother'?s|sister'?s|friend'?s)\b|"
                            r"너|네|당신|엄마|아빠|동생|친구|언니|오빠|누나|형|님", re.IGNORECASE)
CUE_CHARS = 16
HER_BIRTHDAY = (BIRTHDAY.month, BIRTHDAY.day)
HER_MBTI = "ENTJ"


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


def _cued_offset(text: str, start: int) -> int | None:
    """The day a date or weekday at `start` is said to be, relative to today, from a cue right before it."""
    m = _CUE_BEFORE.search(_before(text, start, 24))
    return None if m is None else _DAY_OFFSETS[(m.group(1) or m.group(2)).lower()]


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


def _dates(text: str) -> list[tuple[int, int, int, int, str]]:
    """(start, end, month, day, as written) of every date in the text, Korean and English."""
    found = [(m.start(), m.end(), int(m.group(1)), int(m.group(2)), m.group(0)) for m in _DATE_KO.finditer(text)]
    found += [(m.start(), m.end(), MONTHS_EN.index(m.group(1)) + 1, int(m.group(2)), m.group(0))
              for m in _DATE_EN.finditer(text)]
    return found


def calendar_problem(text: str, now: datetime, seen: str = "", message: str = "") -> str | None:
    """Why the days an answer names contradict the calendar or her birthday (None when they do not).

    Only claims are checked: a date or weekday said to be today, tomorrow or yesterday ("오늘은 3월 2일"), a
    date with its weekday ("Saturday, November 29"), and a date given as her birthday. Other dates are free: a
    holiday, a plan next week, the 100th day of something. A date the message or the prompt's context gives
    (the user's birthday in a memory) is never held against her; a day either side of a relative claim is
    allowed for time zones. When `message` asks which day today (tomorrow, yesterday) is, the answer's days
    are claims about that day.
    """
    asked = None
    if _ASKS_DAY.search(message) and (cue := _MESSAGE_CUE.search(message)):
        asked = _DAY_OFFSETS[cue.group(0).lower()]
    known = {(month, day) for _, _, month, day, _ in _dates(seen)}
    for start, end, month, day, said in _dates(text):
        if (month, day) in known:
            continue
        window = _before(text, start, CUE_CHARS + 8)
        if _BIRTHDAY_CUE.search(window) and not _SOMEONE_ELSES.search(window):
            if (month, day) != HER_BIRTHDAY:
                return f"wrong birthday {said}"
            continue
        if (month, day) == HER_BIRTHDAY:
            continue
        offset = _cued_offset(text, start)
        offset = asked if offset is None else offset
        if offset is not None:
            if all((month, day) != ((d := now + timedelta(days=offset + k)).month, d.day) for k in (-1, 0, 1)):
                return f"claims date {said}"
        paired = _WEEKDAY_AFTER.match(text, end) or _WEEKDAY_BEFORE.search(text[:start])
        when = _nearest_date(month, day, now)
        if paired and when is not None and paired.group(1) not in seen \
                and _weekday_index(paired.group(1)) != when.weekday():
            return f"claims weekday {paired.group(1)} for {said}"
    for m in _WEEKDAY.finditer(text):
        if m.group(0) in seen:
            continue
        offset = _cued_offset(text, m.start())
        if offset is None and asked is not None and not _dates(_before(text, m.start(), 24)):
            offset = asked
        if offset is None:
            continue
        if (_weekday_index(m.group(0)) - (now + timedelta(days=offset)).weekday()) % 7 not in (0, 1, 6):
            return f"claims weekday {m.group(0)}"
    return None


# Her age, birth year and MBTI as she states them about herself ("I'm 25!", "나는 올해 만 24살이야", "나 INFP야").
_AGE_CLAIMS_EN = re.compile(r"\b(I'm|I am|I'll be|I will be|I turned|I just turned|I'm turning)\s+(\d{1,2})"
                            r"(?=\s*(?:years?\b|yrs?\b|[!.,?~]|$|\s+(?:now|this|and|but|so|already)\b))", re.IGNORECASE)
_AGE_KO = re.compile(r"(?:만\s*)?(\d{1,2})\s*(?:살|세)(?!\s*(?:때|쯤|이하|이상|미만|차이|이었|였))")
_BIRTH_YEAR = re.compile(r"(?<!\d)(\d{4}|\d{2})\s*년생|\bI was born in (\d{4})\b", re.IGNORECASE)
_MBTI_CLAIMS = re.compile(r"(?:\b(?:I'm an?|I am an?|I'm|my MBTI is|my type is)\s+|(?:나는|난|나|저는|내 MBTI는|제 MBTI는)\s*)"
                          r"([EI][NS][TF][JP])(?![A-Za-z])", re.IGNORECASE)
_INTROVERT_CLAIMS = re.compile(r"\bI'm (?:an |more of an |kind of an |a bit of an )?introvert|(?:나는|난|저는)([^.!?\n]{0,24}?)"
                               r"(?:내향형|내향적|극I|I형)", re.IGNORECASE)
# In Korean an age or birth year is hers unless its clause is about someone else ("너는 25살이구나", "동생은 17살").
_SOMEONE_ELSE_KO = re.compile(r"(?<![가-힣])(?:너|넌|네가|당신|동생|남동생|언니|오빠|누나|형|엄마|아빠|친구|사람|애)|님")


_FIRST_PERSON_KO = re.compile(r"나는|난|나도|저는|저도|내 나이|제 나이")


def _hers(text: str, start: int) -> bool:
    return not _SOMEONE_ELSE_KO.search(_before(text, start, 12))


# Her age and birth year are checked only in answers to a message about her age: elsewhere a number of years is
# mostly someone else's (a nephew, a pet, the user).
_ASKS_AGE = re.compile(r"나이|몇 ?살|살이야|살이에요|연세|년생|언니|누나|오빠|동생|만으로|몇이야|"
                       r"\b(?:age|how old|years old|older|younger|born|what year|twenties|teen)", re.IGNORECASE)


def persona_problem(text: str, now: datetime, seen: str = "", message: str = "") -> str | None:
    """Why an answer misstates her own age, birth year or MBTI (None when it does not): the facts she knows
    are not left to the model's guess. Ages and years the message or context give (the user's own) are not hers."""
    if not _ASKS_AGE.search(message):
        return _mbti_problem(text)
    age = age_on(now.date())
    for m in _AGE_CLAIMS_EN.finditer(text):
        allowed = {age, age + 1} if re.search(r"will|'ll|turning", m.group(1), re.IGNORECASE) else {age}
        if int(m.group(2)) not in allowed:  # "I'm 25" is hers even when the user just said they are 25
            return f"wrong age {m.group(2)}"
    for m in _AGE_KO.finditer(text):
        said = int(m.group(1))
        # "만 N살" is her age in full years; without 만, 연 나이 and 세는 나이 are hers too
        allowed = {age} if m.group(0).startswith("만") else {age, now.year - BIRTHDAY.year, now.year - BIRTHDAY.year + 1}
        if re.match(r"\s*(?:이\s*)?(?:돼|될|되)", text[m.end():]):  # the age she turns next ("만 22살 돼!")
            allowed.add(age + 1)
        echoed = m.group(1) in seen and not _FIRST_PERSON_KO.search(_before(text, m.start(), 12))  # "25살이구나!"
        if not echoed and _hers(text, m.start()) and said not in allowed:
            return f"wrong age {said}"
    for m in _BIRTH_YEAR.finditer(text):
        said = m.group(1) or m.group(2)
        if said not in seen and _hers(text, m.start()) and int(said) not in (BIRTHDAY.year, BIRTHDAY.year % 100):
            return f"wrong birth year {said}"
    return _mbti_problem(text)


def _mbti_problem(text: str) -> str | None:
    for m in _MBTI_CLAIMS.finditer(text):
        if m.group(1).upper() != HER_MBTI:
            return f"wrong MBTI {m.group(1)}"
    for m in _INTROVERT_CLAIMS.finditer(text):
        if not (m.group(1) and _SOMEONE_ELSE_KO.search(m.group(1))):  # "나는 네가 내향형인 줄 알았어" is not about her
            return "wrong MBTI introvert"
    return None


_BIRTHDAY_SLOT_EN = re.compile(r"(?:\b(?:birthday|born)\b(?: is| was| on| falls on)*|\bOctober|\bOct\.?)\s*$", re.IGNORECASE)
_BIRTHDAY_SLOT_KO = re.compile(r"(?:생일은|생일이|태어난 날은|10월)\s*$")


_DAY_SLOT_KO = re.compile(r"(오늘|내일|어제|모레)(?:은|는|이|도|이야|이|,)?\s*$")
_DAY_SLOT_EN = re.compile(r"\b(today|tomorrow|yesterday)(?: is| was|'s|,)?\s*$", re.IGNORECASE)


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


_AGE_SLOT_EN = re.compile(r"\b(?:I'm|I am)\s*$", re.IGNORECASE)
_AGE_SLOT_KO = re.compile(r"(?:나는|난|저는|나이는|올해|지금은?|만)\s*$")
_BIRTH_YEAR_SLOT = re.compile(r"(\bborn in|나는|난|저는)\s*$", re.IGNORECASE)
_MBTI_SLOT = re.compile(r"(?:\b(?:I'm an?|I am an?|my MBTI is|my type is)|(?:나는|난|나|저는|내 MBTI는|제 MBTI는))\s*$",
                        re.IGNORECASE)


def fact_completion(shown: str, problem: str, now: datetime) -> str | None:
    """What a retry writes first after the validator rejected one of her facts the model kept getting wrong: her
    birthday after "born on", her age after "I'm", her MBTI after "나는", the real date or weekday after "오늘은" /
    "tomorrow is"; None when the shown text does not end where that fact goes (the retry then samples again)."""
    if problem.startswith("wrong birthday"):
        return birthday_completion(shown)
    if problem.startswith("wrong age"):
        if _AGE_SLOT_EN.search(shown):
            return _joined(shown, str(age_on(now.date())))
        return _joined(shown, f"{age_on(now.date())}살") if _AGE_SLOT_KO.search(shown) else None
    if problem.startswith("wrong birth year"):
        if re.search(r"(?:올해|지금은?|만)\s*$", shown):  # "나는 올해 " goes on with her age
            return _joined(shown, f"{age_on(now.date())}살")
        slot = _BIRTH_YEAR_SLOT.search(shown)
        if slot is None:
            return None
        return _joined(shown, str(BIRTHDAY.year) if slot.group(1).lower() == "born in" else f"{BIRTHDAY.year}년생")
    if problem.startswith("wrong MBTI") and not problem.endswith("introvert"):
        return _joined(shown, HER_MBTI) if _MBTI_SLOT.search(shown) else None
    if not problem.startswith(("claims date", "claims weekday")):
        return None
    slot = _DAY_SLOT_KO.search(shown) or _DAY_SLOT_EN.search(shown)
    if slot is None:
        return None
    day = now + timedelta(days=_DAY_OFFSETS[slot.group(1).lower()])
    korean = slot.re is _DAY_SLOT_KO
    if problem.startswith("claims date"):
        body = f"{day.month}월 {day.day}일" if korean else f"{MONTHS_EN[day.month - 1]} {day.day}"
    else:
        body = (WEEKDAYS_KO if korean else WEEKDAYS_EN)[day.weekday()]
    return _joined(shown, body)


def answer_problem(answer: str, message: str, now: datetime, context: str = "", final: bool = True) -> str | None:
    """Why an answer must not be shown (None when it is fine): empty, repeating, leaking prompt markers,
    or naming a day that contradicts the clock or her birthday (`calendar_problem`), or misstating her age, birth
    year or MBTI (`persona_problem`); when `final`, also in the
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
    problem = (calendar_problem(text, now, message + " " + context, message)
               or persona_problem(text, now, message + " " + context, message))
    if problem:
        return problem
    if final and language_of(text) != language_of(message) and language_of(message) == "ko" \
            and not re.search("[가-힣]", text):
        return "wrong language"
    return None

"""What the memory role stores, checked against the message it came from.

The role turns "다음주 월요일에 이사해" into a date itself, and a 270M model counts days badly: on the validation
writers' messages more than half of the dates it wrote were wrong ("2026년 3월 1일" for the Monday after
2026-02-04), and Korean age words came out as other numbers ("스물세살" → "38살"). The day a message names
relative to its turn ("담주 금요일", "next friday", "다음달 7일", "지난달") and an age it states are worked out
here, and the stored item is made to agree: its date is replaced by the one the message names, relative words
it copied ("[다음 주 목요일 일정: 면접]", wrong a week later) by that date, an age by the message's, and an item
holding a number the message never gave (an age no one stated, "27278888" as a phone number) is dropped.
Relative day words alone ("[내일 일정: 치과]") stay: the memory store rewrites them for the day they are read.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from dialogue.day_words import day_offsets
from dialogue.prompting import MONTHS_EN, WEEKDAYS_EN, WEEKDAYS_KO

__all__ = ["Named", "named_time", "stated_ages", "checked_memories"]

_KO_DAY = "월화수목금토일"
_EN_DAY = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class Named:
    """What a message names relative to its turn: a day, the Monday of a week, the Saturday of a weekend, or the
    first day of a month."""

    day: date
    unit: str  # "day" | "week" | "weekend" (its Saturday) | "month"

    def text(self, lang: str) -> str:
        d = self.day
        if self.unit == "month":
            return f"{d.year}년 {d.month}월" if lang == "ko" else f"{MONTHS_EN[d.month - 1]} {d.year}"
        if self.unit == "weekend":
            return (f"{d.year}년 {d.month}월 {d.day}일 주말" if lang == "ko"
                    else f"the weekend of {MONTHS_EN[d.month - 1]} {d.day}, {d.year}")
        if self.unit == "week":
            return (f"{d.year}년 {d.month}월 {d.day}일 주" if lang == "ko"
                    else f"the week of {MONTHS_EN[d.month - 1]} {d.day}, {d.year}")
        return (f"{d.year}년 {d.month}월 {d.day}일 {WEEKDAYS_KO[d.weekday()]}" if lang == "ko"
                else f"{WEEKDAYS_EN[d.weekday()]}, {MONTHS_EN[d.month - 1]} {d.day}, {d.year}")


def _month_start(day: date, shift: int) -> date:
    y, m = divmod(day.year * 12 + day.month - 1 + shift, 12)
    return date(y, m + 1, 1)


_KO_WEEK = r"(?P<week>이번\s?주|금주|다다음\s?주|(?<!다)다음\s?주|담\s?주|차주|지지난\s?주|(?<!지)지난\s?주|저번\s?주)"
_KO_WEEKDAY = re.compile(rf"(?:{_KO_WEEK}\s*)?(?<!매주 )(?<![가-힣])(?P<wd>[{_KO_DAY}])요일(?!마다)")
_KO_WEEK_ONLY = re.compile(_KO_WEEK + r"(?!\s*[월화수목금토일]요일|말)")
_KO_WEEKEND = re.compile(r"(?P<week>이번|다다음|(?<!다)다음|담|지지난|(?<!지)지난|저번)\s?주말")
_KO_MONTH = re.compile(r"(?P<rel>이번\s?달|이달|다다음\s?달|(?<!다)다음\s?달|담\s?달|(?<!지)지난\s?달|저번\s?달)(?:\s*(?P<d>\d{1,2})\s?일)?")
_EN_WEEKDAY = re.compile(r"(?<!every )\b(?:(?P<rel>this|next|last)\s+)?(?P<wd>" + "|".join(_EN_DAY) + r")\b(?!s)",
                         re.IGNORECASE)
_EN_WEEK = re.compile(r"\b(?P<rel>this|next|last)\s+week\b", re.IGNORECASE)
_EN_WEEKEND = re.compile(r"\b(?P<rel>this|next|last)\s+weekend\b", re.IGNORECASE)
_EN_MONTH = re.compile(r"\b(?P<rel>this|next|last)\s+month\b", re.IGNORECASE)
_MONTH_NAMES = "|".join(MONTHS_EN)
_ABSOLUTE = re.compile(rf"\d{{1,2}}\s?월|\b\d{{1,2}}/\d{{1,2}}\b|\b(?:{_MONTH_NAMES})\s+\d{{1,2}}\b"
                       rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{_MONTH_NAMES})\b", re.IGNORECASE)
_WEEK_SHIFT = {"다다음": 14, "지지난": -14, "이번": 0, "금주": 0, "다음": 7, "담": 7, "차주": 7, "지난": -7, "저번": -7}


def _week_shift(word: str) -> int:
    return next(v for k, v in _WEEK_SHIFT.items() if word.startswith(k))


def _next_weekday(today: date, idx: int) -> date:
    """The next day (after today) that is weekday `idx` (Monday 0)."""
    return today + timedelta(days=(idx - today.weekday() - 1) % 7 + 1)


def _last_weekday(today: date, idx: int) -> date:
    """The last day (before today) that was weekday `idx`."""
    return today - timedelta(days=(today.weekday() - idx - 1) % 7 + 1)


def named_time(message: str, today: date) -> Named | None:
    """The one day, week or month `message` names relative to `today`, or None when it names none or several
    different ones (then no stored date is touched). A weekday alone is the next one to come; "next friday"
    is the Friday of next week; "매주 월요일", "every monday" name no one day."""
    if _ABSOLUTE.search(message):  # "4월 둘째주 토요일", "on May 3rd": the weekday belongs to that date
        return None
    found: set[Named] = set()
    monday = today - timedelta(days=today.weekday())
    for m in _KO_WEEKDAY.finditer(message):
        idx = _KO_DAY.index(m.group("wd"))
        if m.group("week"):
            found.add(Named(monday + timedelta(days=_week_shift(m.group("week")) + idx), "day"))
        else:
            found.add(Named(_next_weekday(today, idx), "day"))
    for m in _KO_WEEK_ONLY.finditer(message):
        found.add(Named(monday + timedelta(days=_week_shift(m.group("week"))), "week"))
    for m in _KO_WEEKEND.finditer(message):
        found.add(Named(monday + timedelta(days=_week_shift(m.group("week")) + 5), "weekend"))
    for m in _KO_MONTH.finditer(message):
        rel = m.group("rel")
        first = _month_start(today, 0 if rel.startswith(("이번", "이달")) else 2 if rel.startswith("다다음")
                             else 1 if rel.startswith(("다음", "담")) else -1)
        if m.group("d"):
            try:
                found.add(Named(first.replace(day=int(m.group("d"))), "day"))
            except ValueError:  # "다음 달 31일" in a 30-day month: no day to name
                return None
        else:
            found.add(Named(first, "month"))
    for m in _EN_WEEKDAY.finditer(message):
        idx = _EN_DAY.index(m.group("wd").lower())
        rel = (m.group("rel") or "").lower()
        if rel == "next":
            found.add(Named(monday + timedelta(days=7 + idx), "day"))
        elif rel == "last":
            found.add(Named(_last_weekday(today, idx), "day"))
        else:
            found.add(Named(_next_weekday(today, idx), "day"))
    for m in _EN_WEEK.finditer(message):
        found.add(Named(monday + timedelta(days={"this": 0, "next": 7, "last": -7}[m.group("rel").lower()]), "week"))
    for m in _EN_WEEKEND.finditer(message):
        found.add(Named(monday + timedelta(days={"this": 5, "next": 12, "last": -2}[m.group("rel").lower()]), "weekend"))
    for m in _EN_MONTH.finditer(message):
        found.add(Named(_month_start(today, {"this": 0, "next": 1, "last": -1}[m.group("rel").lower()]), "month"))
    if not found:
        found = {Named(today + timedelta(days=offset), "day") for offset in day_offsets(message)}
    return found.pop() if len(found) == 1 else None


# A date as the role writes one: "2025년 7월 22일 (화)", "2025년 7월 22일 화요일", "2025년 9월",
# "Saturday, August 26, 2025", "July 11, 2025", "2025-07-11".
_KO_DATE = re.compile(rf"(?:\d{{4}}년\s*)?\d{{1,2}}월(?:\s*\d{{1,2}}일)?(?:\s*\(?[{_KO_DAY}]\)?(?:요일)?(?![가-힣]))?")
_EN_DATE = re.compile(r"(?:(?:" + "|".join(d.capitalize() for d in _EN_DAY) + r"),?\s+)?\b(?:" + "|".join(MONTHS_EN)
                      + r")(?:\s+\d{1,2}(?:st|nd|rd|th)?\b(?:,?\s+\d{4})?|\s+\d{4})")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _dated(value: str) -> re.Match | None:
    return _ISO_DATE.search(value) or _KO_DATE.search(value) or _EN_DATE.search(value)


def _agrees(written: str, named: Named) -> bool:
    """Whether a date as the role wrote it says what `named` says (to its precision: "2025년 9월" agrees with a
    day in September; a day agrees with a named week it falls in, not with a named month)."""
    month = next((i + 1 for i, name in enumerate(MONTHS_EN) if name in written), None)
    nums = [int(n) for n in re.findall(r"\d+", written)]
    year = next((n for n in nums if n >= 1000), None)
    if month is None:
        small = [n for n in nums if n < 1000]
        month, day = (small + [None, None])[:2]
    else:
        day = next((n for n in nums if n < 1000), None)
    d = named.day
    if month != d.month or (year is not None and year != d.year):
        return named.unit == "week" and day is not None and _in_week(year or d.year, month, day, d)
    if day is None:
        return True
    if named.unit == "weekend":
        return day in (d.day, (d + timedelta(days=1)).day)
    return named.unit == "day" and day == d.day or named.unit == "week" and _in_week(year or d.year, month, day, d)


def _in_week(year: int, month: int | None, day: int, monday: date) -> bool:
    try:
        return month is not None and 0 <= (date(year, month, day) - monday).days < 7
    except ValueError:
        return False


_KO_TENS = {"스무": 20, "스물": 20, "서른": 30, "마흔": 40, "쉰": 50, "예순": 60, "일흔": 70, "여든": 80, "아흔": 90, "열": 10}
_KO_ONES = {"하나": 1, "한": 1, "둘": 2, "두": 2, "셋": 3, "세": 3, "넷": 4, "네": 4, "다섯": 5, "여섯": 6, "일곱": 7,
            "여덟": 8, "아홉": 9}
_KO_AGE = re.compile("(?P<tens>" + "|".join(_KO_TENS) + ")(?P<ones>" + "|".join(sorted(_KO_ONES, key=len, reverse=True))
                     + r")?\s?살")
_DIGIT_AGE = re.compile(r"(?<!\d)(?P<n>\d{1,3})\s?(?:살|세(?!기)|years? old|yo\b|y/o)", re.IGNORECASE)
_EN_SELF_AGE = re.compile(r"\b(?:i'?m|i am|im|turned|turning|age|aged)\s+(?P<n>\d{1,2})\b|(?:^|,\s*)(?P<m>\d{2})(?=\s*(?:,|$|and\b|\.))",
                          re.IGNORECASE)


def stated_ages(message: str) -> set[int]:
    """The ages a message states ("스물세살", "서른일곱살", "34살", "I'm 34", "…, 27")."""
    ages = {(_KO_TENS[m.group("tens")] + (_KO_ONES[m.group("ones")] if m.group("ones") else 0)) for m in _KO_AGE.finditer(message)}
    ages |= {int(m.group("n")) for m in _DIGIT_AGE.finditer(message)}
    ages |= {int(m.group("n") or m.group("m")) for m in _EN_SELF_AGE.finditer(message)}
    return ages


# The words that name a time relative to the turn, as the role copies them into a key or a value ("다음 주 목요일
# 일정", "job interview next Monday"): stored as they are, they would be wrong a week later.
_RELATIVE = re.compile(r"(?:이번|다다음|다음|담|지지난|지난|저번)\s?(?:주말|주|달)(?:\s*\d{1,2}\s?일)?(?:\s*[월화수목금토일]요일)?(?:에|부터|까지)?"
                       r"|금주|이달|(?<![가-힣])[월화수목금토일]요일(?:에|부터|까지)?"
                       r"|\b(?:(?:this|next|last|on)\s+)?(?:week(?:end)?|month|" + "|".join(_EN_DAY) + r")\b",
                       re.IGNORECASE)
_EN_BARE = re.compile(r"^(?:week(?:end)?|month)$", re.IGNORECASE)


def _relative_spans(text: str) -> list[re.Match]:
    """Relative time words in `text`, leaving alone a weekday that belongs to a written date."""
    date_span = d.span() if (d := _dated(text)) is not None else (0, 0)
    return [m for m in _RELATIVE.finditer(text) if not _EN_BARE.match(m.group(0).strip())
            and not (m.start() < date_span[1] and date_span[0] < m.end())]


def _without_spans(text: str, spans: list[re.Match]) -> str:
    for m in reversed(spans):
        text = text[:m.start()] + text[m.end():]
    text = re.sub(r"\(\s*\)", "", " ".join(text.split()))
    return re.sub(r"\s+([,)])", r"\1", re.sub(r"\(\s+", "(", text)).strip(" ,")


def _dated_item(key: str, value: str, named: Named) -> tuple[str, str]:
    """The item with the day it is about written as a date: a date that disagrees with `named` replaced, and the
    relative words naming it taken out of the key and the value."""
    lang = "ko" if re.search("[가-힣]", key + value) else "en"
    if (d := _dated(value)) is not None and not _agrees(d.group(0), named):
        value = value[:d.start()] + named.text(lang) + value[d.end():]
    in_key, in_value = _relative_spans(key), _relative_spans(value)
    if not in_key and not in_value:
        return key, value
    if _dated(value) is not None:
        value = _without_spans(value, in_value)
    elif in_value:  # the first relative words become the date, any later ones go
        first = in_value[0]
        marked = value[:first.start()] + "\0" + value[first.end():]
        later = [m for m in _RELATIVE.finditer(marked) if m.start() > first.start()] if len(in_value) > 1 else []
        value = _without_spans(marked, later).replace("\0", named.text(lang))
    else:
        value = f"{named.text(lang)} {value}"
    key = _without_spans(key, in_key) or ("일정" if lang == "ko" else "plan")
    return key, value


_AGE_KEY = re.compile(r"^(?:나이|연령|age)$", re.IGNORECASE)
_AGE_VALUE = re.compile(r"^\s*(?P<n>\d{1,3})\s*(?P<unit>살|세|years? old)?\s*$", re.IGNORECASE)
_LONG_NUMBER = re.compile(r"\d{5,}")


def checked_memories(items: list[tuple[str, str]], message: str, today: date | None) -> list[tuple[str, str]]:
    """`items` ([key, value] pairs the role wrote for `message`) made to agree with the message: a date the
    message names relative to `today` replaces the date the role wrote and the relative words it copied ("다음
    주 목요일 일정", which a week later would be wrong), the one age the message states replaces
    the role's under an age key, and an item with an age or a long number the message never gave is dropped."""
    named = named_time(message, today) if today is not None else None
    ages = stated_ages(message)
    digits = re.sub(r"\D", "", message)
    out = []
    for key, value in items:
        m, age_key = _AGE_VALUE.match(value), _AGE_KEY.match(key.strip()) is not None
        if m and (age_key or m.group("unit")):
            n = int(m.group("n"))
            if n not in ages and len(ages) == 1 and age_key:
                value = value[:m.start("n")] + str(next(iter(ages))) + value[m.end("n"):]
            elif n not in ages and m.group("n") not in digits:
                continue  # an age no one stated (someone else's, or the user's misread)
        if any(n not in digits for n in _LONG_NUMBER.findall(value)):
            continue
        if named is not None:
            key, value = _dated_item(key, value, named)
        out.append((key, value))
    return out

"""Days people name instead of dating them ("크리스마스", "추석", "valentine's day"): when each falls in a year.

Fixed-date days carry their month and day; Seollal and Chuseok follow the Korean lunar calendar, so their solar
dates come from a table (checked against the `korean_lunar_calendar` package for 2024–2032); Thanksgiving and
Mother's Day are the US ones (the fourth Thursday of November, the second Sunday of May).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

# Korean lunar 1/1 and 8/15 in the solar calendar
_SEOLLAL = {2024: date(2024, 2, 10), 2025: date(2025, 1, 29), 2026: date(2026, 2, 17), 2027: date(2027, 2, 7),
            2028: date(2028, 1, 27), 2029: date(2029, 2, 13), 2030: date(2030, 2, 3), 2031: date(2031, 1, 23),
            2032: date(2032, 2, 11)}
_CHUSEOK = {2024: date(2024, 9, 17), 2025: date(2025, 10, 6), 2026: date(2026, 9, 25), 2027: date(2027, 9, 15),
            2028: date(2028, 10, 3), 2029: date(2029, 9, 22), 2030: date(2030, 9, 12), 2031: date(2031, 10, 1),
            2032: date(2032, 9, 19)}


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


@dataclass(frozen=True)
class NamedDay:
    """One named day: its names as a pattern, how she says it in each language, and its date in a year."""
    pattern: str
    ko: str
    en: str
    month: int = 0
    day: int = 0
    emoji: str = "📅"

    def on(self, year: int) -> date | None:
        """Its date in `year` (None for a lunar day outside the table)."""
        if self.month:
            return date(year, self.month, self.day)
        if self.en == "Seollal":
            return _SEOLLAL.get(year)
        if self.en == "Chuseok":
            return _CHUSEOK.get(year)
        if self.en == "Thanksgiving":
            return _nth_weekday(year, 11, 3, 4)
        if self.en == "Mother's Day":
            return _nth_weekday(year, 5, 6, 2)
        return None


# longer names first: "christmas eve" before "christmas", "new year's eve" before "new year"
NAMED_DAYS = (
    NamedDay(r"christmas\s*eve|xmas\s*eve|크리스마스\s*이브|성탄절\s*전날", "크리스마스 이브", "Christmas Eve", 12, 24, "🎄"),
    NamedDay(r"christmas|xmas|크리스마스|성탄절", "크리스마스", "Christmas", 12, 25, "🎄"),
    NamedDay(r"new\s*year'?s\s*eve|nye", "12월 31일", "New Year's Eve", 12, 31, "🎆"),
    NamedDay(r"new\s*year'?s(?:\s*day)?|new\s*year|신정|새해\s*첫날", "신정", "New Year's Day", 1, 1, "🎆"),
    NamedDay(r"lunar\s*new\s*year|seollal|설날|구정|설", "설날", "Seollal", emoji="🧧"),
    NamedDay(r"chuseok|korean\s*thanksgiving|추석|한가위", "추석", "Chuseok", emoji="🌕"),
    NamedDay(r"valentine'?s?(?:\s*day)?|발렌타인\s*데이|밸런타인\s*데이|발렌타인|밸런타인", "밸런타인데이", "Valentine's Day",
             2, 14, "💝"),
    NamedDay(r"white\s*day|화이트\s*데이", "화이트데이", "White Day", 3, 14, "🍬"),
    NamedDay(r"hall?oween|할로윈|핼러윈", "핼러윈", "Halloween", 10, 31, "🎃"),
    NamedDay(r"pepero\s*day|빼빼로\s*데이", "빼빼로데이", "Pepero Day", 11, 11, "🍫"),
    NamedDay(r"children'?s\s*day|어린이\s*날", "어린이날", "Children's Day", 5, 5, "🎈"),
    NamedDay(r"parents'?\s*day|어버이\s*날", "어버이날", "Parents' Day", 5, 8, "💐"),
    NamedDay(r"teachers'?\s*day|스승의\s*날", "스승의 날", "Teachers' Day", 5, 15, "💐"),
    NamedDay(r"삼일절|3\.1절", "삼일절", "Independence Movement Day", 3, 1),
    NamedDay(r"현충일", "현충일", "Memorial Day", 6, 6),
    NamedDay(r"광복절", "광복절", "Liberation Day", 8, 15),
    NamedDay(r"개천절", "개천절", "National Foundation Day", 10, 3),
    NamedDay(r"한글\s*날", "한글날", "Hangul Day", 10, 9),
    NamedDay(r"thanksgiving", "추수감사절", "Thanksgiving", emoji="🦃"),
    NamedDay(r"mother'?s\s*day|mum'?s\s*day|mom'?s\s*day", "어머니날", "Mother's Day", emoji="💐"),
)
# one alternation for the question patterns; each name is matched on its own by `named_day`
NAMED_DAY_PATTERN = "|".join(f"(?:{d.pattern})" for d in NAMED_DAYS)
_COMPILED = tuple((re.compile(rf"^(?:{d.pattern})$", re.IGNORECASE), d) for d in NAMED_DAYS)


def named_day(words: str) -> NamedDay | None:
    """The named day `words` is (one of its names, any case, spaces as written), or None."""
    text = re.sub(r"\s+", " ", words.strip().lower()).removeprefix("the ")
    return next((d for rule, d in _COMPILED if rule.match(text)), None)


def next_date(day: NamedDay, today: date) -> date | None:
    """The day's next date from `today` on (today itself when it is the day)."""
    this_year = day.on(today.year)
    if this_year is not None and this_year >= today:
        return this_year
    return day.on(today.year + 1)

"""Questions about the date and the time answered from the clock, in her voice, without the LLM.

The answer model sees the date in its prompt and still adds to it ("오늘 2월 17일 화요일이야! 오늘이 월요일이니까 …",
"how many days till your birthday?" → "today is my birthday!"; docs/open-eval/README.md). A message that only asks
what day, date, time or year it is, which weekday tomorrow or the day after is, how long until midnight, or how
many days until her birthday is answered here from the turn's time; a message with anything more in it goes to
the model as before.
"""
from __future__ import annotations

import re
import zlib
from datetime import date, datetime, timedelta

from dialogue.prompting import BIRTHDAY, MONTHS_EN, WEEKDAYS_EN, WEEKDAYS_KO

# words around the question that do not change it
_LEAD = r"(?:그럼|근데|혹시|아|야|오로라야|로라야|so|hey|btw|ok|okay|um|uh|wait|oh)?[\s,]*"
_END_KO = r"(?:이야|야|이지|지|이더라|더라|임|이에요|예요|에요|인가요|일까|냐|이냐|였지|였더라|니)?"
_LEFT_KO = r"남았(?:어|어요|지|나|니|냐|을까|는지)?"
_TAIL = r"[\s?!.~ㅋㅎ…]*"


def _ya(word: str) -> str:
    """The word with the copula its last syllable takes: "화요일이야", "10시야"."""
    last = word[-1]
    final = (ord(last) - 0xAC00) % 28 if "가" <= last <= "힣" else 0
    return word + ("이야" if final else "야")


def _ko_weekday(day: date) -> str:
    return WEEKDAYS_KO[day.weekday()]


def _ko_time(now: datetime) -> str:
    half = "오전" if now.hour < 12 else "오후"
    hour = now.hour % 12 or 12
    return f"{half} {hour}시" + (f" {now.minute}분" if now.minute else "")


def _en_time(now: datetime) -> str:
    hour = now.hour % 12 or 12
    return f"{hour}:{now.minute:02d} {'am' if now.hour < 12 else 'pm'}"


def _days_to_birthday(today: date) -> int:
    next_one = BIRTHDAY.replace(year=today.year)
    if next_one < today:
        next_one = BIRTHDAY.replace(year=today.year + 1)
    return (next_one - today).days


def _pick(options: tuple[str, ...], message: str) -> str:
    return options[zlib.crc32(message.encode("utf-8")) % len(options)]


def _until_midnight(now: datetime, lang: str) -> str:
    left = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), now.tzinfo) - now
    hours, minutes = divmod(int(left.total_seconds()) // 60, 60)
    if lang == "ko":
        span = (f"{hours}시간 " if hours else "") + (f"{minutes}분" if minutes or not hours else "")
        return f"자정까지 {span.strip()} 남았어! ⏰"
    span = " and ".join(p for p in (f"{hours} hour{'s' * (hours != 1)}" if hours else "",
                                     f"{minutes} minute{'s' * (minutes != 1)}" if minutes or not hours else "") if p)
    return f"{span} till midnight! ⏰"


# (pattern, kind): a message that is one of these and nothing more (give or take a lead word and punctuation)
_RULES = tuple((re.compile(_LEAD + "(?:" + pattern + ")" + _TAIL, re.IGNORECASE), kind) for pattern, kind in (
    (rf"(?:오늘|지금)\s*(?:이|은)?\s*(?:몇\s*월\s*)?며칠{_END_KO}", "date_ko"),
    (rf"(?:오늘|지금)\s*(?:이|은)?\s*무슨\s*요일{_END_KO}", "weekday_ko"),
    (rf"(내일\s*모레|모레|내일)\s*(?:은|는)?\s*무슨\s*요일{_END_KO}", "ahead_ko"),
    (rf"지금\s*몇\s*시{_END_KO}", "time_ko"),
    (rf"(?:올해|지금)\s*(?:가|는|은)?\s*(?:몇\s*년(?:도)?|몇년도?){_END_KO}", "year_ko"),
    (rf"자정까지\s*(?:얼마나|몇\s*시간)\s*{_LEFT_KO}", "midnight_ko"),
    (rf"(?:너|네|니|오로라|로라)\s*(?:의)?\s*생일\s*(?:까지)?\s*(?:며칠|얼마나)\s*{_LEFT_KO}", "birthday_ko"),
    (r"what(?:'?s| is)\s+(?:the\s+)?(?:date|today'?s\s+date)(?:\s+today)?", "date_en"),
    (r"what\s+(?:day|date)\s+is\s+(?:it|today)(?:\s+today)?", "date_en"),
    (r"what\s+day\s+of\s+the\s+week\s+is\s+(?:it|today)(?:\s+today)?", "date_en"),
    (r"what\s+time\s+is\s+it(?:\s+now)?", "time_en"),
    (r"what\s+year\s+is\s+it(?:\s+now)?", "year_en"),
    (r"how\s+long\s+(?:till|until|'?til)\s+midnight", "midnight_en"),
    (r"how\s+many\s+days\s+(?:till|until|'?til|to)\s+your\s+birthday", "birthday_en"),
))
# a remark that asks or requests something besides (then the model answers the whole message)
_ASKS = re.compile(r"[?？]|(?:나|니|까|냐|지|래)[\sㅋㅎ~.]*$|어때|할까|해\s*줘|해줘|알려|뭐|어떻게|왜|언제|"
                   r"\b(?:what|how|why|when|should|can|could|would|will|do|does|is|are|tell|help|please)\b",
                   re.IGNORECASE)
# the answers that name the day also say, on her birthday, that it is
_NAMES_THE_DAY = {"date_ko", "weekday_ko", "ahead_ko", "year_ko", "date_en", "year_en"}


def answer(message: str, now: datetime) -> str | None:
    """Her answer when the message only asks about the date or time, else None (the model answers)."""
    text = message.strip()
    if not text or len(text) > 80:
        return None
    # the question alone, or the question and one short remark that asks nothing ("staying home. how long till
    # midnight", "what year is it now? still hungover")
    parts = [p for p in re.split(r"(?<=[?!.])\s+", text) if p.strip()]
    candidates = [text]
    if len(parts) == 2:
        for i in (0, 1):
            remark = parts[1 - i]
            if len(remark) <= 40 and not _ASKS.search(remark):
                candidates.append(parts[i])
    for candidate in candidates:
        for rule, kind in _RULES:
            m = rule.fullmatch(candidate)
            if m is None:
                continue
            reply = _reply(kind, m, now, candidate)
            if kind in _NAMES_THE_DAY and _days_to_birthday(now.date()) == 0:
                reply += " 그리고 오늘 내 생일이야! 🎂" if kind.endswith("_ko") else " And it's my birthday today! 🎂"
            return reply
    return None


def _reply(kind: str, m: re.Match, now: datetime, text: str) -> str:
    today = now.date()
    if kind == "date_ko":
        return _pick((f"오늘은 {today.month}월 {today.day}일 {_ya(_ko_weekday(today))}! 📅",
                      f"{today.month}월 {today.day}일, {_ko_weekday(today)}! 📅"), text)
    if kind == "weekday_ko":
        return f"오늘은 {_ya(_ko_weekday(today))}! ({today.month}월 {today.day}일) 📅"
    if kind == "ahead_ko":  # the weekday of tomorrow or the day after
        word = re.sub(r"\s+", " ", m.group(1))
        day = today + timedelta(days=1 if word == "내일" else 2)
        return f"{word}{'은' if word == '내일' else '는'} {day.month}월 {day.day}일 {_ya(_ko_weekday(day))}! 📅"
    if kind == "time_ko":
        return f"지금은 {_ya(_ko_time(now))}! ⏰"
    if kind == "year_ko":
        return f"올해는 {today.year}년이야! 📅"
    if kind in ("midnight_ko", "midnight_en"):
        return _until_midnight(now, kind[-2:])
    if kind == "date_en":
        return f"It's {WEEKDAYS_EN[today.weekday()]}, {MONTHS_EN[today.month - 1]} {today.day}! 📅"
    if kind == "time_en":
        return f"It's {_en_time(now)}! ⏰"
    if kind == "year_en":
        return f"It's {today.year}! 📅"
    days = _days_to_birthday(today)
    if kind == "birthday_ko":
        when = f"{BIRTHDAY.month}월 {BIRTHDAY.day}일"
        return f"오늘이 내 생일이야! 🎂 {when}!" if days == 0 else f"내 생일({when})까지 {days}일 남았어! 🎂"
    when = f"{MONTHS_EN[BIRTHDAY.month - 1]} {BIRTHDAY.day}"
    return (f"Today is my birthday! 🎂 {when}!" if days == 0 else
            f"{days} day{'s' * (days != 1)} till my birthday ({when})! 🎂")

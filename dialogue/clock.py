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

from dialogue.named_days import NAMED_DAY_PATTERN, NamedDay, named_day, next_date
from dialogue.prompting import BIRTHDAY, MONTHS_EN, WEEKDAYS_EN, WEEKDAYS_KO

# words around the question that do not change it
_LEAD = r"(?:그럼|근데|혹시|아|야|오로라야|로라야|so|hey|btw|ok|okay|um|uh|wait|oh)?[\s,]*"
_END_KO = r"(?:이야|야|이지|지|이더라|더라|임|이에요|예요|에요|인가요|일까|냐|이냐|였지|였더라|니)?"
_LEFT_KO = r"남았(?:어|어요|지|나|니|냐|을까|는지)?"
_TAIL = r"[\s?!.~ㅋㅎ…]*"


def _ya(word: str) -> str:
    """The word with the copula its last syllable takes: "화요일이야", "10시야"."""
    return word + ("이야" if _has_final(word) else "야")


def _has_final(word: str) -> bool:
    """Whether the word's last syllable ends in a consonant (Hangul; other characters: no)."""
    last = word[-1]
    return "가" <= last <= "힣" and (ord(last) - 0xAC00) % 28 != 0


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


# a named day ("크리스마스", "chuseok") or a date ("10월 3일", "march 5th") the question is about
_DAY_KO = rf"(?:(?P<day>{NAMED_DAY_PATTERN})|(?P<month>\d{{1,2}})\s*월\s*(?P<dom>\d{{1,2}})\s*일)"
_MONTH_EN = r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|" \
            r"nov(?:ember)?|dec(?:ember)?"
_DAY_EN = (rf"(?:the\s+)?(?:(?P<day>{NAMED_DAY_PATTERN})|(?P<month_en>{_MONTH_EN})\s+(?P<dom>\d{{1,2}})(?:st|nd|rd|th)?)")
_THIS_YEAR = r"(?:\s+(?:this|next)\s+year)?"
_WEEKDAY_EN = r"monday|tuesday|wednesday|thursday|friday|saturday|sunday"
_WEEKDAY_KO = r"[월화수목금토일]요일"
_TOPIC_KO = r"(?:은|는|이|가)?"

# (pattern, kind): a message that is one of these and nothing more (give or take a lead word and punctuation)
_RULES = tuple((re.compile(_LEAD + "(?:" + pattern + ")" + _TAIL, re.IGNORECASE), kind) for pattern, kind in (
    (rf"(?:오늘|지금)\s*(?:이|은)?\s*(?:몇\s*월\s*)?며칠{_END_KO}", "date_ko"),
    (rf"(?:오늘|지금)\s*(?:이|은)?\s*무슨\s*요일{_END_KO}", "weekday_ko"),
    (rf"(내일\s*모레|모레|내일)\s*(?:은|는)?\s*무슨\s*요일{_END_KO}", "ahead_ko"),
    (rf"지금\s*몇\s*시{_END_KO}", "time_ko"),
    (rf"(?:올해|지금)\s*(?:가|는|은)?\s*(?:몇\s*년(?:도)?|몇년도?){_END_KO}", "year_ko"),
    (rf"자정까지\s*(?:얼마나|몇\s*시간)\s*{_LEFT_KO}", "midnight_ko"),
    (rf"(?:너|네|니|오로라|로라)\s*(?:의)?\s*생일\s*(?:까지)?\s*(?:며칠|얼마나)\s*{_LEFT_KO}", "birthday_ko"),
    (rf"(?:올해\s*|내년\s*)?{_DAY_KO}\s*{_TOPIC_KO}\s*무슨\s*요일(?:에\s*있어|이었어|였어|이었지|였지|{_END_KO})", "day_weekday_ko"),
    (rf"(?:올해\s*|내년\s*)?{_DAY_KO}\s*(?:까지|까진)\s*(?:며칠|얼마나|몇\s*일|몇\s*밤)\s*{_LEFT_KO}", "day_until_ko"),
    (rf"(?:올해\s*|내년\s*)?(?P<day>{NAMED_DAY_PATTERN})\s*{_TOPIC_KO}\s*(?:언제|며칠){_END_KO}", "day_when_ko"),
    (rf"(?:오늘|지금)?\s*(?:벌써|아직|이제)?\s*주말\s*(?:이야|야|임|인가|이지|이냐|아니야|아냐|아님|맞지|맞아|이에요|인가요)",
     "weekend_ko"),
    (rf"(?:오늘|지금)?\s*(?:벌써|아직|이제)?\s*(?P<month>\d{{1,2}})\s*월\s*(?:이야|야|임|인가|이지|이냐|됐어|됐나|됐지|된\s*거야|이에요|인가요)",
     "month_ko"),
    (rf"(?:오늘|지금)?\s*(?:벌써|아직|이제)?\s*(?P<weekday>{_WEEKDAY_KO})\s*(?:이야|야|임|인가|이지|이냐|아니야|아냐|맞지|맞아|이에요|인가요)",
     "is_weekday_ko"),
    (rf"what\s+day(?:\s+of\s+the\s+week)?\s+(?:is|was|will\s+be)\s+{_DAY_EN}{_THIS_YEAR}(?:\s+(?:on|again))?", "day_weekday_en"),
    (rf"what\s+day(?:\s+of\s+the\s+week)?\s+(?:does|did)\s+{_DAY_EN}\s+(?:fall|land|come)\s+on{_THIS_YEAR}",
     "day_weekday_en"),
    (rf"{_DAY_EN}\s+(?:is|was|falls)\s+on\s+what\s+day{_THIS_YEAR}", "day_weekday_en"),
    (rf"how\s+(?:many\s+(?:more\s+)?days(?:\s+left)?|long)\s+(?:till|until|'?til|to|before)\s+{_DAY_EN}", "day_until_en"),
    (rf"when(?:'?s|\s+is)\s+(?:the\s+)?(?P<day>{NAMED_DAY_PATTERN}){_THIS_YEAR}", "day_when_en"),
    (r"is\s+it\s+(?:the\s+)?weekend\s*(?:yet|already)?", "weekend_en"),
    (rf"is\s+it\s+(?P<month_en>{_MONTH_EN})\s*(?:yet|already)?", "month_en"),
    (rf"is\s+(?:it|today)\s+(?P<weekday>{_WEEKDAY_EN})\s*(?:yet|already|today)?", "is_weekday_en"),
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
# a Korean remark of these shapes may state rather than ask ("이제 주말이야 ㅎㅎ"): answered only as a question
_ASKED_ONLY = {"weekend_ko", "month_ko", "is_weekday_ko"}
_KO_ASKING = re.compile(r"(?:인가|이냐|아니야|아냐|아님|맞지|맞아|인가요|됐나|됐어|됐지|된\s*거야)[\s?!.~ㅋㅎ…]*$")
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
            if m is None or kind in _ASKED_ONLY and "?" not in candidate and not _KO_ASKING.search(candidate):
                continue
            reply = _reply(kind, m, now, candidate)
            if kind in _NAMES_THE_DAY and _days_to_birthday(now.date()) == 0:
                reply += " 그리고 오늘 내 생일이야! 🎂" if kind.endswith("_ko") else " And it's my birthday today! 🎂"
            return reply
    return None


def _reply(kind: str, m: re.Match, now: datetime, text: str) -> str:
    today = now.date()
    if kind.startswith(("day_", "weekend", "month", "is_weekday")):
        return _calendar_reply(kind, m, today, text)
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


def _topic_ko(word: str) -> str:
    """The word with its topic particle: "크리스마스는", "추석은"."""
    return word + ("은" if _has_final(word) or word[-1] in "013678" else "는")


def _month_number(name: str) -> int:
    """1–12 for an English month name or its abbreviation ("sept", "Oct")."""
    return next(i + 1 for i, month in enumerate(MONTHS_EN) if month.lower().startswith(name[:3].lower()))


def _asked_day(m: re.Match, today: date, text: str) -> tuple[date, str, str, str] | None:
    """(its date, its Korean name, its English name, emoji) for the day a question names: the next one from
    today, or this year's when the question says "this year" / "올해" ("내년" / "next year": next year's)."""
    groups = m.groupdict()
    this_year = re.search(r"올해|this\s+year", text, re.IGNORECASE) is not None
    next_year = re.search(r"내년|next\s+year", text, re.IGNORECASE) is not None
    year = today.year + 1 if next_year else today.year
    if groups.get("day"):
        day = named_day(groups["day"])
        if day is None:
            return None
        when = day.on(year) if this_year or next_year else next_date(day, today)
        return (when, day.ko, day.en, day.emoji) if when is not None else None
    month = int(groups["month"]) if groups.get("month") else _month_number(groups["month_en"])
    try:
        when = date(year, month, int(groups["dom"]))
    except ValueError:  # "2월 30일": no such day
        return None
    if when < today and not this_year and not re.search(r"였|이었|\bwas\b|\bdid\b", text):
        when = when.replace(year=when.year + 1) if not (when.month == 2 and when.day == 29) else when
    return when, f"{when.month}월 {when.day}일", f"{MONTHS_EN[when.month - 1]} {when.day}", "📅"


def _calendar_reply(kind: str, m: re.Match, today: date, text: str) -> str:
    """Replies about named days, dates, the weekend, a month or a weekday."""
    ko = kind.endswith("_ko")
    if kind.startswith("weekend"):
        wd = today.weekday()
        if wd >= 5:
            return f"응, 오늘 {_ya(_ko_weekday(today))}! 주말 잘 보내 🎉" if ko else \
                f"Yes! It's {WEEKDAYS_EN[wd]} 🎉"
        if wd == 4:
            return "거의! 오늘 금요일이야, 내일부터 주말 💪" if ko else "Almost! It's Friday, the weekend starts tomorrow 💪"
        left = 5 - wd
        return (f"아직이야… 오늘 {_ya(_ko_weekday(today))}. 주말까지 {left}일 남았어 💪" if ko else
                f"Not yet, it's only {WEEKDAYS_EN[wd]}. {left} more days till Saturday 💪")
    if kind.startswith("is_weekday"):
        asked = m.group("weekday").lower()
        names = WEEKDAYS_KO if ko else tuple(w.lower() for w in WEEKDAYS_EN)
        wanted, wd = names.index(asked), today.weekday()
        if wanted == wd:
            return f"응, 오늘 {_ya(_ko_weekday(today))}! 📅" if ko else f"Yes, it's {WEEKDAYS_EN[wd]}! 📅"
        ahead = (wanted - wd) % 7
        if ko:
            later = "내일" if ahead == 1 else "모레" if ahead == 2 else f"{ahead}일 뒤"
            return f"아니, 오늘은 {_ya(_ko_weekday(today))}! {WEEKDAYS_KO[wanted]}은 {_ya(later)} 📅"
        later = "tomorrow" if ahead == 1 else f"in {ahead} days"
        return f"Not yet, it's {WEEKDAYS_EN[wd]}! {WEEKDAYS_EN[wanted]} is {later} 📅"
    if kind.startswith("month"):
        asked = int(m.group("month")) if ko else _month_number(m.group("month_en"))
        if not 1 <= asked <= 12:
            return f"오늘은 {today.month}월 {today.day}일이야! 📅" if ko else \
                f"It's {MONTHS_EN[today.month - 1]} {today.day}! 📅"
        ahead = (asked - today.month) % 12
        if ahead == 0:
            return f"응, 오늘 {today.month}월 {today.day}일이야! 📅" if ko else \
                f"Yes! It's {MONTHS_EN[today.month - 1]} {today.day} 📅"
        if ahead <= 6:
            first = date(today.year + (asked < today.month), asked, 1)
            days = (first - today).days
            if ko:
                return f"아직! 오늘은 {today.month}월 {today.day}일이야. " + (
                    f"{asked}월은 내일부터야 📅" if days == 1 else f"{asked}월까지 {days}일 남았어 📅")
            return f"Not yet! It's {MONTHS_EN[today.month - 1]} {today.day}, so {MONTHS_EN[asked - 1]} " + (
                "starts tomorrow 📅" if days == 1 else f"is {days} days away 📅")
        return (f"{asked}월은 벌써 지났어! 오늘은 {today.month}월 {today.day}일이야 📅" if ko else
                f"{MONTHS_EN[asked - 1]} is already behind us! It's {MONTHS_EN[today.month - 1]} {today.day} 📅")
    found = _asked_day(m, today, text)
    if found is None and not m.groupdict().get("day"):
        return "그런 날은 달력에 없어 ㅋㅋ 날짜 한 번만 다시 봐 줄래? 📅" if ko else \
            "That date doesn't exist on the calendar lol, can you check it again? 📅"
    if found is None:  # a lunar day outside the table
        return (f"음… 그해 날짜는 아직 정확히 모르겠어 ㅠㅠ 오늘은 {today.month}월 {today.day}일이야! 📅" if ko else
                f"Hmm, I'm not sure of that year's date, sorry! Today is {MONTHS_EN[today.month - 1]} {today.day} 📅")
    when, name_ko, name_en, emoji = found
    days = (when - today).days
    if days == 0:
        return f"오늘이 바로 {_ya(name_ko)}! {emoji}" if ko else f"Today is {name_en}! {emoji}"
    weekday_ko, weekday_en = _ko_weekday(when), WEEKDAYS_EN[when.weekday()]
    date_ko, date_en = f"{when.month}월 {when.day}일", f"{MONTHS_EN[when.month - 1]} {when.day}"
    year_ko = "" if when.year == today.year else ("내년 " if when.year == today.year + 1 else f"{when.year}년 ")
    year_en = "" if when.year == today.year else f", {when.year}"
    named_ko = name_ko != date_ko
    if kind.startswith("day_until"):
        if days < 0:
            return (f"올해 {_topic_ko(name_ko)} {date_ko}에 벌써 지났어! {emoji}" if ko else
                    f"{name_en} was {-days} days ago this year ({date_en})! {emoji}")
        if ko:
            return f"{name_ko}({date_ko})까지 {days}일 남았어! {emoji}" if named_ko else f"{date_ko}까지 {days}일 남았어! {emoji}"
        return (f"Just 1 day till {name_en}, it's tomorrow! {emoji}" if days == 1 else
                f"{days} days till {name_en}" + (f" ({date_en}{year_en})" if name_en != date_en else "") + f"! {emoji}")
    # the weekday it falls on, or when it is
    if ko:
        subject = _topic_ko(f"{year_ko}{name_ko}" if days > 0 else f"올해 {name_ko}")
        if days < 0:
            return f"{subject} {date_ko} {weekday_ko}이었어! ({-days}일 전) {emoji}" if named_ko else \
                f"{subject} {weekday_ko}이었어! ({-days}일 전) {emoji}"
        return f"{subject} {date_ko} {_ya(weekday_ko)}! {emoji}" if named_ko else f"{subject} {_ya(weekday_ko)}! {emoji}"
    if name_en == date_en:  # a date: which weekday it is
        if days < 0:
            return f"{date_en} was a {weekday_en} this year, {-days} days ago! {emoji}"
        return f"{date_en}{year_en} is a {weekday_en}! {emoji}"
    if days < 0:
        return f"{name_en} was on {weekday_en}, {date_en} this year, {-days} days ago! {emoji}"
    return f"{name_en} is on {weekday_en}, {date_en}{year_en}! {emoji}"

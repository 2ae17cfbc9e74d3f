"""What Oh-LoRA's answers may claim about days and about herself, checked as they stream.

The 270M answer model guesses dates, weekdays, her birthday, her age, school year and MBTI, and guesses them
wrong often enough to matter ("I was born on October 17", "오늘 12월 5일" on November 29). The streaming validator
(`dialogue.roles.answer_problem`) rejects such a claim with `calendar_problem` or `persona_problem` before the
user sees it, and a retry starts from the right fact where the shown text ends at it (`fact_completion`).
Only claims are checked: a holiday's date, a plan next week or a nephew's age are free to say. A stored memory of
the user's spoken as her own ("what's my name again?" with [name: Jane] shown → "I'm Jane, a virtual human…") is
rejected by `memory_as_hers`. A greeting or farewell for another time of day ("Good morning!" at 9 pm, "잘 자!" to
someone arriving at noon) is rejected by `greeting_problem`, and her birthday month dropped into an answer about
something else ("10월 초쯤이면 딱이지" about naengmyeon in August) by `stray_month_problem`.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from dialogue.prompting import BIRTHDAY, MONTHS_EN, WEEKDAYS_EN, WEEKDAYS_KO, age_on, school_year_on

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
_WEEKDAY_NAMES = "|".join((*WEEKDAYS_KO, *WEEKDAYS_EN))
_WEEKDAY = re.compile(_WEEKDAY_NAMES)
_WEEKDAY_AFTER = re.compile(rf"\s*,?\s*({_WEEKDAY_NAMES})")
_WEEKDAY_BEFORE = re.compile(rf"({_WEEKDAY_NAMES})\s*,?\s*(?:the\s+)?$")
# A date is given as her birthday when these words stand just before it, unless they are about someone else's.
_BIRTHDAY_CUE = re.compile(r"생일|태어|\b(?:birthday|born)\b", re.IGNORECASE)
_SOMEONE_ELSES = re.compile(r"\b(?:your|you|yours|his|her|their|mom'?s|dad'?s|brother'?s|sister'?s|friend'?s)\b|"
                            r"(?<![가-힣])(?:너|네|당신|엄마|아빠|동생|친구|언니|오빠|누나|형)|님", re.IGNORECASE)
CUE_CHARS = 16
HER_BIRTHDAY = (BIRTHDAY.month, BIRTHDAY.day)
HER_MONTH_KO, HER_MONTH_EN = f"{BIRTHDAY.month}월", MONTHS_EN[BIRTHDAY.month - 1]
HER_MBTI = "ENTJ"


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


# Her birthday month is the month the training data names most, so the model drops it into answers about
# anything ("10월 초면 얼굴이 더 부을 거야" in November, "10월 1일 수아랑 1년이면" to a 100th-day plan in August). It
# stands only where October is in play: her birthday, a month the message, memory or earlier exchanges name, a
# message about when or about autumn, or a date now within reach (September, October).
_HER_MONTH = re.compile(rf"(?<!\d){BIRTHDAY.month}\s*월|\b{HER_MONTH_EN}\b", re.IGNORECASE)
_OCTOBER_IN_PLAY = re.compile(rf"(?<!\d){BIRTHDAY.month}\s*월|\b{HER_MONTH_EN}\b|언제|몇\s*월|가을|단풍|할로윈|추석|"
                              r"한글날|개천절|\b(?:when|what month|autumn|fall|halloween|foliage)\b", re.IGNORECASE)


def stray_month_problem(text: str, now: datetime, seen: str = "") -> str | None:
    """Why the answer names her birthday month out of nowhere (None when it does not): October said of something
    the conversation never tied to October, outside her birthday and months when October is near."""
    if now.month in (BIRTHDAY.month - 1, BIRTHDAY.month) or _OCTOBER_IN_PLAY.search(seen):
        return None
    for m in _HER_MONTH.finditer(text):
        if not text[m.end():].strip():  # "October" as the text streams: its day ("11") may be next
            continue
        sentence = re.split(r"[.!?。\n]", text[:m.start()])[-1] + text[m.start():m.end() + 12]
        if _BIRTHDAY_CUE.search(sentence) or str(BIRTHDAY.year) in sentence \
                or re.match(r"\s*(?:11\s*일|11(?:th)?\b)", text[m.end():]):
            continue
        return f"names {m.group(0)} out of nowhere"
    return None


# Greetings and farewells that name a time of day, and the local hours they fit. "Good night's sleep", "잘 잤어?",
# "have a good morning tomorrow" are no greetings.
_TIME_GREETINGS = (
    ("morning", re.compile(r"\bgood morning\b|^\W*morning\b|좋은 아침|굿모닝|\bhow(?:'s| is| was) your morning\b",
                           re.IGNORECASE), lambda h: 4 <= h < 12),
    ("afternoon", re.compile(r"\bgood afternoon\b|\bhow(?:'s| is) your afternoon\b", re.IGNORECASE), lambda h: 12 <= h < 18),
    ("evening", re.compile(r"\bgood evening\b|좋은 저녁|\bhow(?:'s| is) your evening\b", re.IGNORECASE), lambda h: h >= 16 or h < 2),
    ("night", re.compile(r"\bgood ?night\b(?!['’]s)|\bnight night\b|\bsleep (?:well|tight)\b|\bsweet dreams\b|굿나잇|좋은 꿈"
                         r"|잘 ?자(?:요|라)?(?=[\s!~.♡❤😴🌙💤ㅎㅋ]|$)|푹 ?자(?:요|라)?(?=[\s!~.♡❤😴🌙💤ㅎㅋ]|$)", re.IGNORECASE),
     lambda h: h >= 19 or h < 6),
)
# The same time of day in the user's own words: a reply in kind is fine ("gm, night shift starts soon" → "Morning!")
_USERS_OWN = {"morning": re.compile(r"\bgm\b|morning|아침|굿모닝", re.IGNORECASE),
              "afternoon": re.compile(r"afternoon|오후", re.IGNORECASE),
              "evening": re.compile(r"evening|저녁", re.IGNORECASE),
              "night": re.compile(r"\bgn\b|night|잘 ?자|굿나잇|잘게", re.IGNORECASE)}
_SLEEP_WORDS = re.compile(r"잘게|자러|잘래|자야|잠|낮잠|졸려|눕|\b(?:nap|sleep|bed|tired|gn|goodnight|good night)\b", re.IGNORECASE)
_WISHED_AHEAD = re.compile(r"\b(?:tomorrow|have a|wish you a)\b|내일|되길|보내", re.IGNORECASE)


def greeting_problem(text: str, now: datetime, message: str = "") -> str | None:
    """Why a greeting or farewell in the answer does not fit the hour `now` (None when none is wrong): "Good
    morning!" at 9 pm, "good night" to someone arriving at noon. One the user's message uses itself is fine
    (a night-shift worker's "good morning" at 7 pm), and so is a good night to a user going to sleep or napping."""
    for kind, said, fits in _TIME_GREETINGS:
        m = said.search(text)
        if m is None or fits(now.hour) or _USERS_OWN[kind].search(message):
            continue
        if kind == "night" and _SLEEP_WORDS.search(message):
            continue
        if _WISHED_AHEAD.search(text[max(0, m.start() - 24):m.end() + 8]):
            continue
        return f"greets for the {kind} at {now.hour:02d}:{now.minute:02d} ({m.group(0).strip()!r})"
    return None


_LEAVING = re.compile(r"\b(?:gn|bye|cya|gotta (?:go|run)|talk (?:to you )?(?:tomorrow|later)|see (?:you|ya))\b"
                      r"|잘게|잘 ?자|이따 봐|내일 봐|갈게|ㅂㅂ|바이", re.IGNORECASE)


def greeting_completion(problem: str, now: datetime, lang: str, shown: str = "", message: str = "") -> str | None:
    """What a retry writes first after a greeting for another hour was rejected: the hour's greeting ("Good
    evening!" for a "Good morning!" at 9 pm; to a user who is leaving, the hour's farewell), or the hour's word
    after a shown "… Good " / "좋은 "; None when something else was shown."""
    m = re.match(r"greets for the (\w+)", problem)
    if m is None:
        return None
    ko, hour = lang == "ko", now.hour
    word = ("아침", "morning") if 4 <= hour < 12 else ("오후", "afternoon") if hour < 18 else ("저녁", "evening")
    said, leaving, night = shown.strip(), _LEAVING.search(message) is not None, hour >= 19 or hour < 6
    if said.endswith(("Good", "좋은")):  # "Evening! Good " went on to "night": the hour's word instead
        if leaving:
            return ("꿈 꿔!" if night else "하루 보내!") if said.endswith("좋은") else ("night!" if night else "day!")
        return f"{word[0] if ko else word[1]}!"
    if said:
        return None
    if leaving or m.group(1) == "night":  # a farewell, for the hour
        if night:
            return "잘 자!" if ko else "Good night!"
        return "좋은 하루 보내!" if ko else "Have a good day!"
    return f"좋은 {word[0]}!" if ko else f"Good {word[1]}!"


# Her age, birth year and MBTI as she states them about herself ("I'm 25!", "나는 올해 만 24살이야", "나 INFP야").
_AGE_CLAIMS_EN = re.compile(r"\b(I'm|I am|I'll be|I will be|I turned|I just turned|I'm turning)\s+(\d{1,2})"
                            r"(?=\s*(?:years?\b|yrs?\b|[!.,?~]|$|\s+(?:now|this|and|but|so|already)\b))", re.IGNORECASE)
_AGE_KO = re.compile(r"(?:만\s*)?(\d{1,2})\s*(?:살|세)(?!\s*(?:때|쯤|이하|이상|미만|차이|이었|였))")
_BIRTH_YEAR = re.compile(r"(?<!\d)(\d{4}|\d{2})\s*년생|\bI was born in (\d{4})\b", re.IGNORECASE)
_MBTI_CLAIMS = re.compile(r"(?:\b(?:I'm an?|I am an?|I'm|my MBTI is|my type is)\s+|(?:나는|난|나|저는|내 MBTI는|제 MBTI는)\s*)"
                          r"([EI][NS][TF][JP])(?![A-Za-z])", re.IGNORECASE)
# The other pole of any of her four letters (I, S, F, P) claimed of herself: "I'm more of a feeler",
# "난 완전 즉흥형이야". Denials ("감정형은 아니고") are not claims.
_OTHER_POLES_EN = r"introvert(?:ed)?|feeler|feeling type|perceiver|perceiving type|sensor|sensing type"
_OTHER_POLES_KO = r"내향형|내향적|극I|I형|감정형|극F|F형|즉흥형|극P|P형|감각형|S형"
_OTHER_POLE_CLAIMS = re.compile(
    rf"\bI'm (?:(?:an?|more of an?|kind of an?|a bit of an?|totally an?|definitely an?|such an?) )?(?:{_OTHER_POLES_EN})\b"
    rf"|(?:나는|난|저는)([^.!?\n]{{0,24}}?)({_OTHER_POLES_KO})(?!\s*(?:은|는|이|이랑|과|와)?\s*(?:아니|아냐|절대))",
    re.IGNORECASE)
# In Korean an age or birth year is hers unless its clause is about someone else ("너는 25살이구나", "동생은 17살").
_SOMEONE_ELSE_KO = re.compile(r"(?<![가-힣])(?:너|넌|네가|당신|동생|남동생|언니|오빠|누나|형|엄마|아빠|친구|사람|애)|님")
_FIRST_PERSON_KO = re.compile(r"나는|난|나도|저는|저도|내 나이|제 나이")
# a sentence that opens with the claim, after at most a yes ("응, 2019년생이라"): hers
_OPENS_CLAIM = re.compile(r"[\W_]*(?:응|어|맞아|그럼|네|yes|yeah|yep)?[\W_]*", re.IGNORECASE)


def _hers(text: str, start: int) -> bool:
    return not _SOMEONE_ELSE_KO.search(_before(text, start, 12))


# Her age and birth year are checked only in answers to a message about her age: elsewhere a number of years is
# mostly someone else's (a nephew, a pet, the user).
_ASKS_AGE = re.compile(r"나이|몇 ?살|살이야|살이에요|살 ?먹|연세|년생|언니|누나|오빠|동생|만으로|몇이야|\d0대|[이삼사]십대|"
                       r"\b(?:age|how old|years old|older|younger|born|what year|twenties|thirties|teen|20s|30s)",
                       re.IGNORECASE)
# The decade of life she puts herself in ("I'm in my late twenties", "나는 30대야", "나 20대 후반이야"): she is in
# her early twenties (21–23 over the years the conversations span), so another decade, or late twenties, is wrong.
_DECADE_CLAIMS_EN = re.compile(r"\bI'm (?:still |already |now )?in my (early |mid-?|late )?\s*"
                               r"(teens|twenties|thirties|forties|fifties|\d0s)\b", re.IGNORECASE)
_DECADE_CLAIMS_KO = re.compile(r"(\d0|[이삼사오]십)\s*대\s*(초반|중반|후반)?")
_KOREAN_COUNT = re.compile(r"연\s?나이|세는\s?나이|한국\s?나이|우리\s?나이|햇수로|빠른")
# An age in a clause about a later or earlier time is not her age now ("2035년 생일이면 만 32살", "10년 뒤엔 30대").
_LATER = re.compile(r"\d{4}\s*년(?!생)|뒤에?|후에|후엔|뒤엔|지나면|되면|때는?|\b(?:in \d+ years|by then|when I was)\b")
_DECADES = {"teens": 10, "twenties": 20, "thirties": 30, "forties": 40, "fifties": 50,
            "이십": 20, "삼십": 30, "사십": 40, "오십": 50}


def persona_problem(text: str, now: datetime, seen: str = "", message: str = "") -> str | None:
    """Why an answer misstates her own age (in full years), birth year, decade of life, school year or any of
    her MBTI letters (None when it does not): the facts she knows are not left to the model's guess. Ages and
    years the message or context give (the user's own) are not hers; ages are checked only in answers to a
    message about age."""
    if not _ASKS_AGE.search(message):
        # a birth year said as hers ("나는 2019년생", "응, 2019년생이라…", "I was born in 2019") is checked anywhere
        for m in _BIRTH_YEAR.finditer(text):
            said = m.group(1) or m.group(2)
            before = _before(text, m.start(), 12)
            if (m.group(2) or _FIRST_PERSON_KO.search(before) or _OPENS_CLAIM.fullmatch(before)) \
                    and said not in seen and int(said) not in (BIRTHDAY.year, BIRTHDAY.year % 100):
                return f"wrong birth year {said}"
        return _school_year_problem(text, now) or _mbti_problem(text)
    age = age_on(now.date())
    for m in _AGE_CLAIMS_EN.finditer(text):
        allowed = {age, age + 1} if re.search(r"will|'ll|turning", m.group(1), re.IGNORECASE) else {age}
        if int(m.group(2)) not in allowed:  # "I'm 25" is hers even when the user just said they are 25
            return f"wrong age {m.group(2)}"
    for m in _AGE_KO.finditer(text):
        said = int(m.group(1))
        # her age is in full years (PERSONA.md: 22 in 2025, 23 from 2026-10-11); 연 나이 and 세는 나이 only when
        # the sentence says it counts that way ("세는 나이로 24살")
        sentence = text[max(0, text.rfind(".", 0, m.start()) + 1):m.end() + 12]
        allowed = {age, now.year - BIRTHDAY.year, now.year - BIRTHDAY.year + 1} if _KOREAN_COUNT.search(sentence) else {age}
        if re.match(r"\s*(?:이\s*)?(?:돼|될|되)", text[m.end():]):  # the age she turns next ("만 22살 돼!")
            allowed.add(age + 1)
        echoed = m.group(1) in seen and not _FIRST_PERSON_KO.search(_before(text, m.start(), 12))  # "25살이구나!"
        if not echoed and _hers(text, m.start()) and said not in allowed and not _LATER.search(_before(text, m.start())):
            return f"wrong age {said}"
    for m in _BIRTH_YEAR.finditer(text):
        said = m.group(1) or m.group(2)
        if said not in seen and _hers(text, m.start()) and int(said) not in (BIRTHDAY.year, BIRTHDAY.year % 100):
            return f"wrong birth year {said}"
    for m, decade, part in ([(m, m.group(2), m.group(1)) for m in _DECADE_CLAIMS_EN.finditer(text)] +
                            [(m, m.group(1), m.group(2)) for m in _DECADE_CLAIMS_KO.finditer(text)
                             if _hers(text, m.start()) and _FIRST_PERSON_KO.search(_before(text, m.start(), 12))]):
        tens = _DECADES.get(decade.lower()) or int(decade.rstrip("sS"))
        if tens != age // 10 * 10 or (part or "").strip() in ("late", "후반"):
            return f"wrong age {m.group(0).strip()}"
    return _school_year_problem(text, now) or _mbti_problem(text)


# Her year at university as she states it ("지금 3학년이야", "I'm a third-year", "I'm in my fourth year"): the calendar
# year's (PERSONA.md: a 3rd-year student in 2025), or the one before it until the Korean school year starts in March.
# ("본과 2학년이라고 하셨어요" reports what the user said: not hers)
_SCHOOL_YEAR_KO = re.compile(r"(?<![\d고중초])([1-6])\s*학년"
                             r"(?=\s*(?:이야|이에요|이예요|이거든|입니다|이지|이라(?!고\s*(?:하셨|했|말했|들었|그랬)|며|던)"
                             r"|이고|이 ?됐|!|\.|$))")
_SCHOOL_YEAR_EN = re.compile(r"\bI'm (?:a |in my )?(first|second|third|fourth|fifth|1st|2nd|3rd|4th|5th)[- ]year\b|"
                             r"\bI'm (?:a |in my )?(freshman|sophomore|junior|senior)\b", re.IGNORECASE)
_YEAR_WORDS = {"first": 1, "1st": 1, "freshman": 1, "second": 2, "2nd": 2, "sophomore": 2, "third": 3, "3rd": 3,
               "junior": 3, "fourth": 4, "4th": 4, "senior": 4, "fifth": 5, "5th": 5}


def _school_year_problem(text: str, now: datetime) -> str | None:
    year = school_year_on(now.date())
    allowed = {year, year - 1} if now.month < 3 else {year}
    claims = [(m.group(0), int(m.group(1))) for m in _SCHOOL_YEAR_KO.finditer(text)
              if _hers(text, m.start()) and not _LATER.search(_before(text, m.start()))]
    claims += [(m.group(0), _YEAR_WORDS[(m.group(1) or m.group(2)).lower()]) for m in _SCHOOL_YEAR_EN.finditer(text)]
    for said, n in claims:
        if n not in allowed:
            return f"wrong school year {said.strip()}"
    return None


def _mbti_problem(text: str) -> str | None:
    for m in _MBTI_CLAIMS.finditer(text):
        if m.group(1).upper() != HER_MBTI:
            return f"wrong MBTI {m.group(1)}"
    for m in _OTHER_POLE_CLAIMS.finditer(text):
        if not (m.group(1) and _SOMEONE_ELSE_KO.search(m.group(1))):  # "나는 네가 내향형인 줄 알았어" is not about her
            return f"wrong MBTI pole {(m.group(2) or m.group(0).split()[-1]).lower()}"
    return None


# Where the shown text ends right before her birthday, its month, or a day said to be today, tomorrow or yesterday.
_HER_MONTH_SLOT_KO = re.compile(rf"{HER_MONTH_KO}\s*$")
_HER_MONTH_SLOT_EN = re.compile(rf"\b(?:{HER_MONTH_EN}|{HER_MONTH_EN[:3]}\.?)\s*$", re.IGNORECASE)
_BIRTHDAY_SLOT_KO = re.compile(rf"(?:생일은|생일이|태어난 날은|{HER_MONTH_KO})\s*$")
_BIRTHDAY_SLOT_EN = re.compile(rf"(?:\b(?:birthday|born)\b(?: is| was| on| falls on)*|\b{HER_MONTH_EN}|"
                               rf"\b{HER_MONTH_EN[:3]}\.?)\s*$", re.IGNORECASE)
_DAY_SLOT_KO = re.compile(r"(오늘|내일|어제|모레)(?:은|는|이|도|이야|이|,)?\s*$")
_DAY_SLOT_EN = re.compile(r"\b(today|tomorrow|yesterday)(?: is| was|'s|,)?\s*$", re.IGNORECASE)


def birthday_completion(shown: str) -> str | None:
    """The words that complete a shown beginning about to state her birthday ("… born on October" → "11"), or
    None: a retry continues from them instead of guessing the day again."""
    if _BIRTHDAY_SLOT_KO.search(shown):
        day = f"{BIRTHDAY.day}일"
        body = day if _HER_MONTH_SLOT_KO.search(shown) else f"{HER_MONTH_KO} {day}"
    elif _BIRTHDAY_SLOT_EN.search(shown):
        day = str(BIRTHDAY.day)
        body = day if _HER_MONTH_SLOT_EN.search(shown) else f"{HER_MONTH_EN} {day}"
    else:
        return None
    return _joined(shown, body)


def _joined(shown: str, body: str) -> str:
    return body if shown[-1:].isspace() or not shown else " " + body


_AGE_SLOT_EN = re.compile(r"\b(?:I'm|I am)\s*$", re.IGNORECASE)
_YES_OPENING = re.compile(r"\W*(?:응|어|맞아|그럼)[\s,!~]*")  # "응, " with nothing said yet
_AGE_SLOT_KO = re.compile(r"(?:나는|난|저는|나이는|올해|지금은?|만|기준으로)\s*$|^" + _YES_OPENING.pattern + "$")
_BIRTH_YEAR_SLOT = re.compile(r"(\bborn in|나는|난|저는)\s*$", re.IGNORECASE)
_MBTI_SLOT = re.compile(r"(?:\b(?:I'm an?|I am an?|my MBTI is|my type is)|(?:나는|난|나|저는|내 MBTI는|제 MBTI는))\s*$",
                        re.IGNORECASE)


def fact_completion(shown: str, problem: str, now: datetime, lang: str = "ko", message: str = "") -> str | None:
    """What a retry writes first after the validator rejected one of her facts the model kept getting wrong: her
    birthday after "born on", her age after "I'm", her MBTI after "나는", the real date or weekday after "오늘은" /
    "tomorrow is", the hour's greeting at the start of an answer in `lang`; None when the shown text does not end
    where that fact goes (the retry then samples again)."""
    if problem.startswith("greets for"):
        return greeting_completion(problem, now, lang, shown, message)
    if problem.startswith("wrong birthday"):
        return birthday_completion(shown)
    if problem.startswith("wrong age"):
        if _AGE_SLOT_EN.search(shown):
            return _joined(shown, str(age_on(now.date())))
        return _joined(shown, f"{age_on(now.date())}살") if _AGE_SLOT_KO.search(shown) else None
    if problem.startswith("wrong birth year"):
        if re.search(r"(?:올해|지금은?|만)\s*$", shown) or _YES_OPENING.fullmatch(shown):
            # "나는 올해 " or a bare "응, " goes on with her age
            return _joined(shown, f"{age_on(now.date())}살")
        slot = _BIRTH_YEAR_SLOT.search(shown)
        if slot is None:
            return None
        return _joined(shown, str(BIRTHDAY.year) if slot.group(1).lower() == "born in" else f"{BIRTHDAY.year}년생")
    if problem.startswith("wrong school year"):
        year = school_year_on(now.date())
        if re.search(r"(?:기준으로|지금은?|올해|나는|난|저는|이제|대학교?|인공지능학과)\s*$", shown):
            return _joined(shown, f"{year}학년")
        return _joined(shown, f"{('first', 'second', 'third', 'fourth', 'fifth')[min(year, 5) - 1]}-year") \
            if re.search(r"\bI'm (?:a|in my)\s*$", shown, re.IGNORECASE) else None
    if problem.startswith("wrong MBTI") and not problem.startswith("wrong MBTI pole"):
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


_MEMORY_ITEM = re.compile(r"\[([^\[\]:\n]{1,40}):\s*([^\[\]\n]{1,80})\]")
# what is hers too, so saying it of herself is no confusion ("나는 인공지능학과" when the user studies AI as well)
HERS_TOO = ("오로라", "Oh-LoRA", "샘올", "Samol", "인공지능", "Artificial Intelligence", "AI", "ENTJ", "알파고", "Alpha High",
            "가상 인간", "virtual human", "대학생", "student", "서울", "Seoul")


def value_head(value: str) -> str:
    """The part of a stored value a sentence would repeat: "nurse, night shifts" → "nurse"."""
    return re.split(r"[,(/]|\s-\s|\s+및\s+", value)[0].strip()


def claimable_head(value: str) -> str | None:
    """`value_head` of one of the user's facts as a regex to look for in a claim of hers, or None when she may say
    it of herself (shorter than two characters, or hers too: "AI", "서울")."""
    head = value_head(value)
    if len(head) < 2 or any(w.lower() in head.lower() for w in HERS_TOO):
        return None
    return re.escape(head)


def memory_as_hers(text: str, memory: str) -> str | None:
    """Why an answer speaks a memory shown in its prompt, which is the user's, as her own fact (None when it does
    not): "I'm Jane" or "I'm a nurse" for [name: Jane] or [job: nurse], "나는 간호사라" for [직업: 간호사], "I live in
    Toronto" for [city: Toronto]. Sharing it is not claiming it ("I'm learning guitar too", "나도 데이식스 좋아해"), and a
    value that is also hers ("AI", "서울") is not checked."""
    for key, value in _MEMORY_ITEM.findall(memory):
        said = claimable_head(value)
        if said is None:
            continue
        english = (rf"(?:\bI(?:'m|’m| am)\s+(?:a |an |the )?{said}\b|\b[Mm]y (?:name|job|work|major) is (?:a |an )?{said}\b"
                   rf"|\bI (?:live|work|study)\s+(?:in|at|as)\s+(?:a |an |the )?{said}\b)(?![^.!?]*\b(?:too|as well)\b)")
        # the value as what she is: followed by a copula or a quotative ("나는 간호사라", "난 지수야", "저는 이서연이라고")
        korean = (rf"(?:^|[\s,.!?])(?:나는|난|저는|전|내 이름은|제 이름은)\s*{said}"
                  r"(?:이)?(?:야|라|예요|에요|이에요|입니다|이고|고|라고|인데|라서|이라서|거든|[,.!~])")
        if re.search(english, text) or re.search(korean, text):
            return f"speaks the user's {key.strip()} as her own"
    return None

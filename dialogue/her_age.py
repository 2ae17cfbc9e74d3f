"""Questions about her age and her signs answered from her birthday and the turn's date, in her voice, without
the LLM.

Her age changes every October 11, so it cannot be learned as a fact; the answer prompt shows it, and the 270M
model still answers "how old are you?" with her birthday, her birth year or her school year but no age ("나는
2003년생 양띠야!", "October 11, an autumn birthday!"), or asks back. A message that plainly asks her age — how
old she is, what year she was born, how old she turns next, whether she is in her early or late twenties, or
whether a guessed age is right — is answered here. A message that mentions anyone else's age, the user's own,
or her age at some past event ("몇 살에 대학 들어갔어?") goes to the model as before. Her 띠 and star sign follow
from her birthday too and are answered the same way.
"""
from __future__ import annotations

import re
import zlib
from datetime import date, datetime

from dialogue.prompting import BIRTHDAY, MONTHS_EN, age_on, language_of

_KO_TENS = ("", "열", "스물", "서른")
_KO_ONES = ("", "한", "두", "세", "네", "다섯", "여섯", "일곱", "여덟", "아홉")

# --- what makes a message a question about her age --------------------------------------------------------
_ASKS_KO = re.compile(
    r"몇\s*살|나이\s*(?:가|는|를)?\s*(?:어떻게|몇|말해|알려|좀)|(?:^|\s)나이\s*(?:가|는)?\s*[?？]|몇\s*년생|"
    r"(?<![가-힣])만\s*(?:나이|으로)|"
    r"(?:20|이십)\s*대\s*(?:초반|중반|후반)\s*(?:쯤|정도)?\s*(?:이야|이지|야|임|이에요|예요|이죠|맞지|맞아|같아)?\s*[?？]+\s*$|"
    r"(?:20|이십)\s*대\s*(?:초반|중반|후반)\s*(?:이야|야)?\s*(?:아니면\s*)?(?:초반|중반|후반)|"
    r"(?:미성년자|고딩|고등학생|대딩)(?:야|이야|임|이에요|예요)?\s*[?？]")
_ASKS_EN = re.compile(
    r"how\s+old\b|\bwhat(?:'?s|\s+is)\s+(?:your|ur|you)\s+age\b|\bwhats\s+(?:your|ur)\s+age\b|\byour\s+age\b|"
    r"\bwhat\s+age\s+(?:are|r)\s+(?:you|u)\b|\b(?:what|which)\s+year\s+(?:were|was)\s+(?:you|u)\s+born\b|"
    r"\bwhen\s+were\s+(?:you|u)\s+born\b|\b(?:early|mid|late)\s+(?:or\s+(?:early|mid|late)\s+)?twenties\b|"
    r"\bin\s+your\s+twenties\b|\b(?:still\s+)?a\s+teen(?:ager)?\b", re.IGNORECASE)
# she, as a word of its own ("오로라 너 몇 살이야?")
_HER_WORD_KO = re.compile(r"(?:너|넌|니|네|당신|오로라|로라|언니)?(?:님|씨)?(?:는|은|가|도|의)?[,~!]*")
# words that may stand right before the question without naming whose age it is ("근데 정확히 몇 살?")
_LEAD_KO = re.compile(
    r"(?:헐|대박|진짜|그럼|근데|그래서|아|오|와|이제|지금|올해|그날|정확히|혹시|대체|도대체|실례지만|만|만으로|"
    r"다음|이번|대학생이면|생일에|생일|지나면|되면|나이|나이가|나이는|생일\s*축하해|생축|축하해|[ㅋㅎ]+|[?？!.,~]+)")
_HER_EN = re.compile(r"\b(?:you|u|your|ur|oh-?lora)\b", re.IGNORECASE)
# anyone or anything else whose age it could be, the user's own, or her age at some past moment
_OTHER_KO = re.compile(
    r"동생|엄마|아빠|부모|어머니|아버지|애들|아이|아기|애기|딸|아들|강아지|고양이|댕댕|형|오빠|누나|친구|남친|여친|"
    r"남자친구|여자친구|사람|선생님|조원|손주|할머니|할아버지|조카|아이돌|가족|쌤|팀원|신입|"
    r"(?:^|\s)나\s|(?:^|\s)내\s|(?:^|\s)제\s|저는|나는|난\s|우리|\d+\s*살인데|\d+\s*년생인데|"
    r"살에|살\s*때|때\s*몇|몇\s*살\s*차이|몇\s*살부터|몇\s*살까지|사람\s*나이|나보다|저보다")
_OTHER_EN = re.compile(
    r"\b(?:my|i'?m|im|i\s+am|am\s+i|mom|mum|dad|mother|father|parents|brother|sister|kids?|boys|girls|son|"
    r"daughter|dog|cat|pet|friend|students?|he|she|they|his|her|their|grandma|grandpa|people|someone|"
    r"when\s+(?:you|u)\s+(?:started|graduated|were|was|entered|finished))\b|\bwere\s+(?:you|u)\s+when\b",
    re.IGNORECASE)
# what she is asked for besides her age today
_NEXT = re.compile(r"다음\s*생일|이번\s*생일|생일\s*(?:지나|되면|이면)|그날|되는\s*거|될\s*거|몇\s*살\s*돼|내년|"
                   r"\bwill\s+(?:you|u)\s+be\b|\bgonna\s+be\b|\bturning\b|\bturn\s+next\b|\bnext\s+(?:birthday|year)\b",
                   re.IGNORECASE)
_BIRTH_YEAR = re.compile(r"년생|what\s+year|which\s+year|\bborn\b", re.IGNORECASE)
_KOREAN_AGE = re.compile(r"한국\s*나이|세는\s*나이")
_TWENTIES = re.compile(r"20\s*대|이십\s*대|twenties", re.IGNORECASE)
_TEEN = re.compile(r"teen|미성년자|고딩|고등학생")
_GUESS = re.compile(r"(?<![\d년])(1[5-9]|[2-3]\d)(?!\s*(?:년|대|\d|s\b|th\b))")
_POLITE = re.compile(r"(?:요|세요|니까|습니까|죠)[\s?？!.~ㅎ]*$|오로라\s*(?:님|씨)|실례지만")
_BARE_HOW_OLD = re.compile(r"(?:.{0,40}[.!?,]\s*)?how\s+old\s*(?:now|today)?[\s?!.]*", re.IGNORECASE)
_MAX_CHARS = 80
# her signs, from her birthday (2003: the goat; October 11: Libra)
_ANIMALS = (("쥐", "rat", "🐭"), ("소", "ox", "🐮"), ("호랑이", "tiger", "🐯"), ("토끼", "rabbit", "🐰"),
            ("용", "dragon", "🐲"), ("뱀", "snake", "🐍"), ("말", "horse", "🐴"), ("양", "goat", "🐑"),
            ("원숭이", "monkey", "🐵"), ("닭", "rooster", "🐔"), ("개", "dog", "🐶"), ("돼지", "pig", "🐷"))
# (first month, first day, Korean, English, symbol) of each star sign, from Aquarius's start in January
_STAR_SIGNS = ((1, 20, "물병자리", "Aquarius", "♒"), (2, 19, "물고기자리", "Pisces", "♓"), (3, 21, "양자리", "Aries", "♈"),
               (4, 20, "황소자리", "Taurus", "♉"), (5, 21, "쌍둥이자리", "Gemini", "♊"), (6, 22, "게자리", "Cancer", "♋"),
               (7, 23, "사자자리", "Leo", "♌"), (8, 23, "처녀자리", "Virgo", "♍"), (9, 23, "천칭자리", "Libra", "♎"),
               (10, 23, "전갈자리", "Scorpio", "♏"), (11, 23, "사수자리", "Sagittarius", "♐"),
               (12, 22, "염소자리", "Capricorn", "♑"))
_SIGN_KO = re.compile(r"(?:무슨|몇)\s*띠|띠(?:가|는)?\s*(?:뭐|머|[?？]|$)|별자리(?:가|는)?\s*(?:뭐|머|[?？]|$)")
_SIGN_EN = re.compile(r"\bzodiac\b|\bstar\s*sign\b|\bwhat'?s\s+(?:your|ur)\s+sign\b|\bwhats\s+(?:your|ur)\s+sign\b",
                      re.IGNORECASE)
_ANIMAL = re.compile(r"띠|animal|chinese|korean|year\s+of", re.IGNORECASE)
_OTHER_ASKS = re.compile(r"mbti|엠비티아이|혈액형|blood\s*type|그리고|\band\b", re.IGNORECASE)


def _about_her(text: str, asks_ko: re.Pattern, asks_en: re.Pattern) -> bool:
    if not text or len(text) > _MAX_CHARS:
        return False
    if language_of(text) == "ko":
        found = asks_ko.search(text)
        if not found or _OTHER_KO.search(text):
            return False
        # nothing but lead words and her own name may stand before the question in its clause: "그럼 솜이 몇살?"
        # and "보리 몇 살인지 너 알아?" ask someone else's age
        before = re.split(r"[.!?？~]|[ㅋㅎㅠ]{2,}", text[:found.start()])[-1].split()
        return all(_LEAD_KO.fullmatch(word) or _HER_WORD_KO.fullmatch(word) for word in before)
    if not asks_en.search(text) or _OTHER_EN.search(text):
        return False
    # a bare question ("chinese zodiac?", "no way! how old?") is about her
    return bool(_HER_EN.search(text)) or len(text.split()) <= 3 or bool(_BARE_HOW_OLD.fullmatch(text))


def asks_her_age(message: str) -> bool:
    """True when the message plainly asks how old she is (today, at her next birthday, or her birth year)."""
    return _about_her(message.strip(), _ASKS_KO, _ASKS_EN)


def asks_her_sign(message: str) -> bool:
    """True when the message plainly asks her zodiac animal (띠) or her star sign, and nothing else besides."""
    text = message.strip()
    return not _OTHER_ASKS.search(text) and _about_her(text, _SIGN_KO, _SIGN_EN)


def _ko_number(n: int) -> str:
    """Native Korean for 11..39: "스물두"."""
    return _KO_TENS[n // 10] + _KO_ONES[n % 10]


def _pick(options: tuple[str, ...], message: str) -> str:
    return options[zlib.crc32(message.encode("utf-8")) % len(options)]


def answer(message: str, now: datetime) -> str | None:
    """Her answer when the message plainly asks her age or her sign, else None (the model answers)."""
    if asks_her_sign(message):
        return _sign(message.strip())
    if not asks_her_age(message):
        return None
    today = now.date()
    age = age_on(today)
    birthday_today = (today.month, today.day) == (BIRTHDAY.month, BIRTHDAY.day)
    passed = (today.month, today.day) > (BIRTHDAY.month, BIRTHDAY.day)
    text = message.strip()
    if language_of(text) == "ko":
        return _korean(text, today, age, birthday_today, passed)
    return _english(text, age, birthday_today, passed)


def _sign(text: str) -> str:
    ko = language_of(text) == "ko"
    if _ANIMAL.search(text):  # her zodiac animal, from her birth year (2020 was the rat's)
        animal_ko, animal_en, emoji = _ANIMALS[(BIRTHDAY.year - 2020) % 12]
        if ko:
            return f"{animal_ko}띠야! {BIRTHDAY.year}년생이거든 {emoji}"
        return (f"The {animal_en} ({animal_ko}띠 in Korean)! I was born in {BIRTHDAY.year}, "
                f"the year of the {animal_en} {emoji}")
    sign = _STAR_SIGNS[-1][2:]  # Capricorn until Aquarius starts
    for month, day, *names in _STAR_SIGNS:
        if (BIRTHDAY.month, BIRTHDAY.day) >= (month, day):
            sign = names
    sign_ko, sign_en, symbol = sign
    when_ko, when_en = f"{BIRTHDAY.month}월 {BIRTHDAY.day}일", f"{MONTHS_EN[BIRTHDAY.month - 1]} {BIRTHDAY.day}"
    return f"{sign_ko}야! 생일이 {when_ko}이거든 {symbol}" if ko else f"{sign_en}! My birthday is {when_en} {symbol}"


_SPANS_KO, _SPANS_EN = ("초반", "중반", "후반"), ("Early", "Mid", "Late")


def _lead(text: str, age: int, right: str, wrong: str, teen: str, twenties: str, spans: tuple[str, str, str]) -> str:
    """The answer's opening in one language and register: to a guessed age (`right` or `wrong`), to whether she is
    a teenager, or to where in her twenties she is (`twenties` takes the span); "" for a plain question."""
    guess = _GUESS.search(text)
    if guess:
        return right if int(guess.group(1)) == age else wrong
    if _TEEN.search(text):
        return teen
    if _TWENTIES.search(text):
        return twenties.format(spans[0 if age % 10 <= 3 else 1 if age % 10 <= 6 else 2])
    return ""


def _korean(text: str, today: date, age: int, birthday_today: bool, passed: bool) -> str:
    polite = bool(_POLITE.search(text))
    end, me = ("이에요", "저는") if polite else ("이야", "나는")
    turn = "돼요" if polite else "돼"
    born = f"{BIRTHDAY.year}년 {BIRTHDAY.month}월 {BIRTHDAY.day}일생"
    if birthday_today and _NEXT.search(text):
        return (f"오늘로 만 {age}살이 됐으니까 다음 생일엔 만 {age + 1}살이 돼요! 🎂" if polite else
                f"오늘로 만 {age}살 됐으니까 다음 생일엔 만 {age + 1}살! 🎂")
    if birthday_today:
        return (f"오늘이 제 생일이라 오늘로 만 {age}살이 됐어요! 🎂 ({born})" if polite else
                f"오늘이 내 생일이라 오늘로 만 {age}살 됐어! 🎂 ({born})")
    if _NEXT.search(text):
        when = "올해" if not passed else "내년"
        return f"{when} {BIRTHDAY.month}월 {BIRTHDAY.day}일 생일이 지나면 만 {age + 1}살 {turn}! 지금은 만 {age}살{end} 🎂"
    if _BIRTH_YEAR.search(text):
        return f"{BIRTHDAY.year}년생{end}! {BIRTHDAY.month}월 {BIRTHDAY.day}일생이라 지금 만 {age}살 🎂"
    lead = (_lead(text, age, "네, 맞아요! ", "아니요, ", "아니요, 대학생이에요! ", "20대 {} 맞아요! ", _SPANS_KO) if polite else
            _lead(text, age, "응, 맞아! ", "아니, ", "아니, 대학생이야! ", "20대 {} 맞아! ", _SPANS_KO))
    korean_age = ""
    if _KOREAN_AGE.search(text):
        korean_age = f" 한국식 세는 나이로는 {today.year - BIRTHDAY.year + 1}살{end}."
    rest = (f"{BIRTHDAY.month}월 {BIRTHDAY.day}일에 만 {age + 1}살 {turn} ㅎㅎ" if not passed else
            f"올해 생일은 벌써 지났어{'요' if polite else ''} ㅎㅎ")
    return _pick((f"{lead}{me} 만 {age}살{end}! {born}이라 {rest}{korean_age}",
                  f"{lead}만 {age}살, {_ko_number(age)} 살{end}! {born}이고, {rest}{korean_age}"), text)


def _english(text: str, age: int, birthday_today: bool, passed: bool) -> str:
    month_day = f"{MONTHS_EN[BIRTHDAY.month - 1]} {BIRTHDAY.day}"
    born = f"{month_day}, {BIRTHDAY.year}"
    if birthday_today and _NEXT.search(text):
        return f"I turn {age} today, so {age + 1} on my next birthday! 🎂"
    if birthday_today:
        return f"I turn {age} today, it's my birthday! 🎂 (born {born})"
    if _NEXT.search(text):
        when = "this year" if not passed else "next year"
        return f"I'll be {age + 1} on {month_day} {when}! I'm {age} until then 🎂"
    if _BIRTH_YEAR.search(text):
        return f"{BIRTHDAY.year}! I was born on {born}, so I'm {age} now 🎂"
    lead = _lead(text, age, "Yes, exactly! ", "Not quite! ", "Nope, I'm a university student! ", "{} twenties! ",
                 _SPANS_EN)
    rest = f"I turn {age + 1} on {month_day}" if not passed else f"I turned {age} on {month_day} this year"
    return _pick((f"{lead}I'm {age}! Born {born}, so {rest} 🎂",
                  f"{lead}I'm {age} years old, born in {BIRTHDAY.year}. {rest} 🎂"), text)

"""A question that asks for a fact of the user's she has stored ("do you remember what I do for work?", "내 이름
기억해?") is answered with it, exactly: "You're a nurse! 💪", "당연하지, 민지잖아! 😊".

The gate brings the right memory into the prompt for most such questions, but the 270M answer adapter often
leaves it unused or speaks it as her own ("Do you remember what I do for work?" with [job: nurse] → "I do a ton
of patient interviews…"). The opening is written only when the question asks for the very thing the memory's key
names (its slot: name, job, age, where the user lives, hometown, school, major, a favourite, or a person or pet
by relation), so a neighbour ("my mum's job" with the user's own job stored, "my dog's name" with a cat stored)
gets none and the model answers as before. The model is not asked to go on after it: on the validation recall
questions its continuations undid the answer as often as not ("당연하지, 민지잖아! 근데 내 이름은 지민이야").
"""
from __future__ import annotations

import re

from dialogue.question_cues import asks_about_her, is_question, names_her, person_markers

__all__ = ["asked_slots", "key_slot", "recall_answer", "recall_opening"]

_KO_AFTER = r"(?=이|은|는|의|도|가|을|를|랑|한테|네|님|\s|$|[?!.,~ㅋㅎ])"  # a Korean word's particle, or its end


def _ko(*words: str) -> str:
    return r"(?<![가-힣])(?:" + "|".join(words) + ")" + _KO_AFTER


def _en(*words: str) -> str:
    return r"\b(?:" + "|".join(words) + r")\b"


# People and pets by relation: a question naming one asks about that one ("my son's name", "우리 딸 이름").
_RELATIONS = {
    "son": (_en("son"), _ko("아들")), "daughter": (_en("daughter"), _ko("딸")),
    "wife": (_en("wife"), _ko("아내", "와이프", "부인")), "husband": (_en("husband"), _ko("남편")),
    "girlfriend": (_en("girlfriend", "gf"), _ko("여자친구", "여친")),
    "boyfriend": (_en("boyfriend", "bf"), _ko("남자친구", "남친")),
    "grandson": (_en("grandson"), _ko("손자")), "granddaughter": (_en("granddaughter"), _ko("손녀")),
    "mother": (_en("mom", "mum", "mother", "mommy"), _ko("엄마", "어머니", "어머님")),
    "father": (_en("dad", "father", "daddy"), _ko("아빠", "아버지", "아버님")),
    "sister": (_en("sister", "sis"), _ko("언니", "누나", "여동생")),
    "brother": (_en("brother", "bro"), _ko("형", "오빠", "남동생")),
    "roommate": (_en("roommate", "flatmate"), _ko("룸메", "룸메이트")),
    "dog": (_en("dogs?", "puppy", "doggo", "pup"), _ko("강아지", "댕댕이", "개")),
    "cat": (_en("cats?", "kitty", "kitten"), _ko("고양이", "냥이")),
}
# What a question asks of the user's own facts, and the keys the memory role writes for each.
_SLOTS = {
    "name": (r"\bmy name\b|\bwho am i\b|\bwhat(?:'s| is| was)? ?my name\b|(?:^|[^가-힣])(?:내|제|나의|저의)\s*(?:이름|성함)"
             r"|(?:나|내가|저|제가)\s*누구|^\s*(?:이름|성함)", r"^(?:name|first name|이름|성함)$"),
    "job": (r"\bjob\b|\bdo for (?:work|a living)\b|\bwhat (?:do|did) i do\b|\b(?:remember|know|recall) what i do\b"
            r"|\bwhere (?:do|did) i work\b"
            r"|\bwork as\b|직업|무슨 ?일|뭔 ?일|어디서 일|일한다|일하는지|직장|회사 어디",
            r"^(?:job|work|occupation|profession|career|직업|직장|일|회사)$"),
    "age": (r"\bhow old\b|\bmy age\b|몇 ?살|나이", r"^(?:age|나이)$"),
    "home": (r"\bwhere (?:do )?i live\b|\blive in\b|\bwhere i live\b|\bwhat city\b|어디 ?살|어디 ?산|사는 ?(?:곳|데|도시)|산다고",
             r"^(?:city|home|residence|location|lives|live|도시|거주지|사는 곳|지역|동네)$"),
    "hometown": (r"\bgrew up\b|\bfrom originally\b|\bwhere am i from\b|\bhometown\b|고향", r"^(?:hometown|고향|출신)$"),
    "highschool": (r"\bhigh ?school\b|고등학교|고교", r"^(?:high ?school|고등학교|고교)$"),
    "school": (r"\b(?:school|university|college|uni)\b|학교|대학", r"^(?:school|university|college|uni|학교|대학|대학교)$"),
    "major": (r"\bmajor\b|\bstudy(?:ing)?\b|전공", r"^(?:major|field of study|전공)$"),
}
_FAVOURITE = re.compile(r"\b(?:favou?rite|fave|fav)\b|(?:제일 |가장 )?좋아하는", re.IGNORECASE)
_ASKS_RECALL = re.compile(r"\b(?:remember|recall|forgot|forget|guess|told you|tell you)\b|기억|생각나|생각 나|까먹|잊|맞혀|맞춰|알지|아시죠",
                          re.IGNORECASE)
_EN_ASKS = re.compile(r"\b(?:who|what|whats|where|when|which|how)\b", re.IGNORECASE)
# a school the user applied to or dreams of is not the one stored ("내가 지원하려던 대학", "my first choice")
_NOT_CURRENT_SCHOOL = re.compile(r"지원|원서|가고 ?싶|목표|first choice|appl(?:y|ied)|dream|wanted to", re.IGNORECASE)
# Texting's second person ("what's ur name", "how old r u") asks about her, once the recall frames that address
# her about the user's things are set aside ("do u remember where i live", "bet you forgot", "according to you").
_RECALL_FRAME_EN = re.compile(r"\b(?:do|did|can|could|would|will) (?:you|u|ya) (?:still |even |actually )?(?:remember|recall|know)\b"
                              r"|\b(?:told|tell|telling|asked|mentioned to) (?:you|u|ya)\b|\b(?:you|u|ya) (?:remember|know|recall|forgot)\b"
                              r"|\baccording to (?:you|u)\b|\bif (?:you|u) forgot\b|\b(?:testing|quiz(?:zing)?) (?:you|u)\b", re.IGNORECASE)
_TEXTING_YOU = re.compile(r"\b(?:u|ur|urs|ya|yourself|you|your|you're|yours)\b", re.IGNORECASE)
_TALKING_TO = re.compile(r"\bwho am i (?:talking|speaking|chatting|texting)\b", re.IGNORECASE)
_ASKS_HOW = re.compile(r"\bhow (?:do|did|would) (?:you|u) know\b|어떻게 알", re.IGNORECASE)  # the source, not the fact
# 존댓말: a polite ending, or an honorific verb anywhere ("기억하시려나", "말씀드렸었죠")
_POLITE = re.compile(r"(?:요|죠|세요|까요|니다|습니까|나요)[\s?!.~ㅋㅎ^]*$|(?:하|이|으|드|주|계|보|아|가|오)시(?:려나|나|죠|는지|겠|던가)|말씀|셨")


def _relations_in(text: str) -> set[str]:
    low = text.lower()
    return {r for r, (en, ko) in _RELATIONS.items() if re.search(en, low) or re.search(ko, text)}


def _favourite_noun(text: str) -> str | None:
    m = _FAVOURITE.search(text)
    if not m:
        return None
    rest = re.findall(r"[a-z가-힣]+", text[m.end():].lower())
    return rest[0] if rest else None


# A person or pet is recalled by name only: "what's my sister's name?" with [sister: Maya] is answered, "what does my
# brother do?" or "누나 이름" with [누나: 미국 유학 중] are not (the stored value is another fact about them).
_ASKS_NAME = re.compile(r"\bname\b|\bcalled\b|\bwho(?:'s| is| was)?\b|이름|누구", re.IGNORECASE)
_PAST_HOME = re.compile(r"살았|이사 ?오기 ?전|예전에|전에 살|\blived\b|\bused to\b|\bbefore\b", re.IGNORECASE)


def _name_like(value: str) -> bool:
    """A name as stored ("Maya", "Pepper, a border collie", "수진", "강아지 두부"), not a description ("lives in
    Ohio", "미국 유학 중")."""
    head = value.split(",")[0].strip()
    words = head.split()
    if re.search("[가-힣]", head):
        words = [w for w in words if not _relations_in(w)]  # "강아지 두부" → "두부"
        return len(words) == 1 and len(words[0]) <= 5 and not re.search(r"(?:중|함|임|음|다|요)$", words[0])
    return 1 <= len(words) <= 2 and all(w[:1].isupper() for w in words)


def asked_slots(message: str) -> set[str]:
    """What of the user's own facts `message` asks for: a relation ("son", "dog"), "fav:<noun>", or a slot of
    `_SLOTS`; empty when it is no recall question."""
    if not (is_question(message) or _ASKS_RECALL.search(message) or _EN_ASKS.search(message)) \
            or _ASKS_HOW.search(message):
        return set()
    # about her ("how old are you?", "로라는 고등학교 어디 다녔어? 난 대성고"), or naming nothing of the user's
    about_her = (asks_about_her(message) or (re.search("[가-힣]", message) is not None and names_her(message))
                 or _TEXTING_YOU.search(_RECALL_FRAME_EN.sub(" ", message)) is not None or _TALKING_TO.search(message))
    if about_her or not (person_markers(message)[0] or _ASKS_RECALL.search(message) or re.search("저희|우리", message)):
        return set()
    relations = _relations_in(message)
    if relations:
        return relations if _ASKS_NAME.search(message) else set()
    if (noun := _favourite_noun(message)) is not None:
        return {f"fav:{noun}"}
    low = message.lower()
    slots = {slot for slot, (asks, _) in _SLOTS.items() if re.search(asks, low)}
    if _NOT_CURRENT_SCHOOL.search(message):
        slots -= {"school", "highschool", "major"}
    if _PAST_HOME.search(message):
        slots -= {"home"}
    return {"highschool"} if "highschool" in slots else slots


def key_slot(key: str, value: str) -> str | None:
    """The slot a stored [key: value] fills (`asked_slots`' names), or None."""
    k = key.strip().lower()
    if k in ("pet", "pets", "반려동물", "반려견", "반려묘"):
        animals = _relations_in(value) & {"dog", "cat"}
        return animals.pop() if len(animals) == 1 else None
    relations = _relations_in(k)
    if len(relations) == 1 and not re.search(r"나이|생일|직업|age|birthday|job", k):
        return relations.pop()
    if (noun := _favourite_noun(k)) is not None:
        return f"fav:{noun}"
    return next((slot for slot, (_, keys) in _SLOTS.items() if re.match(keys, k)), None)


def _batchim(word: str) -> bool:
    """Whether a Korean word ends in a consonant (이잖아 / 잖아), digits read as Sino-Korean numbers."""
    last = word.strip()[-1:]
    if "가" <= last <= "힣":
        return (ord(last) - 0xAC00) % 28 != 0
    return last in "013678"


_EN_SAYS = {"name": "You're {v}!", "age": "You're {v}!", "home": "You live in {v}!", "hometown": "You're from {v}!",
            "highschool": "You went to {v}!", "school": "You go to {v}!", "major": "You study {v}!"}


def _en_opening(slot: str, key: str, value: str) -> str:
    v = value.strip()
    if slot in _EN_SAYS:
        return _EN_SAYS[slot].format(v=v)
    if slot == "job" and len(v.split()) <= 4 and not re.match(r"(?:a|an|the|works?|working|at|in|for)\b", v, re.I):
        return f"You're {'an' if v[:1].lower() in 'aeiou' else 'a'} {v}!"
    return f"Your {key.strip()} is {v}!"


def _recalled(message: str, key: str, value: str, lang: str) -> tuple[str, str] | None:
    """(slot, the sentence that says the fact) when `message` asks for the fact [key: value] of the user's."""
    slot, asked = key_slot(key, value), asked_slots(message)
    if slot is None or asked != {slot} or not value.strip():  # two things asked: which one is not known
        return None
    if slot in _RELATIONS:
        named = re.search(r"\b(?:named|called)\s+([A-Z][\w'-]*)", value)  # "[pet: a dog named Biscuit]"
        value = named.group(1) if named else value
        if not _name_like(value):
            return None
        if key.strip().lower() in ("pet", "pets"):
            key = slot
    if lang != "ko":
        return slot, _en_opening(slot, key, value)
    v = value.strip() + ("살" if slot == "age" and value.strip().isdigit() else "")
    if _POLITE.search(message.strip()):
        return slot, f"그럼요, {v}{'이요' if _batchim(v) else '요'}!"
    return slot, f"당연하지, {v}{'이잖아' if _batchim(v) else '잖아'}!"


def recall_opening(message: str, key: str, value: str, lang: str) -> str | None:
    """The sentence that says the fact [key: value] when `message` asks for it, in `lang` ("You're Priya!",
    "당연하지, 소방관이잖아!", polite "그럼요, 민준이요!"); None when it asks for something else."""
    found = _recalled(message, key, value, lang)
    return None if found is None else found[1]


_EMOJI = {"name": "😊", "job": "💪", "age": "🎂", "home": "🏠", "hometown": "🏡", "highschool": "🏫", "school": "🏫",
          "major": "📚", "dog": "🐶", "cat": "🐱"}


def recall_answer(message: str, key: str, value: str, lang: str) -> str | None:
    """Her whole answer when `message` asks for the fact [key: value] of the user's: the recall opening and an
    emoji ("You're Priya! 😊", "당연하지, 치즈잖아! 🐱"); None when it asks for something else."""
    found = _recalled(message, key, value, lang)
    if found is None:
        return None
    slot, said = found
    return f"{said} {_EMOJI.get(slot, '😊')}"

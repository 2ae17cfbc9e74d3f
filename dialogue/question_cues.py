"""What a question's words say to the memory gate: whom it is about (the user or Oh-LoRA) and whether it
asks anything at all. Korean and English, by word lists and endings."""
from __future__ import annotations

import re

# Is the question about the user ("내 생일", "my dog") or about Oh-LoRA ("너 생일", "your birthday")? Memories
# are about the user, so a question addressed to her persona should not pull one in.
_KO_FIRST = re.compile(r"^(나|내|난|날|저|제|우리)(는|도|를|가|의|한테|랑|보다|집|집에)?$")
_KO_SECOND = re.compile(r"^(너|니|넌|널|네|당신)(는|도|를|가|의|한테|랑|보다)?$|로라")
_EN_FIRST = re.compile(r"\b(i|i'm|i've|i'd|my|mine|myself)\b", re.IGNORECASE)
_EN_SECOND = re.compile(r"\b(you|your|you're|yours|yourself|lora)\b", re.IGNORECASE)
_PUNCT = re.compile(r"[?!.,~…'\"]+")


def _words(text: str) -> list[str]:
    return [_PUNCT.sub("", w) for w in text.split()]


def person_markers(text: str) -> tuple[float, float]:
    """(names the user, addresses Oh-LoRA) as 0/1 features of a question, Korean or English."""
    words = _words(text)
    first = any(_KO_FIRST.match(w) for w in words) or bool(_EN_FIRST.search(text))
    second = any(_KO_SECOND.search(w) for w in words) or bool(_EN_SECOND.search(text))
    return float(first), float(second)


# Questions about Oh-LoRA herself ("너는 오늘 점심 뭐 먹었어?", "what's your favourite food?"), told apart from
# recall frames that address her about the user's things ("do you remember dad's job?", "로라 형 생일 기억해?").
# her name with a particle ("로라는 어디 다녀?", "로라의 생일"); a bare "로라" or "로라야" is a vocative
_KO_YOU = re.compile(r"^(너|니|넌|널|네|니가|네가|너도|너는|너의|당신|(오)?로라(는|도|가|의|씨는|님은))$")
_EN_YOU = re.compile(r"\b(you|your|you're|yours|yourself)\b", re.IGNORECASE)  # her name alone is a vocative
_EN_RECALL = re.compile(r"\b(do|did|can|could|would|will) you (still |even |actually )?(remember|recall|know|remind|tell me)\b"
                        r"|\b(told|tell|telling|mentioned to) you\b|\byou (remember|know|recall)\b", re.IGNORECASE)


# her name bare before one of her own facts reads as "Lora's …" ("로라 생일 언제야?", "오로라 mbti 뭐야"), unless the
# message asks to be reminded of something told ("로라 남동생 생일 며칠이라고 했지?": a vocative, then the user's fact)
_KO_HER_FACT = re.compile(r"(?:^|\s)(?:오)?로라\s+(?:생일|생년|나이|이름|고등학교|대학교?|학교|전공|학과|학번|mbti|MBTI|"
                          r"혈액형|별자리|띠|취미|성격|고향|키)(?:은|는|이|가|도|을|를|\b|\s|\?|$)")
_KO_TOLD = re.compile(r"했지|했더라|했었|그랬|말했|기억|알려\s*줬")


def names_her(text: str) -> bool:
    """True when the text asks or says something of Oh-LoRA herself ("너는 …", "로라는 …", "로라 생일 …", "are
    you …"), beyond the recall frames that address her about the user's things ("do you remember my name?")."""
    return (any(_KO_YOU.match(w) for w in _words(text)) or bool(_EN_YOU.search(_EN_RECALL.sub(" ", text)))
            or (_KO_HER_FACT.search(text) is not None and _KO_TOLD.search(text) is None))


def asks_about_her(text: str) -> bool:
    """True when the question is about Oh-LoRA herself and names nothing of the user's: no stored memory
    answers it, however alike the words ("너는 오늘 점심 뭐 먹었어?" against the user's "[오늘 점심: …]")."""
    return names_her(text) and not person_markers(text)[0]


# A question mark, or a Korean interrogative ending typed without one ("내일 뭐 하지", "면접 언제였더라").
_KO_QUESTION_END = re.compile(r"(지|까|니|냐|나|게|더라|던가|었지|였지|했지)[\s.~ㅋㅎ]*$")


def is_question(text: str) -> float:
    """1 for a question, 0 for a remark ("나 오늘 너무 피곤해", "I'm bored"): remarks about the moment
    name the user without asking for anything stored."""
    return float("?" in text or bool(_KO_QUESTION_END.search(text.strip())))


# "my son's name", "what's my job again", "내 직업 뭐였지", "우리 손자 이름", "제 고향": a stored fact's key
# right after a first-person possessive. A question in that form asks for that fact of the user's, whatever
# the relevance model makes of its wording ("mum's birthday" or "엄마 생일" name someone else's).
_KO_OWN = r"(?:^|[\s,.!?~])(?:내|제|우리|나의|저의|울)\s*"
_EN_OWN = r"\bmy\s+"


def own_key_asked(text: str, keys: list[str]) -> int | None:
    """The index of the first of `keys` (best-ranked first) that a question names as the user's own
    ("my son's name" for "son", "제 고향" for "고향"), or None; a remark that is no question names none."""
    if not is_question(text):
        return None
    for i, key in enumerate(keys):
        key = " ".join(key.split())
        if not key or (key.isascii() and len(key) < 2):  # "딸" is a key; "a" is not
            continue
        said = re.escape(key)
        if re.search(_EN_OWN + said + r"(?:'s|’s|s)?\b", text, re.IGNORECASE) or re.search(_KO_OWN + said, text):
            return i
    return None

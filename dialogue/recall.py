"""A question that asks for a fact of the user's she has stored ("do you remember what I do for work?", "내 이름
기억해?") is answered with it, exactly: "You're a nurse! 💪", "당연하지, 민지잖아! 😊".

The gate brings the right memory into the prompt for most such questions, but the 270M answer adapter often
leaves it unused or speaks it as her own ("Do you remember what I do for work?" with [job: nurse] → "I do a ton
of patient interviews…"). The opening is written only when the question asks for the very thing the memory's key
names (its slot: name, job, age, where the user lives, hometown, school, major, a favourite, or a person or pet
by relation), so a neighbour ("my mum's job" with the user's own job stored, "my dog's name" with a cat stored)
gets none and the model answers as before. The model is not asked to go on after it: on the validation recall
questions its continuations undid the answer as often as not ("당연하지, 민지잖아! 근데 내 이름은 지민이야").

Any other stored fact is said back the same way when the question names it and nothing else ("나 면접 언제라고
했지?" with [면접: 다음 주 화요일 오후 2시] → "당연하지, 다음 주 화요일 오후 2시잖아! 😊"). A question that asks to be
reminded (`asks_to_be_reminded`) is read against the user's nearest memories whatever the gate made of them
(`recall_from`), and when it names something none of them holds ("토플 시험 언제라고 했지?" with only a 토익 date stored)
she says she has not been told, instead of the model passing the neighbour off as the answer.
"""
from __future__ import annotations

import functools
import re
from collections.abc import Sequence

from dialogue.prompting import MONTHS_EN, WEEKDAYS_EN
from dialogue.question_cues import asks_about_her, is_question, names_her, person_markers

__all__ = ["asked_slots", "asks_about_someone_named", "asks_to_be_reminded", "asks_what_she_knows", "key_slot",
           "known_facts_answer", "memory_named", "names_index", "person_names", "recall_answer", "recall_from",
           "recall_opening"]

_KO_AFTER = r"(?=이|은|는|의|도|가|을|를|랑|한테|네|님|들|\s|$|[?!.,~ㅋㅎ])"  # a Korean word's particle, or its end


def _ko(*words: str) -> str:
    return r"(?<![가-힣])(?:" + "|".join(words) + ")" + _KO_AFTER


def _en(*words: str) -> str:
    return r"\b(?:" + "|".join(words) + r")\b"


# People and pets by relation: a question naming one asks about that one ("my son's name", "우리 딸 이름").
_RELATIONS = {
    "son": (_en("son"), _ko("아들")), "daughter": (_en("daughter"), _ko("딸")),
    "wife": (_en("wife"), _ko("아내", "와이프", "부인", "집사람", "안사람", "마누라")),
    "husband": (_en("husband"), _ko("남편", "신랑")),
    "girlfriend": (_en("girlfriend", "gf"), _ko("여자친구", "여친")),
    "boyfriend": (_en("boyfriend", "bf"), _ko("남자친구", "남친")),
    "grandson": (_en("grandson"), _ko("손자")), "granddaughter": (_en("granddaughter"), _ko("손녀")),
    "mother": (_en("mom", "mum", "mother", "mommy"), _ko("엄마", "어머니", "어머님")),
    "father": (_en("dad", "father", "daddy"), _ko("아빠", "아버지", "아버님")),
    "sister": (_en("sister", "sis"), _ko("언니", "누나", "여동생")),
    "brother": (_en("brother", "bro"), _ko("형", "오빠", "남동생")),
    "sibling": (_en("sibling"), _ko("동생")),
    "roommate": (_en("roommate", "flatmate"), _ko("룸메", "룸메이트")),
    "dog": (_en("dogs?", "puppy", "doggo", "pup"), _ko("강아지", "댕댕이", "개")),
    "cat": (_en("cats?", "kitty", "kitten"), _ko("고양이", "냥이")),
}
# What a question asks of the user's own facts, and the keys the memory role writes for each.
_SLOTS = {
    "name": (r"\bmy name\b|\bwho am i\b|\bwhat(?:'s| is| was)? ?my name\b|(?:^|[^가-힣])(?:내|제|나의|저의)\s*(?:이름|성함)"
             r"|(?:나|내가|저|제가)\s*누구(?:게|야|지|일까|냐|예요|에요|죠|였|인지)?(?=[\s?!~.,ㅋㅎ]*(?:$|이름|맞혀|맞춰|기억))"
             r"|^\s*(?:이름|성함)",
             r"^(?:name|first name|이름|성함)$"),
    "job": (r"\bjob\b|\bdo for (?:work|a living)\b|\bwhat (?:do|did) i do\b|\b(?:remember|know|recall) what i do\b"
            r"|\bwhere (?:do|did) i work\b"
            r"|\bwork as\b|직업|무슨 ?일|뭔 ?일|어디서 일|일한다|일하는지|직장|회사 어디",
            r"^(?:job|work|occupation|profession|career|직업|직장|일|회사)$"),
    "age": (r"\bhow old\b|\bmy age\b|몇 ?살|나이", r"^(?:age|나이)$"),
    "home": (r"\bwhere (?:do )?i live\b|\blive in\b|\bwhere i live\b|\bwhat city\b|어디 ?살|어디 ?산|사는 ?(?:곳|데|도시)|산다고",
             r"^(?:city|home|residence|location|lives|live|도시|거주지|사는 곳|지역|동네)$"),
    "hometown": (r"\bgr[eo]w up\b|\bgrown up\b|\bfrom originally\b|\boriginally from\b|\bwhere (?:am i|i'm|im|i am) "
                 r"(?:originally )?from\b|\bhometown\b|고향", r"^(?:hometown|고향|출신)$"),
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


# any word of `_RELATIONS` (one search where `_relations_in` runs one per relation)
_ANY_RELATION_EN = re.compile("|".join(en for en, _ in _RELATIONS.values()))
_ANY_RELATION_KO = re.compile("|".join(ko for _, ko in _RELATIONS.values()))


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


# A memory that is a person or pet and nothing else ("여자친구", "son", "반려동물", "best friend"), not a fact about one
# ("엄마 생신", "sister's move"): its value holds their name.
_PERSON_KEY = re.compile(
    r"^(?:(?:best|close|old|little|big|older|younger|new|my)\s)?(?:pets?|friend|partner|boss|co-?worker|colleague|crush|"
    r"fianc[eé]e?|mentor|neighbou?r|kids?|child|children|baby|grand\w*|hamster|parrot|rabbit|bird|turtle|hedgehog)$"
    r"|^(?:반려\S*|친구|베프|절친|애인|상사|팀장님?|동료|짝사랑|약혼자|선배|후배|아이|애기|자녀|조카|이웃)$", re.IGNORECASE)
_KIN_MODIFIERS = re.compile(r"\b(?:my|little|older|younger|big|baby|twin|teen|step)\b|\s", re.IGNORECASE)
_KO_DESCRIPTION = re.compile(r"(?:중|함|임|음|다|요|살|생|원|년|월|일|학년|개월|세)$"
                             r"|^(?:한|두|세|네|다섯|여섯|일곱|여덟|아홉|열|첫째|둘째|막내|외동)")
# what may follow a name said in Korean ("수아가", "하윤이랑"); a longer word is another word ("두부조림")
_KO_NAME_PARTICLES = ("이가", "이는", "이랑", "이도", "이를", "이한테", "이한텐", "이의", "이야", "이네", "가", "이", "는", "은",
                      "를", "을", "랑", "한테", "한텐", "에게", "도", "의", "야", "아", "께")
_EN_BEFORE_NAME = re.compile(r"^(?:named|called|a|an|my|teen|little|baby|older|younger|big|new|old)$", re.IGNORECASE)
_EN_NOT_NAMES = {w.lower() for w in (*MONTHS_EN, *WEEKDAYS_EN)} | {"i", "a", "an", "the", "my", "our"}


def _without_relations(text: str, korean: bool = True) -> str:
    """`text` with every word of `_RELATIONS` taken out (the English ones only when not `korean`)."""
    for en, ko in _RELATIONS.values():
        text = re.sub(en, "", text, flags=re.IGNORECASE)
        text = re.sub(ko, "", text) if korean else text
    return text


@functools.lru_cache(maxsize=4096)
def _person_key(key: str) -> bool:
    key = " ".join(key.split())  # keys repeat across memories and users: read each once
    has_relation = _ANY_RELATION_EN.search(key.lower()) is not None or _ANY_RELATION_KO.search(key) is not None
    return bool(_PERSON_KEY.match(key)) or has_relation and not _KIN_MODIFIERS.sub("", _without_relations(key))


def person_names(key: str, value: str) -> list[str]:
    """The names a memory of a person or pet holds ([여자친구: 수아], [반려동물: 고양이 나비] → 나비, [son: Ethan, 8],
    [pet: a cat named Nabi] → Nabi); none for any other memory ([사는 곳: 전주], [brother: lives in Ohio])."""
    if not _person_key(key):
        return []
    head = value.split(",")[0].strip()
    words = head.split()
    if re.search("[가-힣]", head):
        words = [w for w in words if not _relations_in(w)]
        last = words[-1] if words else ""
        return [last] if re.fullmatch("[가-힣]{2,4}", last) and not _KO_DESCRIPTION.search(last) else []
    return [w for i, w in enumerate(words)
            if re.fullmatch(r"[A-Z][a-z]+", w) and w.lower() not in _EN_NOT_NAMES
            and (i == 0 or _EN_BEFORE_NAME.match(words[i - 1]) or _relations_in(words[i - 1]))]


def names_index(memories: Sequence[tuple[str, str]]) -> dict[str, list[int]]:
    """Each name the memories of people and pets hold (`person_names`), with the indices of the memories holding it."""
    index: dict[str, list[int]] = {}
    for i, (key, value) in enumerate(memories):
        for name in person_names(key, value):
            index.setdefault(name, []).append(i)
    return index


def _words_as_names(message: str) -> set[str]:
    """What `message` may say as a name: each Korean word alone or without a particle ("수아가" → 수아; not "두부조림"),
    each English word as typed (a name capitalised: "Nabi keeps scratching", not "miso soup")."""
    words = set(re.findall("[A-Za-z0-9]+", message))
    for w in re.findall("[가-힣]+", message):
        words.add(w)
        words.update(w[:-len(p)] for p in _KO_NAME_PARTICLES if len(w) > len(p) and w.endswith(p))
    return words


def memory_named(message: str, memories: Sequence[tuple[str, str]], names: dict[str, list[int]] | None = None,
                 live: Sequence[bool] | None = None) -> int | None:
    """The index of the one memory of a person or pet whose name `message` says ("수아가 요즘 나한테 서운하대" with
    [여자친구: 수아]), or None. Not for a question asking to be reminded (the recall reads those), about her, or about
    something of theirs ("when is Olivia's birthday?": a neighbour of [wife: Olivia]), and not when another memory's
    key names them too ([초롱이 특기: 휘파람]: which one is asked is the gate's call). `names`: `names_index(memories)`,
    when the caller keeps one (the memory store does, per user); `live`: which memories count (all when None)."""
    if asks_to_be_reminded(message) or asks_about_her(message):
        return None
    names = names_index(memories) if names is None else names
    question = is_question(message)
    said = {i for name in _words_as_names(message) & names.keys()
            if not (question and re.search(rf"\b{re.escape(name)}(?:'s|’s)\b", message))
            for i in names[name] if live is None or live[i]}
    if len(said) != 1:
        return None
    (i,) = said
    named = [n.lower() for n in person_names(*memories[i])]
    if any(n in key.lower() for j, (key, _) in enumerate(memories) if live is None or live[j] for n in named):
        return None
    return i


_SOMEONE_OF_THEIRS = re.compile("(?:" + "|".join(en for en, _ in _RELATIONS.values()) + r")'s\s+(?!name\b)[a-z]+")
_SOMEONE_NAMED = re.compile(r"\b(?:does|did|is|was|has|will)\s+(?!I\b)[A-Z][a-z]+\b|\b(?!I\b)[A-Z][a-z]+'s\s+(?:job|age|name)\b")


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
    if _SOMEONE_NAMED.search(message):  # "what does Josh do for work?": Josh's, not the user's
        return set()
    low = message.lower()
    relations = _relations_in(message)
    if relations:
        if _SOMEONE_OF_THEIRS.search(low):  # "my son's teacher's name": not the son's
            return set()
        return relations if _ASKS_NAME.search(message) else set()
    if (noun := _favourite_noun(message)) is not None:
        return {f"fav:{noun}"}
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
    return slot, _said_back_ko(value.strip() + ("살" if slot == "age" and value.strip().isdigit() else ""), message)


def _said_back_ko(v: str, message: str) -> str:
    """A stored value said back in Korean, 존댓말 to a polite message: "당연하지, 치즈잖아!", "그럼요, 민준이요!"."""
    if _POLITE.search(message.strip()):
        return f"그럼요, {v}{'이요' if _batchim(v) else '요'}!"
    return f"당연하지, {v}{'이잖아' if _batchim(v) else '잖아'}!"


def recall_opening(message: str, key: str, value: str, lang: str) -> str | None:
    """The sentence that says the fact [key: value] when `message` asks for it, in `lang` ("You're Priya!",
    "당연하지, 소방관이잖아!", polite "그럼요, 민준이요!"); None when it asks for something else."""
    found = _recalled(message, key, value, lang)
    return None if found is None else found[1]


_EMOJI = {"name": "😊", "job": "💪", "age": "🎂", "home": "🏠", "hometown": "🏡", "highschool": "🏫", "school": "🏫",
          "major": "📚", "dog": "🐶", "cat": "🐱"}


# Any other stored fact is recalled when the question names it and nothing else: every word of substance in the
# question ("면접", "dentist", "trip") is in the memory's key or value, so a neighbour ("토플 시험 언제라고 했지?" with
# [토익: 6월 8일], "when's my eye doctor appointment?" with a dentist appointment stored) names a word it lacks.
_RECALL_WORDS_EN = {
    "what", "whats", "what's", "when", "whens", "when's", "where", "wheres", "where's", "who", "whos", "who's",
    "which", "how", "hows", "how's", "often", "time", "times", "day", "days", "date", "again", "remember", "remind",
    "recall", "forgot", "forget", "know", "me", "my", "mine", "i", "im", "i'm", "i'll", "id", "did", "do", "does",
    "you", "u", "ya", "your", "the", "a", "an", "that", "this", "is", "was", "are", "were", "be", "it", "its", "it's",
    "tell", "told", "say", "said", "mention", "mentioned", "thing", "lol", "lmao", "omg", "ugh", "wait", "right",
    "bet", "hey", "so", "oh", "ok", "okay", "please", "pls", "plz", "again?", "of", "for", "to", "at", "on", "in",
    "with", "and", "or", "about", "going", "go", "get", "got", "have", "has", "had", "kind", "name", "names",
    "called", "call", "gotta", "need", "needs", "set", "alarm", "losing", "track", "just", "still", "even",
    "actually", "we", "we're", "were", "our", "us", "gonna", "will", "would", "can", "could", "should", "up",
    "coming", "next", "start", "starting", "supposed", "exactly", "think", "thought", "sure", "quick", "real",
    "am", "new", "due", "drive", "meet", "meets", "text", "him", "her", "them", "buy", "bought", "leave", "leaves",
    "happening", "happens", "planned", "plan", "plans", "schedule", "stuff",
}
_RECALL_WORDS_KO = re.compile(
    r"^(?:나|난|내|내가|제|제가|저|저는|나의|우리|울|저희|혹시|그|거|그거|언제|언제야|언제였|언제라|뭐|뭐였|뭔|무슨|어디|어디서|어디로|누구|"
    r"몇|몇시|며칠|무엇|기억|기억나|기억해|알지|알아|까먹|잊|했|했지|했었|했더|했는|라고|다고|이라|였|였지|였더|더라|"
    r"이름|성함|날짜|시간|요일|ㅋ+|ㅎ+|아|야|좀|다시|또|진짜|그때|말|말했|얘기|얘기했|가|간|갔|한|하|할|본|보|있|있다|"
    r"붙었|샀|산|탄|뛴|뛰|요즘|최근|요새|시험|예약|과목|종류|계획)")
# a Korean word's particle or copula ending ("면접은", "출발이었지", "과목이라고", "시였는지")
_KO_ENDING = re.compile(r"(?:이었는지|였는지|이었지|이라고|이었|라고|다고|였|인지|는지|이야|이지|"
                        r"은|는|이|가|을|를|의|도|랑|이랑|에|에서|으로|로|한테|께|까지|부터|마다|야|지|요)$")
_RECALL_CUE = re.compile(r"\b(?:remember|recall|remind|forgot|again|told you|tell you|mentioned|did i (?:say|tell))\b|"
                         r"기억|까먹|잊|라고 ?했|다고 ?했|였더라|였지|엿지|엿더라|더라|였는지|알지", re.IGNORECASE)


# Words that place a question in time ("내일", "이번 주", "tomorrow"): they count when a memory holds them ("what's
# happening tomorrow?" with [tomorrow: sister's wedding]) and are no sign of a neighbour when none does.
_TIME_WORDS = {"오늘", "내일", "모레", "어제", "이번", "다음", "지난", "지난번", "주", "주에", "주말", "이번주", "다음주", "날",
               "올해", "작년", "내년", "today", "tomorrow", "yesterday", "tonight", "week", "weekend", "day", "last",
               "year", "month"}
# Words people use for the same stored thing ("알바" for [아르바이트: …], "sport" for [workout: …])
_SAME_THING = (("알바", "아르바이트"), ("약속", "일정"), ("운동", "헬스"), ("sport", "workout", "exercise"))


def _asking_part(message: str) -> str:
    """The sentences of `message` that ask ("what's happening tomorrow again? my brain is mush" → the first)."""
    sentences = [p for p in re.split(r"(?<=[?!.])\s+", message) if p.strip()]
    asking = [p for p in sentences if _RECALL_CUE.search(p) or _EN_ASKS.search(p) or _KO_ASKS.search(p)]
    return " ".join(asking) or message


def _content_words(message: str) -> list[str]:
    """The words of substance in a recall question, lowercased, particles and question words left out."""
    words = []
    for w in re.findall(r"[a-z0-9가-힣'$.,]+", _asking_part(message).lower()):
        w = w.strip("'.,?")
        if not w or w.isdigit():
            continue
        if re.search("[가-힣]", w):
            if _RECALL_WORDS_KO.match(w) and not re.match(r"^(?:내|제|우리|울|저희)\S+", w):
                continue
            w = re.sub(r"^(?:내|제|우리|울|저희)(?=\S{2,})", "", w)
            if len(w) == 2 and w[1] in "이가은는을를":  # a one-syllable noun and its particle ("꿈이", "차는")
                w = w[0]
            elif len(w) == 1 or _RECALL_WORDS_KO.fullmatch(w):  # one syllable alone ("새", "첫") says too little
                continue
            for _ in range(2):
                w = _KO_ENDING.sub("", w) if len(w) > 2 else w
            if _RECALL_WORDS_KO.fullmatch(w) or not w:
                continue
        else:
            w = re.sub(r"'s$", "", w)
            if w in _RECALL_WORDS_EN or len(w) < 2:
                continue
        words.append(w)
    return words


def _word_runs(text: str, n: int) -> list[list[str]]:
    words = re.findall(r"[a-z]+", text)
    return [words[i:i + n] for i in range(len(words) - n + 1)]


def _one_edit(a: str, b: str) -> bool:
    """Whether `a` and `b` differ by one inserted, dropped or changed letter ("roomate" / "roommate")."""
    if abs(len(a) - len(b)) > 1 or a == b:
        return a == b
    if len(a) > len(b):
        a, b = b, a
    i = next((k for k in range(len(a)) if a[k] != b[k]), len(a))
    return a[i + (len(a) == len(b)):] == b[i + 1:]


def _covered(word: str, memory: str) -> bool:
    if word in memory or _relations_in(word) & _relations_in(memory):  # "엄마" / [어머니 생신: …]
        return True
    if any(word in same and any(other in memory for other in same) for same in _SAME_THING):
        return True
    if 2 <= len(word) <= 4 and word.isalpha() and word.isascii():  # "PT" / "physical therapy", "SAT" as is
        initials = "".join(w[0] for w in re.findall(r"[a-z]+", memory))
        if word in initials and any("".join(w[0] for w in run) == word for run in _word_runs(memory, len(word))):
            return True
    if re.search("[가-힣]", word):  # a Korean word with an ending left on ("마감일", "출근하는", "먹는") by its stem
        if len(word) == 2 and word[1] in "는은을던":
            return word[0] in memory
        return len(word) >= 3 and word[:2] in memory
    stem = word[:5] if len(word) >= 6 else word.rstrip("s")  # "allergic" / "allergy"
    return len(stem) >= 4 and stem in memory or any(
        len(m) >= 5 and (m.startswith(word[:5]) or word.startswith(m[:5]) or len(word) >= 6 and _one_edit(word, m))
        for m in re.findall(r"[a-z]+", memory))


def _named_fact(message: str, key: str, value: str, lang: str) -> str | None:
    """The value of [key: value] said back when `message` asks to be reminded of it, naming nothing else."""
    # asked to be reminded, or asked what something of theirs is ("what time's my flight?", "when was the eye
    # doctor?"); not asked for advice a memory has words for ("how am I supposed to get to work today" with
    # [commute: cycles to work])
    if _ASKS_ADVICE.search(message) or not (_RECALL_CUE.search(message) or is_question(message)
                                            or _EN_ASKS.match(message.strip())):
        return None
    if _ASKS_HOW.search(message) or asks_about_her(message) or _TALKING_TO.search(message):
        return None
    memory = f"{key} {value}".lower()
    words = _content_words(message)
    if not any(_covered(w, memory) for w in words) \
            or not all(_covered(w, memory) for w in words if w not in _TIME_WORDS):
        return None
    if any(w in _TIME_WORDS and not _covered(w, memory) for w in words) \
            and any(t in _TIME_WORDS for t in re.findall(r"[a-z가-힣]+", memory)):
        return None  # "작년에 어디로 여행 갔다고 했지?" with [여행 계획: 다음 달 오사카]: another time
    if lang != "ko" and re.search(r"\bwho(?:'s| is| was)?\b", message, re.IGNORECASE) and not any(
            w[:1].isupper() and w.lower() not in message.lower() and w not in MONTHS_EN and w not in WEEKDAYS_EN
            for w in re.findall(r"[A-Za-z]+", value)):
        return None  # "who am I going to Lisbon with?" with [trip: Lisbon in June]: no one in it
    v = value.strip().rstrip(".!")
    if lang != "ko":
        v = re.sub(r"^(?:to|at|in|on)\s+", "", v, flags=re.IGNORECASE)
        v = re.sub(r"\b(?:my|our)\b", "your", re.sub(r"\bmine\b", "yours", v))  # "at my place" said back
        return f"{v[:1].upper()}{v[1:]}! You told me 😊"
    v = re.sub(r"(?<=[가-힣])(?:으로|로)$", "", v)  # "분당으로" said back as the place
    if re.search(r"(?:음|함|임|됨|중)$", v) and key.strip() not in v:  # [글루텐: 못 먹음]
        v = f"{key.strip()} {v}"
    return f"{_said_back_ko(v, message)} 😊"


# A question that asks to be reminded of something of the user's ("나 면접 언제라고 했지?", "what's my boss's name
# again?", "remind me when my flight is"), as opposed to asking about the day or about her.
_KO_ASKS = re.compile(r"언제|뭐|뭔|무슨|어디|누구|몇|며칠|어느|이름|성함")
_KO_REMINDED = re.compile(r"(?:라고|다고|냐고)\s?(?:했|그랬|말했)|기억|까먹|잊어|알지|아시죠|맞혀|맞춰")
_KO_WAS = re.compile(r"(?:였|이었|엿)(?:지|더라|는지|던가|나)|더라")
_KO_MINE = re.compile(r"(?<![가-힣])(?:나|내|내가|제|제가|우리|울|저희)(?![가-힣])|(?<![가-힣])(?:내|우리|저희)[가-힣]")
_EN_REMINDED = re.compile(r"\b(?:remember|recall|remind me|(?:you|u|ya) forgot|did (?:you|u) forget|again|"
                          r"did i (?:tell|say|mention)|i told (?:you|u)|what did i (?:say|tell)|i mentioned)\b", re.IGNORECASE)
_EN_MINE = re.compile(r"\b(?:my|i|me|mine|i'm|im)\b", re.IGNORECASE)
_EN_WH = re.compile(r"\b(?:what|whats|what's|when|whens|when's|where|wheres|where's|who|whos|who's|which|how)\b",
                    re.IGNORECASE)
_KO_ASKED_BACK = re.compile(r"(?:라고|다고)\s?(?:했|그랬|말했)|(?:였|이었|엿)(?:지|더라|는지|던가)|더라|기억(?:나|해|하|남|함)"
                            r"(?:니|냐|요|세요|시나요|하나)?[\s?!~.ㅋㅎ]*$")
_TELLS = re.compile(r"(?:내|제|나의|저의)\s?(?:이름|직업|나이|고향)(?:은|는)\s?\S+?(?:이야|야|예요|이에요|입니다|이고|고|임)(?![가-힣])"
                    r"|기억해\s?(?:줘|줄래|둬|두|주세요|놔|주라)|\bmy name(?:'s| is) \w+|\bremember (?:this|that|it)\b",
                    re.IGNORECASE)
_EN_POSSESSIVE = re.compile(r"\bmy\b", re.IGNORECASE)
_YOURS = re.compile(r"\b(?:your|ur|yours|urs)\b", re.IGNORECASE)
_ASKS_ADVICE = re.compile(r"\b(?:supposed to|should i|shall i|can i|could i|do i need|how (?:do|can|should|would) i)\b|"
                          r"해야\s?(?:돼|되|할까|하나|하지)|할까|어떡해|어떻게 해", re.IGNORECASE)
_REMINISCING = re.compile(r"\bremember (?:when|that time|how) (?:we|you|i)\b|\bremember me\b", re.IGNORECASE)
_NOT_TOLD = {"ko": "음, 그건 아직 못 들은 것 같아 🤔 알려 주면 꼭 기억해 둘게!",
             "polite": "음, 그건 아직 못 들은 것 같아요 🤔 알려 주시면 꼭 기억해 둘게요!",
             "en": "Hmm, I don't think you've told me that yet 🤔 Tell me and I'll remember it!"}


def asks_to_be_reminded(message: str, loosely: bool = False) -> bool:
    """Whether `message` asks her for something the user told her before, by what it was ("나 면접 언제라고
    했지?", "what's my boss's name again?"): not about her, not reminiscing ("remember when we…"). `loosely`:
    also a Korean "…였더라?" that does not say whose ("토익 시험 날짜 언제였더라?", but also "오늘 무슨
    요일이더라"), for a recall that needs a memory holding every word the question names."""
    if asks_about_her(message) or _REMINISCING.search(message) \
            or _YOURS.search(message) and not _EN_POSSESSIVE.search(message):  # "when's your birthday? I wanna remember it"
        return False
    if _TELLS.search(message):  # "내 이름은 민수야. 기억해 줘": a fact to keep, not one to give back
        return False
    if re.search("[가-힣]", message):
        return bool((_KO_REMINDED.search(message) or _KO_WAS.search(message) and (loosely or _KO_MINE.search(message)))
                    and _KO_ASKS.search(message) and (is_question(message) or _KO_ASKED_BACK.search(message)))
    return bool(_EN_REMINDED.search(message) and _EN_WH.search(message) and _EN_MINE.search(message))


# an English question about someone by name: "when's Elena's birthday?", "what does Josh do for work, remember?"
_EN_ABOUT_NAMED = re.compile(r"\b(?!I\b)([A-Z][a-z]+)(?:'s|’s)\s+\w+|\b(?:does|did|is|was|has)\s+(?!I\b)([A-Z][a-z]+)\b")


def asks_about_someone_named(message: str) -> bool:
    """Whether an English question asks something of someone it names ("when's Elena's birthday?"): a recall
    question when that someone is one of the user's stored people (`recall_from`)."""
    return bool(_EN_WH.search(message) and (is_question(message) or _EN_REMINDED.search(message))
                and _EN_ABOUT_NAMED.search(message))


def _stored_people_asked(message: str, memories: list[tuple[str, str]]) -> set[str]:
    """The names of the user's stored people or pets, known by their name alone ([boyfriend: Josh], not [son: Ethan,
    8]), that an English question asks something of."""
    if not asks_about_someone_named(message):
        return set()
    said = {a or b for a, b in _EN_ABOUT_NAMED.findall(message)}
    only_named = {n for k, v in memories for n in person_names(k, v) if _known_by_name_only(n, v)}
    return said & only_named


def _known_by_name_only(name: str, value: str) -> bool:
    """Whether a stored person or pet's `value` says nothing but `name` ("Josh", "a cat named Nabi"; not "Ethan, 8")."""
    rest = _without_relations(re.sub(re.escape(name), "", value, flags=re.IGNORECASE), korean=False)
    return not re.sub(r"\b(?:a|an|the|named|called|my)\b|[\s,.]", "", rest, flags=re.IGNORECASE)


def recall_from(message: str, memories: list[tuple[str, str]], lang: str,
                earlier: str = "") -> tuple[str, tuple[str, str] | None] | None:
    """Her answer to a question asking to be reminded of something (`asks_to_be_reminded`), from the user's
    `memories` (key, value; best-ranked first): (the answer, the memory it says) when exactly one memory holds
    what the question names; (she has not been told, None) when the question names something none of them
    holds, at least one word of it or a person of theirs nowhere in them ("토플 시험 언제라고 했지?" with only
    [토익: 6월 8일], "우리 엄마 알레르기 뭐였지?" with the user's own allergy) and nowhere in the `earlier`
    exchanges; None otherwise (the model answers)."""
    asked = asked_slots(message)
    someone = _stored_people_asked(message, memories)  # "when's Elena's birthday?" with [girlfriend: Elena]
    if not (asked or someone or asks_to_be_reminded(message, loosely=True)):
        return None
    found = {}
    for key, value in memories:
        answer = recall_answer(message, key, value, lang)
        if answer is not None:
            found.setdefault(answer, (key, value))
    if len(found) == 1:
        return next(iter(found.items()))
    if found or _TELLS.search(message):
        return None
    polite = lang == "ko" and _POLITE.search(message.strip())
    not_told = _NOT_TOLD["polite" if polite else lang if lang == "ko" else "en"], None
    if asked & set(_RELATIONS) and _ASKS_NAME.search(message) and any(
            (key_slot(k, v) in asked or _relations_in(v) & asked) and not _name_like(v) for k, v in memories):
        return not_told  # "우리 고양이들 이름 뭐였지?" with [반려동물: 고양이 두 마리]: the name was never said
    if not (someone or asks_to_be_reminded(message)):
        return None
    words = [w for w in _content_words(message) if w not in _TIME_WORDS and w not in {n.lower() for n in someone}]
    if not words:
        return None
    held = " ".join(f"{k} {v}".lower() for k, v in memories)
    covered = [_covered(w, held) for w in words]
    if any(covered) and not any(_relations_in(w) and not c for w, c in zip(words, covered)):
        return None  # part of it is stored: the model may still use it
    # said in this conversation, or a question about what was said in it ("whats the korean title again?")
    if earlier.strip() and (any(_covered(w, earlier.lower()) for w in words)
                            or not (_EN_POSSESSIVE.search(message) or _KO_MINE.search(message) or someone)):
        return None
    return not_told


_ASKS_WHAT_SHE_KNOWS = re.compile(
    r"나에\s?(?:대해|대해서|관해|관해서)\s?(?:뭐|뭘|아는|알고|기억|얼마나)|저에\s?(?:대해|대해서|관해)\s?(?:뭐|뭘|아는|알고|기억)|"
    r"\bwhat (?:do|did) (?:you|u) (?:know|remember) about me\b|\bwhat have i told (?:you|u)\b|"
    r"\btell me (?:what|everything) (?:you|u) (?:know|remember) about me\b", re.IGNORECASE)
KNOWN_FACTS_SAID = 4  # the most stored facts one answer lists


def asks_what_she_knows(message: str) -> bool:
    """Whether `message` asks what she knows about the user ("나에 대해 뭐 기억나는 거 있어?", "what do you know
    about me so far?")."""
    return bool(_ASKS_WHAT_SHE_KNOWS.search(message))


def known_facts_answer(message: str, memories: list[tuple[str, str]], lang: str) -> str:
    """Her answer to `asks_what_she_knows`: the user's stored facts (key, value; at most KNOWN_FACTS_SAID, in the
    order given) said back as theirs, or that she knows nothing yet."""
    polite = lang == "ko" and _POLITE.search(message.strip())
    items = [(k.strip(), v.strip().rstrip(".!")) for k, v in memories[:KNOWN_FACTS_SAID] if k.strip() and v.strip()]
    if lang == "ko":
        if not items:
            return ("아직 저에 대해 말씀해 주신 게 없는 것 같아요! 알려 주시면 꼭 기억할게요 😊" if polite
                    else "아직 나한테 알려 준 게 없는 것 같아! 너에 대해 얘기해 줘 😊")
        if len(items) == 1:
            (k, v), = items
            only = f"{k}{'이' if _batchim(k) else '가'} {v}{'이라는' if _batchim(v) else '라는'} 것만"
            return f"지금은 {only} 알아요! 더 알려 주세요 😊" if polite else f"지금은 {only} 알아! 더 알려 줘 😊"
        said = ", ".join(f"{k}{'은' if _batchim(k) else '는'} {v}" for k, v in items)
        return f"{said}! 다 기억하고 있{'어요' if polite else '지'} 😊"
    if not items:
        return "You haven't told me much yet! Tell me about yourself 😊"
    parts = [f"your {k} is {re.sub(r'^(?:my|our) ', 'your ', v)}" for k, v in items]
    if len(parts) == 1:
        return f"So far I only know {parts[0]}! Tell me more 😊"
    return f"I know {', '.join(parts[:-1])} and {parts[-1]}! 😊"


def recall_answer(message: str, key: str, value: str, lang: str) -> str | None:
    """Her whole answer when `message` asks for the fact [key: value] of the user's: the recall opening and an
    emoji ("You're Priya! 😊", "당연하지, 치즈잖아! 🐱"), or any other stored fact the question names and asks to be
    reminded of ("나 면접 언제라고 했지?" → "당연하지, 다음 주 화요일 오후 2시잖아! 😊"); None when it asks for
    something else."""
    found = _recalled(message, key, value, lang)
    if found is None:
        asked = asked_slots(message)
        # a slot asked of a memory that fills another, or a person's name ("you remember my son's name?" with
        # [kids: one son, 6]): the slot answers or nothing does
        if asked and (key_slot(key, value) is not None or "name" in asked
                      or asked & set(_RELATIONS) and _ASKS_NAME.search(message)):
            return None
        return _named_fact(message, key, value, lang)
    slot, said = found
    return f"{said} {_EMOJI.get(slot, '😊')}"

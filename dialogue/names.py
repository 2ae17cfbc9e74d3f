"""The user's name when a message plainly tells it ("my name is Aria", "I'm Ravi, 45, …", "제 이름은 이서연이고",
"저는 김지은이라고 해요"), read from the message itself.

The memory role keeps most facts of a self-introduction but often drops the name when other facts come with it
("I'm Jane, a nurse from Toronto" → job and city): its written training turns hold 39 told names among 11,700
messages. A companion that forgets the user's name is the failure users notice first, so a name told in one
of these unambiguous forms is added to what the role stored when the role stored none. Casual forms that read
as well as something else ("나 민지야" / "나 학생이야", "I'm Korean") are left to the role.
"""
from __future__ import annotations

import re

# keys the memory role writes for the user's own name (not a pet's, a sister's or a wife's)
USER_NAME_KEYS = frozenset({"이름", "사용자 이름", "내 이름", "성함", "name", "user name", "my name", "full name"})

_EN_NAME = r"([A-Z][a-zà-öø-ÿ]+(?:[-'][A-Z]?[a-zà-öø-ÿ]+)?)"
# "I'm Ravi," / "i am Ahmed, from Cairo" / "im Jake, I teach…": a capitalized word closed by a comma, the end,
# a number or a linking word; `_NOT_NAMES` is what else follows "I'm" with a capital letter.
_EN_INTRO = re.compile(r"(?:^|[\s,.!?])(?:I'm|I’m|i'm|i’m|Im|im|I am|i am)\s+" + _EN_NAME
                       + r"(?=\s*(?:[,.!;)]|$|\d|(?:and|btw|from|by the way|lol|haha)\b))")
# "my name is aria" (any case: the words say it is a name); "his name is …" and "her name's …" are someone else's
_EN_MY_NAME = re.compile(r"\b[Mm]y name(?:'s|’s| is)\s+([A-Za-zà-öø-ÿ]+(?:[-'][A-Za-zà-öø-ÿ]+)?)\b")
# "call me Jae" / "you can call me Jae": only at the start of the message, the name capitalized ("call me pls …",
# "the students call me mom" are not introductions)
_EN_CALL_ME = re.compile(r"^(?:(?:you can|just|pls|please)\s+)?call me\s+" + _EN_NAME + r"\b", re.IGNORECASE)
_NOT_NAMES = frozenset("""
i a an the so just not still also really very back home here there done fine good great ok okay sorry sure tired
bored busy free single married new old sick ready alive awake late early in out on off up down over pls please
later now tomorrow tonight maybe mom mum dad sis bro babe
korean american canadian british english scottish irish welsh australian indian chinese japanese taiwanese
vietnamese thai filipino indonesian malaysian singaporean french german dutch swedish norwegian danish finnish
spanish mexican brazilian argentinian colombian peruvian chilean italian portuguese greek turkish russian
ukrainian polish czech hungarian romanian egyptian nigerian kenyan ghanaian african european asian latino latina
arab persian iranian israeli pakistani bangladeshi nepali sri mongolian christian catholic muslim jewish
buddhist hindu atheist vegan vegetarian gay straight bi trans monday tuesday wednesday thursday friday saturday
sunday january february march april may june july august september october november december
""".split())

_KO_NAME = r"([가-힣]{2,4}?)"
_KO_COPULA = r"(?:이야|야|예요|이에요|에요|입니다|이고요|이고|고요|이구|임|이요|이다)"
_KO_END = r"(?=" + _KO_COPULA + r"?(?:[\s,.!~ㅎㅋ)]|$))"
# "제 이름은 이서연이고", "내 이름 수진이야": her own (내/제) name only; "강아지 이름은 콩이야" names someone else. Without
# a particle the name must end in a copula ("내 이름 틀리게 부름" is not one).
_KO_MY_NAME = re.compile(r"(?:내|제|나의|저의)\s*이름(?:은|는|이)\s*" + _KO_NAME + _KO_END
                         + r"|(?:내|제|나의|저의)\s*이름\s+" + _KO_NAME + r"(?=" + _KO_COPULA + r")")
# "저는 김지은이라고 해요", "난 준호라고 불러 줘"
_KO_CALLED = re.compile(r"(?:^|\s)(?:나는|난|저는|전)\s+(?:그냥\s+)?" + _KO_NAME
                        + r"(?:이)?라고\s*(?:해|합니다|하고|불러|부르)(?!.*\?)")
_NOT_KO_NAMES = frozenset("아직 그냥 진짜 비밀 모르 몰라".split())


def told_name(message: str) -> tuple[str, str] | None:
    """(key, name) when the message plainly tells the user's own name, else None: ("name", "Ravi"),
    ("이름", "이서연")."""
    for pattern in (_KO_MY_NAME, _KO_CALLED):
        m = pattern.search(message)
        name = m and next(g for g in m.groups() if g)
        if name and name not in _NOT_KO_NAMES and not name.startswith(("뭐", "뭔")):
            return "이름", name
    for pattern in (_EN_MY_NAME, _EN_INTRO, _EN_CALL_ME):
        m = pattern.search(message)
        if m and m.group(1).lower() not in _NOT_NAMES:
            name = m.group(1)
            return "name", name[0].upper() + name[1:]
    return None


def with_told_name(items: list[tuple[str, str]], message: str) -> list[tuple[str, str]]:
    """The memory role's items, plus the user's name when the message plainly tells it and no item holds it."""
    if any(key.strip().lower() in USER_NAME_KEYS for key, _ in items):
        return items
    name = told_name(message)
    return [*items, name] if name else items

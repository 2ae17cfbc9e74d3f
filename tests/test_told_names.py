"""A name the user plainly tells is kept even when the memory role leaves it out (dialogue/names.py)."""
import pytest

from dialogue.names import told_name, with_told_name


@pytest.mark.parametrize("message,name", [
    ("I'm Jane, a nurse from Toronto", ("name", "Jane")),
    ("hey! im Jake, I teach high school chemistry in Denver", ("name", "Jake")),
    ("hello i am Ahmed, from Cairo, studying civil engineering", ("name", "Ahmed")),
    ("I'm Ravi, 45, dad of three", ("name", "Ravi")),
    ("I garden and I play bridge on tuesdays. my name is dorothy", ("name", "Dorothy")),
    ("you can call me Jae", ("name", "Jae")),
    ("제 이름은 이서연이고 세종시 공무원이에요", ("이름", "이서연")),
    ("내 이름 수진이야 ㅎㅎ 스무살이고 대학 새내기!", ("이름", "수진")),
    ("저는 세종시에 사는 공무원이고 제 이름은 김현우입니다", ("이름", "김현우")),
    ("저는 김지은이라고 해요. 대전에서 초등학교 교사로 일하고 있어요", ("이름", "김지은")),
])
def test_a_plainly_told_name_is_read(message, name):
    assert told_name(message) == name


@pytest.mark.parametrize("message", [
    "I'm Korean, living in Busan",          # a nationality, not a name
    "I'm so tired.",
    "his name is Daniel, we've been together 5 years",  # someone else's
    "her name's Mochi, she's 2 and pure chaos",
    "call me pls i cant sleep",
    "the younger students call me mom lol",
    "나 이번에 강아지 입양했어! 시바견이고 이름은 보리",  # the dog's
    "ㅋㅋ 교수님이 내 과제 칭찬하면서 내 이름 틀리게 부름",
    "이름이 뭐야?",
    "누나라고 불러도 돼?",
    "내 이름 뭐게?",
    "",
])
def test_what_is_not_her_users_own_name_is_left_alone(message):
    assert told_name(message) is None


def test_the_name_is_added_only_when_the_role_left_it_out():
    role = [("job", "nurse"), ("city", "Toronto")]
    assert with_told_name(role, "I'm Jane, a nurse from Toronto") == [*role, ("name", "Jane")]
    assert with_told_name([("name", "Jane")], "I'm Jane, a nurse") == [("name", "Jane")]
    assert with_told_name([("이름", "민수")], "제 이름은 민수예요") == [("이름", "민수")]
    assert with_told_name([("반려동물 이름", "콩이")], "제 이름은 지우예요") == [("반려동물 이름", "콩이"), ("이름", "지우")]
    assert with_told_name([], "오늘 날씨 좋다") == []

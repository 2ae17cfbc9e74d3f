"""A question asking for a fact of the user's she has stored is answered with it (dialogue.recall): only when
the question asks for the very thing the memory's key names, never for a neighbour or a question about her."""
from __future__ import annotations

import pytest

from dialogue.recall import asked_slots, key_slot, recall_answer, recall_opening


@pytest.mark.parametrize("message, key, value, lang, opening", [
    ("hey! do you remember my name? it's been a while lol", "name", "Priya", "en", "You're Priya!"),
    ("what did I say my name was", "name", "Hugo", "en", "You're Hugo!"),
    ("Do you remember what I do for a living?", "job", "pharmacist", "en", "You're a pharmacist!"),
    ("whats my job lol", "job", "architect", "en", "You're an architect!"),
    ("do u remember where i live", "city", "Sacramento", "en", "You live in Sacramento!"),
    ("bet you forgot where i grew up", "hometown", "Galway", "en", "You're from Galway!"),
    ("how old am i, according to you?", "age", "45", "en", "You're 45!"),
    ("whats my cats name", "cat", "Pickles", "en", "Your cat is Pickles!"),
    ("what's my fave food again", "favourite food", "pho", "en", "Your favourite food is pho!"),
    ("ok testing u. what's my dog called?", "pet", "a dog named Biscuit", "en", "Your dog is Biscuit!"),
    ("나 무슨 일 한다고 했는지 기억나?", "직업", "소방관", "ko", "당연하지, 소방관이잖아!"),
    ("내가 몇 살이라고 했더라", "나이", "27", "ko", "당연하지, 27살이잖아!"),
    ("우리집 고양이 이름 뭐였게 ㅋㅋ", "고양이", "치즈", "ko", "당연하지, 치즈잖아!"),
    ("로라야, 우리 손자 이름이 뭐라고 했었죠? 나이 드니 자꾸 까먹네요", "손자", "민준", "ko", "그럼요, 민준이요!"),
    ("저희 강아지 이름 생각나세요?", "강아지", "뽀삐", "ko", "그럼요, 뽀삐요!"),
])
def test_a_question_for_the_stored_fact_opens_with_it(message, key, value, lang, opening):
    assert recall_opening(message, key, value, lang) == opening


@pytest.mark.parametrize("message, key, value", [
    ("what's my mom's name again?", "name", "Jane"),                # someone else's name
    ("do you remember my dog's name?", "pet", "a cat named Nabi"),  # another animal
    ("우리 엄마 직업이 뭐였는지 기억해?", "직업", "간호사"),            # mum's job, the user's stored
    ("what's my favourite Arctic Monkeys song, do you know?", "favourite band", "Arctic Monkeys"),
    ("내가 지원하려던 대학 이름 기억나?", "학교", "고3"),               # a school applied to, not the one attended
    ("which high school did I go to?", "school", "UCLA"),
    ("how old are you anyway?", "age", "41"),                       # questions about her
    ("로라는 고등학교 어디 다녔어? 난 대성고 나왔잖아", "고등학교", "대성고"),
    ("barre chords sound buzzy no matter what I do", "job", "chef"),  # no question for a fact
    ("I'm a nurse, and you?", "job", "nurse"),
    ("my name and my job, do you remember both?", "name", "Jane"),  # two things asked
    ("wait how do you know my name", "name", "Tom"),                 # how she knows, not what
])
def test_no_opening_for_a_neighbour_her_or_no_recall(message, key, value):
    assert recall_opening(message, key, value, "en") is None


def test_slots():
    assert asked_slots("내 남친 이름 기억함??") == {"boyfriend"}
    assert key_slot("남자친구", "준호") == "boyfriend"
    assert key_slot("반려동물", "강아지 콩이") == "dog" and key_slot("pet", "a hamster") is None
    assert key_slot("엄마 직업", "간호사") is None  # someone's job, not the user's nor a person
    assert asked_slots("오늘 날씨 좋다") == set()


def test_the_whole_answer_is_the_opening_and_an_emoji():
    assert recall_answer("우리집 고양이 이름 뭐였게 ㅋㅋ", "고양이", "치즈", "ko") == "당연하지, 치즈잖아! 🐱"
    assert recall_answer("hey! do you remember my name?", "name", "Priya", "en") == "You're Priya! 😊"
    assert recall_answer("what's my mom's name?", "name", "Priya", "en") is None


@pytest.mark.parametrize("message, key, value", [
    ("hey who am i talking to? what's ur name", "name", "Carmen"),  # texting's "ur": her name
    ("how old r u? ur like my age right", "age", "16"),
])
def test_texting_second_person_asks_about_her(message, key, value):
    assert recall_answer(message, key, value, "en") is None


def test_recall_frames_in_texting_still_ask_about_the_user():
    assert recall_answer("do u remember where i live", "city", "Leeds", "en") == "You live in Leeds! 🏠"
    assert recall_answer("ok testing u. what's my dog called?", "dog", "Biscuit", "en") == "Your dog is Biscuit! 🐶"


@pytest.mark.parametrize("message, key, value", [
    ("what's my mom's name again?", "mom", "lives in Ohio"),       # another fact about her, not her name
    ("우리 누나 이름 기억나?", "누나", "미국에서 유학 중"),
    ("which company does my brother work for?", "brother", "Jake"),  # not his name that is asked
    ("나 이사 오기 전에 어디 살았다고 했지?", "사는 곳", "부산 해운대"),  # where the user lived before
])
def test_a_person_by_name_only_and_where_the_user_lives_now(message, key, value):
    lang = "ko" if any("가" <= c <= "힣" for c in message) else "en"
    assert recall_answer(message, key, value, lang) is None


def test_polite_when_the_message_is_honorific_anywhere():
    assert recall_answer("내가 우리 손자 이름 얘기했었나요? 기억하시려나", "손자", "준우", "ko") == "그럼요, 준우요! 😊"
    assert recall_answer("우리 딸 이름 기억하시나", "딸", "은정", "ko") == "그럼요, 은정이요! 😊"
    assert recall_answer("내 여친 이름 기억하지?", "여자친구", "수진", "ko") == "당연하지, 수진이잖아! 😊"


@pytest.mark.parametrize("message, key, value, lang, answer", [
    ("나 면접 언제라고 했지?", "면접", "다음 주 화요일 오후 2시", "ko", "당연하지, 다음 주 화요일 오후 2시잖아! 😊"),
    ("치과 예약 몇 시라고 했었지", "치과", "목요일 오후 4시", "ko", "당연하지, 목요일 오후 4시잖아! 😊"),
    ("엄마 생신 며칠이라고 했는지 기억하고 있어?", "어머니 생신", "4월 12일", "ko", "당연하지, 4월 12일이잖아! 😊"),
    ("할머니 수술 날짜 언제라고 했는지 기억해요?", "할머니 수술", "다음 주 월요일", "ko", "그럼요, 다음 주 월요일이요! 😊"),
    ("나 어디로 이사 간다고 했더라", "이사", "다음 주 토요일 분당으로", "ko", "당연하지, 다음 주 토요일 분당이잖아! 😊"),
    ("what time was my dentist thing again?", "dentist appointment", "Thursday 3pm", "en", "Thursday 3pm! You told me 😊"),
    ("Where am I moving to, remember?", "moving", "to Denver at the end of June", "en",
     "Denver at the end of June! You told me 😊"),
    ("Do you remember what I'm allergic to?", "allergy", "peanuts", "en", "Peanuts! You told me 😊"),
    ("whats my landlords name, i gotta text him", "landlord", "Mr. Patel", "en", "Mr. Patel! You told me 😊"),
    ("remind me which days i have PT?", "knee injury", "physical therapy Wednesdays", "en",
     "Physical therapy Wednesdays! You told me 😊"),                                 # initials
    ("whats my roomate's name again", "roommate", "Tyler", "en", "Tyler! You told me 😊"),  # a typo
    ("remind me what time my housewarming is lol", "housewarming", "Saturday at 6, at my place", "en",
     "Saturday at 6, at your place! You told me 😊"),                                # said back as theirs
])
def test_a_question_naming_a_stored_fact_is_answered_with_it(message, key, value, lang, answer):
    assert recall_answer(message, key, value, lang) == answer


@pytest.mark.parametrize("message, key, value", [
    ("토플 시험 언제라고 했지?", "토익", "6월 8일"),                   # another exam
    ("나 피부과 예약 언제였더라?", "치과", "다음 주 월요일 오전 10시"),     # another appointment
    ("중간고사 언제라고 했는지 기억나?", "기말고사", "6월 15일 자료구조"),
    ("우리 엄마 알레르기 뭐였는지 기억해?", "알레르기", "새우"),            # someone else's allergy
    ("강릉 여행 언제 간다고 했었지?", "부산 여행", "다음 달 첫째 주"),
    ("when's my eye doctor appointment?", "dentist appointment", "Tuesday 9am"),
    ("when's my Microsoft interview again?", "interview", "Amazon, Friday 1pm"),
    ("where's my best friend moving to, do you remember?", "moving", "to Portland on the 30th"),
    ("what's my son's teacher's name?", "son", "Ethan"),               # someone of the son's
    ("my dentist appointment is on thursday", "dentist appointment", "Thursday 3pm"),  # told, not asked
    ("how do you know when my dentist appointment is?", "dentist appointment", "Thursday 3pm"),
])
def test_a_neighbour_of_a_stored_fact_gets_no_recall(message, key, value):
    lang = "ko" if any("가" <= ch <= "힣" for ch in message) else "en"
    assert recall_answer(message, key, value, lang) is None


def test_recall_reads_every_nearest_memory_and_says_when_she_was_not_told():
    from dialogue.recall import asks_to_be_reminded, recall_from

    held = [("토익", "6월 8일"), ("동생", "수빈")]
    assert recall_from("토익 시험 언제였더라?", held, "ko") == ("당연하지, 6월 8일이잖아! 😊", ("토익", "6월 8일"))
    assert recall_from("토플 시험 언제라고 했지?", held, "ko")[1] is None        # another exam: not told
    assert recall_from("우리 엄마 알레르기 뭐였는지 기억해?", [("알레르기", "새우")], "ko")[1] is None  # someone else's
    assert recall_from("제 피부과 예약 언제라고 했었죠?", [("치과", "월요일")], "ko")[0].endswith("기억해 둘게요!")
    assert recall_from("when's my eye doctor appointment again?", [("dentist", "Tuesday 9am")], "en")[1] is None
    assert recall_from("토익 점수 잘 나왔어!", held, "ko") is None               # no question
    assert recall_from("what day is it again?", held, "en") is None               # not the user's
    assert recall_from("remember when we talked about dogs?", held, "en") is None
    # named in the conversation so far: the model answers from it
    assert recall_from("토플 시험 언제라고 했지?", held, "ko", earlier="나 토플 토요일에 봐 / 화이팅!") is None
    assert asks_to_be_reminded("나 면접 언제라고 했지?") and not asks_to_be_reminded("오늘 무슨 요일이더라")
    assert not asks_to_be_reminded("너 생일 언제라고 했지?")                     # about her


@pytest.mark.parametrize("message, memories, lang, expected", [
    ("what sport did I tell you I do?", [("workout", "climbing three times a week")], "en",
     "Climbing three times a week! You told me 😊"),                                # the same thing, another word
    ("나 무슨 알바 한다고 했지", [("아르바이트", "편의점 야간")], "ko", "당연하지, 편의점 야간이잖아! 😊"),
    ("내 꿈이 뭐라고 했었지?", [("꿈", "카페 창업")], "ko", "당연하지, 카페 창업이잖아! 😊"),   # a one-syllable noun
    ("우리 집사람 이름이 뭐였는지 기억나요?", [("아내 이름", "윤미경")], "ko", "그럼요, 윤미경이요! 😊"),
    ("do you remember where I'm originally from?", [("hometown", "Manila")], "en", "You're from Manila! 🏡"),
    ("what's happening tomorrow again? my brain is mush", [("tomorrow", "sister's wedding")], "en",
     "Sister's wedding! You told me 😊"),                                             # the asking sentence only
])
def test_recall_reads_what_the_question_names(message, memories, lang, expected):
    from dialogue.recall import recall_from

    assert recall_from(message, memories, lang)[0] == expected


@pytest.mark.parametrize("message, memories, lang", [
    ("작년에 내가 어디로 여행 갔다고 했었지?", [("여행 계획", "다음 달 오사카")], "ko"),   # another time
    ("who am I going to Lisbon with again?", [("trip", "Lisbon in June")], "en"),      # no one in it
    ("나 이번 주에 무슨 날인지 알지?", [("생일", "10월 27일")], "ko"),                  # for the model to work out
])
def test_no_recall_and_no_not_told_when_the_memory_only_half_answers(message, memories, lang):
    from dialogue.recall import recall_from

    assert recall_from(message, memories, lang) is None


@pytest.mark.parametrize("message, memories, lang", [
    ("우리 고양이들 이름 뭐였지?", [("반려동물", "고양이 두 마리")], "ko"),      # the cats, never their names
    ("you remember my son's name?", [("kids", "one son, 6")], "en"),
    ("내 동생은 몇 살이라고 했지?", [("나이", "29")], "ko"),                   # the sibling's age, not the user's
])
def test_not_told_when_only_a_neighbour_is_stored(message, memories, lang):
    from dialogue.recall import recall_from

    assert recall_from(message, memories, lang)[1] is None


def test_what_she_knows_about_the_user():
    from dialogue.recall import asks_what_she_knows, known_facts_answer

    assert asks_what_she_knows("나에 대해 뭐 기억나는 거 있어?") and asks_what_she_knows("what do you know about me so far?")
    assert not asks_what_she_knows("what do you know about black holes?")
    assert known_facts_answer("나에 대해 아는 거 다 말해봐", [("이름", "서연"), ("직업", "간호사"), ("근무", "3교대")], "ko") \
        == "이름은 서연, 직업은 간호사, 근무는 3교대! 다 기억하고 있지 😊"
    assert known_facts_answer("what do you know about me?", [("name", "Priya"), ("hometown", "Leicester")], "en") \
        == "I know your name is Priya and your hometown is Leicester! 😊"
    assert known_facts_answer("what do you know about me?", [], "en").startswith("You haven't told me much yet")


def test_who_in_a_question_about_a_plan_and_a_slot_word_in_a_key_still_recall():
    from dialogue.recall import asked_slots, known_facts_answer, recall_from

    assert asked_slots("나 누구 결혼식 간다고 했었는지 기억나니") == set() and asked_slots("나 누구게~? 이름 맞혀봐") == {"name"}
    assert recall_from("나 누구 결혼식 간다고 했었는지 기억나니", [("결혼식", "5월 25일 친구 결혼식 축가")], "ko")[1] \
        == ("결혼식", "5월 25일 친구 결혼식 축가")
    assert recall_from("when do i start the new job again", [("job start", "Monday the 4th at Deloitte")], "en")[0] \
        == "Monday the 4th at Deloitte! You told me 😊"
    assert known_facts_answer("나에 대해 아는 거 다 말해봐", [("이름", "서연")], "ko") == "지금은 이름이 서연이라는 것만 알아! 더 알려 줘 😊"


def test_a_question_about_her_that_says_remember_is_not_a_recall():
    from dialogue.recall import asks_to_be_reminded, recall_from

    assert not asks_to_be_reminded("when's your birthday? I wanna remember it")
    assert recall_from("when's your birthday? I wanna remember it", [], "en") is None
    assert asks_to_be_reminded("what's my mom's name again? your memory is better than mine")


def test_a_slot_question_reads_the_store_and_a_plain_question_is_no_recall():
    from dialogue.recall import recall_answer, recall_from

    assert recall_from("where did I grow up?", [("name", "Hannah"), ("hometown", "Leeds")], "en")[0] == "You're from Leeds! 🏡"
    assert recall_from("what's my weekend plan again", [("weekend", "camping with friends")], "en")[0] \
        == "Camping with friends! You told me 😊"
    # a question the memory has words for but that asks for advice, not to be reminded
    assert recall_answer("how am I supposed to get to work today", "commute", "cycles to work", "en") is None


def test_a_fact_told_with_remember_it_is_not_a_question():
    from dialogue.recall import asks_to_be_reminded, recall_from

    assert not asks_to_be_reminded("안녕! 내 이름은 민수야. 기억해 줘")
    assert recall_from("안녕! 내 이름은 민수야. 기억해 줘", [], "ko") is None
    assert not asks_to_be_reminded("my name is Jane, remember it!")


def test_first_person_questions_recall_and_someone_elses_do_not():
    from dialogue.recall import asked_slots, recall_answer

    assert recall_answer("what am I allergic to, do you know?", "allergy", "peanuts", "en") == "Peanuts! You told me 😊"
    assert recall_answer("What kind of bike did I get?", "new bike", "Trek Domane", "en") == "Trek Domane! You told me 😊"
    assert asked_slots("what does Josh do for work, remember?") == set()
    assert recall_answer("what does Josh do for work, remember?", "job", "nurse", "en") is None


@pytest.mark.parametrize("message, memories, named", [
    ("수아가 요즘 나한테 서운하대", [("고향", "광주"), ("여자친구", "수아")], 1),
    ("하윤이가 유치원에서 상 받아왔어!", [("남편", "요리사"), ("딸", "다섯 살 하윤")], 1),
    ("감자 오늘 산책하다 엉덩이 흔드는 거 개귀여웠음", [("반려동물", "웰시코기 감자")], 0),
    ("Nabi keeps scratching the couch, any tips?", [("job", "nurse"), ("pet", "a cat named Nabi")], 1),
    ("What should I wear to the wedding? Sophie says it's outdoors.", [("granddaughter", "Sophie, getting married")], 0),
    ("Dev left dirty dishes in the sink for a week again", [("roommate", "Dev, messy")], 0),
    # a name that is also a word, used as the word
    ("두부조림 레시피 좀 알려줘", [("강아지", "포메 두부")], None),
    ("easy miso soup recipe? nothing fancy", [("cat", "Miso")], None),
    # a memory that is not a person or pet, or a fact about one
    ("Ohio State won by 40 last night lol", [("brother", "lives in Ohio")], None),
    ("주식 전주 대비 3% 빠졌어 ㅠ", [("사는 곳", "전주")], None),
    ("엄마 생신 토요일 맞지? 케이크 예약해야 되는데", [("엄마 생신", "이번 주 토요일")], None),
    # asked to be reminded, or another memory is about them: not this rule's call
    ("나비 말고 우리 집 강아지 이름 기억나?", [("반려동물", "고양이 나비")], None),
    ("초롱이가 뭘 잘한다고 했었지 내가?", [("반려동물", "앵무새 초롱이"), ("초롱이 특기", "휘파람")], None),
    ("Olivia and Ethan are fighting again", [("wife", "Olivia"), ("son", "Ethan, 8")], None),  # two people: the gate's
    ("do you remember when Olivia's birthday is?", [("wife", "Olivia")], None),  # something of hers, not stored
    ("Chris's sister is visiting, what's her name again?", [("boyfriend", "Chris")], None),
])
def test_a_memory_is_named_only_by_a_person_or_pets_name_said_as_one(message, memories, named):
    from dialogue.recall import memory_named

    assert memory_named(message, memories) == named


@pytest.mark.parametrize("message, memories, not_told", [
    ("do you remember when Olivia's birthday is?", [("wife", "Olivia"), ("anniversary", "May 18")], True),
    ("when's Elena's birthday?", [("girlfriend", "Elena"), ("together since", "last Christmas")], True),
    ("what does Josh do for work, remember?", [("boyfriend", "Josh"), ("job", "nurse")], True),
    ("what's Nabi's favourite toy?", [("pet", "a cat named Nabi")], True),
    # stored with more than a name: the model may use it; a name she does not know: a question about the world
    ("how old is Ethan again?", [("son", "Ethan, 8")], False),
    ("what's Taylor Swift's best album?", [("boyfriend", "Josh")], False),
    ("Is Josh coming tonight?", [("boyfriend", "Josh")], False),  # no question word: not a recall question
])
def test_a_question_about_a_stored_person_she_knows_only_by_name_is_answered_not_told(message, memories, not_told):
    from dialogue.recall import recall_from

    found = recall_from(message, memories, "en")
    assert (found is not None and found[1] is None and "told me" in found[0]) is not_told

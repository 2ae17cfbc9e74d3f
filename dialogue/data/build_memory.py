"""Build dialogue/data/memory_cases.jsonl: (stored memories, question) -> the memory to retrieve or none.

A case stores 3–8 facts (in the language of the conversation) of one user and asks a question: either about one stored fact (its key is the
answer) or about nothing stored (persona questions, small talk, facts the user never told). Facts are
the groups: validation and test cases ask about facts the threshold was never calibrated on.
Run: python -m dialogue.data.build_memory
"""
from __future__ import annotations

import json
import random
from pathlib import Path

OUT = Path(__file__).with_name("memory_cases.jsonl")

# key, value, questions that need this memory (Korean, English)
FACTS = [
    ("내일 일정", "친구랑 카페 방문", ["내일 뭐 하지?", "나 내일 약속 있었나?"], ["what am I doing tomorrow?", "do I have plans tomorrow?"]),
    ("오늘 날씨", "맑음", ["오늘 날씨 어때?", "오늘 우산 필요할까?"], ["how's the weather today?", "do I need an umbrella today?"]),
    ("반려동물", "강아지 초코", ["우리 강아지 이름 기억나?", "내가 키우는 동물이 뭐였지?"], ["do you remember my dog's name?", "what pet do I have?"]),
    ("좋아하는 음식", "떡볶이", ["내가 제일 좋아하는 음식 알아?", "나 뭐 먹는 거 좋아하더라?"], ["do you know my favourite food?", "what food do I like?"]),
    ("전공", "컴퓨터공학", ["내 전공이 뭐였지?", "나 무슨 과인지 기억해?"], ["what's my major again?", "remember what I study?"]),
    ("다음 주 일정", "월요일 오전 10시 면접", ["다음 주에 나 중요한 일 있었지?", "면접 언제라고 했더라?"], ["do I have something important next week?", "when was my interview?"]),
    ("취미", "기타 연주", ["내 취미가 뭐라고 했지?", "나 요즘 뭐 배운다고 했더라?"], ["what did I say my hobby was?", "what instrument am I learning?"]),
    ("사는 곳", "부산 해운대", ["나 어디 산다고 했지?", "우리 동네 기억해?"], ["where do I live?", "remember my neighbourhood?"]),
    ("생일", "5월 3일", ["내 생일 언제게?", "내 생일 기억해?"], ["when is my birthday?", "do you remember my birthday?"]),
    ("좋아하는 가수", "아이유", ["내가 좋아하는 가수 누구였지?", "나 누구 팬이라고 했더라?"], ["who's my favourite singer?", "whose fan am I?"]),
    ("알레르기", "땅콩 알레르기", ["나 못 먹는 음식 있었지?", "내 알레르기 기억나?"], ["is there food I can't eat?", "remember my allergy?"]),
    ("직업", "초등학교 교사", ["내 직업이 뭐였지?", "나 무슨 일 한다고 했지?"], ["what's my job?", "what do I do for work?"]),
    ("오늘 기분", "시험 때문에 우울함", ["나 오늘 기분 어떻다고 했지?", "아까 내가 왜 우울하다고 했지?"], ["how did I say I felt today?", "why was I feeling down earlier?"]),
    ("운동", "매일 아침 러닝 5km", ["나 운동 뭐 한다고 했지?", "내가 아침마다 뭐 하더라?"], ["what exercise do I do?", "what do I do every morning?"]),
    ("가족", "여동생 한 명", ["나 형제 있었던가?", "우리 가족 얘기 기억나?"], ["do I have siblings?", "remember my family?"]),
    ("주말 계획", "제주도 여행", ["이번 주말에 나 어디 간다고 했지?", "주말에 뭐 하기로 했더라?"], ["where am I going this weekend?", "what are my weekend plans?"]),
    ("좋아하는 영화", "인터스텔라", ["내가 제일 좋아하는 영화 알아?", "나 무슨 영화 좋아했지?"], ["what's my favourite movie?", "which film do I love?"]),
    ("목표", "올해 토익 900점", ["내 올해 목표가 뭐였지?", "나 무슨 시험 준비한다고 했지?"], ["what's my goal this year?", "which test am I preparing for?"]),
    ("싫어하는 음식", "오이", ["나 싫어하는 음식 기억해?", "내가 못 먹겠다고 한 거 뭐였지?"], ["do you remember what food I hate?", "what did I say I can't stand eating?"]),
    ("내일 일정", "치과 예약 오후 2시", ["내일 몇 시에 어디 가야 하지?", "내일 병원 가는 날이었나?"], ["where do I need to be tomorrow afternoon?", "do I have a doctor's appointment tomorrow?"]),
    ("회사", "판교 IT 스타트업", ["나 어느 회사 다닌다고 했지?", "내 직장 어디였더라?"], ["which company do I work at?", "where's my workplace?"]),
    ("최근 고민", "이직할지 고민 중", ["요즘 내가 뭐 고민한다고 했지?", "내 고민 기억나?"], ["what was I worried about lately?", "remember what's been bothering me?"]),
    ("좋아하는 계절", "가을", ["내가 좋아하는 계절이 뭐였지?", "나 어느 계절 좋아한다고 했어?"], ["which season do I like best?", "what's my favourite season?"]),
    ("고양이", "이름은 나비, 3살", ["우리 고양이 몇 살이었지?", "내 고양이 이름 알아?"], ["how old is my cat?", "do you know my cat's name?"]),
    ("오늘 점심", "김치찌개", ["나 오늘 점심 뭐 먹었다고 했지?", "아까 점심 메뉴 기억나?"], ["what did I have for lunch today?", "remember my lunch?"]),
    ("자격증", "정보처리기사 준비 중", ["나 무슨 자격증 공부한다고 했지?", "내가 따려는 자격증 기억해?"], ["which certificate am I studying for?", "remember the certification I'm working on?"]),
    ("차", "흰색 아반떼", ["내 차 무슨 차였지?", "나 차 있다고 했던가?"], ["what car do I drive?", "did I tell you I have a car?"]),
    ("오늘 일정", "저녁 7시 동아리 모임", ["오늘 저녁에 나 뭐 있었지?", "오늘 모임 몇 시였더라?"], ["what do I have this evening?", "what time is my meeting today?"]),
    ("학교", "한국대학교 3학년", ["나 몇 학년이라고 했지?", "내가 다니는 학교 기억나?"], ["what year am I in?", "remember my university?"]),
    ("좋아하는 색", "보라색", ["내가 좋아하는 색 기억해?", "나 무슨 색 좋아하지?"], ["what's my favourite colour?", "which colour do I like?"]),
]
# the same facts as an English conversation's memory role writes them
FACTS_EN = [
    ("tomorrow's plan", "visiting a café with a friend"), ("today's weather", "sunny"), ("pet", "a dog named Choco"),
    ("favourite food", "tteokbokki"), ("major", "computer science"), ("next week's plan", "job interview Monday 10 a.m."),
    ("hobby", "playing the guitar"), ("home", "Haeundae, Busan"), ("birthday", "May 3"), ("favourite singer", "IU"),
    ("allergy", "peanuts"), ("job", "elementary school teacher"), ("today's mood", "down because of exams"),
    ("exercise", "5 km run every morning"), ("family", "one younger sister"), ("weekend plan", "trip to Jeju"),
    ("favourite movie", "Interstellar"), ("goal", "TOEIC 900 this year"), ("disliked food", "cucumber"),
    ("tomorrow's plan", "dentist appointment at 2 p.m."), ("company", "an IT startup in Pangyo"),
    ("current worry", "thinking about changing jobs"), ("favourite season", "autumn"), ("cat", "Nabi, 3 years old"),
    ("today's lunch", "kimchi stew"), ("certificate", "studying for the engineer information processing exam"),
    ("car", "a white Avante"), ("today's plan", "club meeting at 7 p.m."), ("school", "3rd year at Hankuk University"),
    ("favourite colour", "purple"),
]
assert len(FACTS_EN) == len(FACTS)

# questions with nothing stored to answer them
UNRELATED = (["안녕 로라!", "로라 너 MBTI 뭐야?", "너 생일이 언제야?", "오늘 무슨 요일이야?", "재밌는 얘기 해줘", "로라는 어느 학교 다녀?",
              "심심해", "추천할 만한 책 있어?", "너는 무슨 음식 좋아해?", "ㅋㅋㅋㅋ", "인공지능이 뭐야?", "로라 몇 살이야?",
              "요즘 유행하는 노래 뭐야?", "너 잠은 자?", "고마워 로라", "수학 문제 하나 풀어줄래?", "지구는 왜 둥글어?", "오로라의 빛이 뭐야?"],
             ["hi Lora!", "what's your MBTI?", "when is your birthday?", "what day is it today?", "tell me something funny",
              "which school do you go to?", "I'm bored", "can you recommend a book?", "what food do you like?", "lol",
              "what is artificial intelligence?", "how old are you, Lora?", "what songs are trending?", "do you sleep?",
              "thanks Lora", "can you solve a math problem for me?", "why is the earth round?", "what is Oh-LoRA's light?"])

# A second batch of questions and remarks that need no stored memory (statements about the moment, date
# and time questions, requests), split on its own so the first batch keeps its split.
UNRELATED_MORE = (["오늘 며칠이야?", "지금 몇 시야?", "나 오늘 너무 피곤해", "배고프다", "오늘 진짜 덥다", "로라 너는 주말에 뭐 해?",
                   "너 좋아하는 색 뭐야?", "나 지금 집에 가는 중", "노래 하나 추천해줘", "내일 비 온대", "영어 단어 하나 알려줘",
                   "너 취미가 뭐야?", "나 방금 일어났어", "오늘 하루 어땠어?", "재밌는 영화 추천해줄래?"],
                  ["what's the date today?", "what time is it?", "I'm so tired today", "I'm hungry", "it's really hot today",
                   "what do you do on weekends, Lora?", "what's your favourite colour?", "I'm on my way home",
                   "recommend me a song", "they say it'll rain tomorrow", "teach me an English word",
                   "what's your hobby?", "I just woke up", "how was your day?", "can you recommend a fun movie?"])


def _unrelated_more(seed: int, cases: int) -> list[dict]:
    rng = random.Random(seed)
    qs = [(q, lang) for lang in (0, 1) for q in UNRELATED_MORE[lang]]
    rng.shuffle(qs)
    rows = []
    for i, (q, lang) in enumerate(qs):
        sp = "test" if i % 3 == 0 else "val" if i % 3 == 1 else "train"
        for _ in range(cases // len(qs)):
            mem = rng.sample(range(len(FACTS)), rng.randint(3, 8))
            rows.append({"memories": [list(FACTS[m][:2]) if lang == 0 else list(FACTS_EN[m]) for m in mem],
                         "question": q, "answer": None, "lang": ("ko", "en")[lang], "group": "unrelated",
                         "split": sp, "batch": 2})
    return rows


# ---- third batch (`batch: 3`): what the relevance gate got wrong ---------------------------------------
# The false retrievals were remarks and questions naming a day ("오늘 며칠이야?", "what a day today") pulling a
# stored memory about that day. This batch gives the gate such messages to learn from, in every split: new
# facts (many of them about a day) with questions that name the day, new day-naming questions about the
# first batch's time-bound facts, questions about a stored subject's neighbour (stored: tomorrow's plan;
# asked: today's), and day-naming small talk and questions to Oh-LoRA about her own day. It is split on
# its own (new facts and neighbour groups 30/30/40, the first batch's facts keep their split).

# key, value, questions that need it (Korean); the same in English
FACTS_DAY = [
    ("오늘 저녁", "친구들이랑 삼겹살", ["나 오늘 저녁 뭐 먹기로 했지?", "오늘 저녁 메뉴 내가 뭐라고 했더라?", "오늘 저녁에 누구랑 밥 먹는다고 했지?", "오늘 저녁 약속 기억나?"],
     "tonight's dinner", "pork belly with friends", ["what am I having for dinner tonight?", "what did I say we're eating tonight?", "who am I having dinner with tonight?", "remember my dinner plans for tonight?"]),
    ("내일 날씨", "비", ["내일 비 온다고 했었나?", "내일 우산 챙겨야 할까?", "내일 날씨 어떻다고 했지?", "내가 내일 날씨 뭐라고 했더라?"],
     "tomorrow's weather", "rain", ["did I say it'll rain tomorrow?", "should I take an umbrella tomorrow?", "what did I say the weather is like tomorrow?", "remember tomorrow's forecast I told you?"]),
    ("어제 한 일", "친구 결혼식 다녀옴", ["나 어제 뭐 했다고 했지?", "어제 내가 어디 다녀왔더라?", "어제 누구 결혼식 갔다고 했지?", "어제 내가 한 일 기억나?"],
     "yesterday's outing", "went to a friend's wedding", ["what did I do yesterday?", "where did I go yesterday?", "whose wedding did I go to yesterday?", "remember what I did yesterday?"]),
    ("이번 달 목표", "책 네 권 읽기", ["이번 달에 내가 뭐 하기로 했지?", "내 이번 달 목표 기억나?", "나 이번 달에 책 몇 권 읽기로 했더라?", "이번 달 다짐 뭐였지?"],
     "this month's goal", "reading four books", ["what's my goal for this month?", "how many books did I plan to read this month?", "remember my resolution for this month?", "what did I promise myself this month?"]),
    ("친한 친구", "민지", ["내 제일 친한 친구 이름 기억해?", "내 베프가 누구라고 했지?", "나랑 제일 친한 친구 누구였더라?", "내가 자주 얘기하는 친구 이름 뭐였지?"],
     "best friend", "Minji", ["do you remember my best friend's name?", "who's my best friend?", "what's the name of my closest friend?", "who did I say my best friend was?"]),
    ("혈액형", "A형", ["내 혈액형 뭐라고 했지?", "나 무슨 혈액형이게?", "내 혈액형 기억나?", "내가 A형이었나 B형이었나?"],
     "blood type", "type A", ["what's my blood type?", "do you remember my blood type?", "which blood type did I say I have?", "am I type A or type B?"]),
    ("키우는 식물", "몬스테라", ["내가 키우는 식물 이름 뭐였지?", "우리 집 화분 뭐라고 했지?", "나 무슨 식물 키운다고 했더라?", "내 몬스테라 얘기 기억나?"],
     "houseplant", "a monstera", ["what plant do I keep at home?", "what's my houseplant again?", "remember the plant I'm growing?", "which plant did I say I have?"]),
    ("출근 시간", "오전 9시", ["나 몇 시까지 출근해야 한다고 했지?", "내 출근 시간 기억나?", "나 회사 몇 시에 가더라?", "아침에 몇 시까지 가야 한다고 했지?"],
     "work start time", "9 a.m.", ["what time do I start work?", "remember when I have to be at work?", "what time did I say I clock in?", "when do I need to be at the office each morning?"]),
    ("가 보고 싶은 곳", "스위스", ["내가 가 보고 싶다고 한 나라 어디였지?", "나 제일 가고 싶은 여행지 기억해?", "내 꿈의 여행지 어디라고 했지?", "내가 언젠가 꼭 가겠다고 한 곳 기억나?"],
     "dream destination", "Switzerland", ["which country did I say I want to visit?", "remember my dream travel destination?", "where do I want to travel someday?", "what's the place I said I'd love to go to?"]),
    ("아르바이트", "편의점 야간", ["나 무슨 알바 한다고 했지?", "내 알바 어디였지?", "나 알바 언제 한다고 했더라?", "내가 밤에 일하는 곳 기억나?"],
     "part-time job", "night shifts at a convenience store", ["what's my part-time job?", "where do I work part-time?", "when do I do my part-time shifts?", "remember where I work at night?"]),
    ("룸메이트", "대학 동기 준호", ["나 누구랑 같이 산다고 했지?", "내 룸메이트 이름 뭐였지?", "나 혼자 살아 아니면 같이 살아?", "내 룸메 기억나?"],
     "roommate", "Junho, a college classmate", ["who do I live with?", "what's my roommate's name?", "do I live alone or with someone?", "remember my roommate?"]),
    ("응원하는 팀", "롯데 자이언츠", ["나 무슨 팀 응원한다고 했지?", "내가 좋아하는 야구팀 어디였지?", "나 어느 팀 팬이었더라?", "내 응원팀 기억나?"],
     "team I support", "Lotte Giants", ["which team do I support?", "what's my favourite baseball team?", "which team am I a fan of?", "remember my team?"]),
    ("오늘 한 일", "집 대청소", ["나 오늘 뭐 했다고 했지?", "아까 내가 오늘 하루 종일 뭐 했다고 했더라?", "오늘 내가 청소 다 했다고 했나?", "오늘 내가 한 일 기억나?"],
     "today's activity", "cleaned the whole house", ["what did I say I did today?", "what have I been doing all day today?", "did I tell you I cleaned today?", "remember what I did today?"]),
    ("이번 주 일정", "금요일 팀 회식", ["이번 주에 나 회식 있었나?", "이번 주 금요일에 뭐 있다고 했지?", "이번 주에 무슨 약속 있었더라?", "회식 언제라고 했지?"],
     "this week's plan", "team dinner on Friday", ["do I have a work dinner this week?", "what's happening on Friday this week?", "what plans do I have this week?", "when was the team dinner again?"]),
    ("다이어트", "밀가루 끊는 중", ["나 다이어트 어떻게 하고 있다고 했지?", "내가 요즘 끊은 거 뭐였지?", "나 요즘 빵 먹으면 안 되는 이유 기억나?", "내 식단 조절 얘기 기억해?"],
     "diet", "cutting out flour", ["how did I say I'm dieting?", "what did I give up lately?", "remember why I shouldn't eat bread these days?", "remember my diet?"]),
    ("수면 습관", "새벽 2시에 잠", ["나 보통 몇 시에 잔다고 했지?", "내가 늦게 자는 편이라고 했나?", "내 수면 습관 기억나?", "나 요즘 몇 시쯤 잔다고 했더라?"],
     "sleep", "goes to bed at 2 a.m.", ["what time do I usually go to bed?", "did I say I'm a night owl?", "remember my sleeping habits?", "when do I fall asleep these days?"]),
    ("오늘 컨디션", "감기 기운", ["나 오늘 몸 상태 어떻다고 했지?", "아까 나 아프다고 했었나?", "오늘 나 감기 걸린 것 같다고 했지?", "오늘 내 컨디션 기억해?"],
     "today's health", "coming down with a cold", ["how did I say I was feeling physically today?", "did I tell you I was sick today?", "did I say I might have a cold today?", "remember how my body's doing today?"]),
    ("단골 카페", "서면 스타벅스", ["나 자주 가는 카페 어디라고 했지?", "내 단골 카페 기억해?", "내가 맨날 가는 카페 이름 뭐였더라?", "내가 공부하러 가는 카페 어디였지?"],
     "regular café", "the Starbucks in Seomyeon", ["which café do I always go to?", "remember my usual café?", "where's the café I study at?", "what's my go-to coffee place?"]),
    ("어머니 생신", "6월 12일", ["우리 엄마 생신 언제라고 했지?", "엄마 생일 기억나?", "어머니 생신이 몇 월이었지?", "엄마 선물 언제까지 사야 하더라?"],
     "mom's birthday", "June 12", ["when is my mom's birthday?", "do you remember my mother's birthday?", "which month is mom's birthday?", "by when do I need mom's present?"]),
    ("배우는 언어", "일본어", ["나 요즘 무슨 언어 배운다고 했지?", "내가 공부하는 외국어 뭐였지?", "나 일본어 배운다고 했나?", "내 외국어 공부 얘기 기억나?"],
     "language I'm learning", "Japanese", ["which language am I learning?", "what foreign language am I studying?", "did I say I'm learning Japanese?", "remember my language studies?"]),
    ("오늘 아침", "토스트랑 커피", ["나 오늘 아침 뭐 먹었다고 했지?", "오늘 아침 메뉴 내가 뭐라고 했더라?", "오늘 아침밥 먹었다고 했나?", "오늘 아침에 뭐 마셨다고 했지?"],
     "today's breakfast", "toast and coffee", ["what did I have for breakfast today?", "remember my breakfast this morning?", "did I tell you I ate breakfast today?", "what did I drink this morning?"]),
    ("기말고사", "다음 달 15일", ["나 시험 언제라고 했지?", "기말고사 며칠이었더라?", "내 시험 날짜 기억해?", "시험까지 얼마나 남았지?"],
     "final exams", "the 15th of next month", ["when's my exam?", "what date are my finals?", "remember my exam date?", "how long until my finals?"]),
]

# New questions naming a day for the first batch's time-bound facts (index into FACTS: they keep its split)
DAY_QUESTIONS = [
    (1, ["오늘 밖에 날씨 어떻다고 했지?", "오늘 나갈 때 겉옷 필요할까?"], ["what did I say the weather's like today?", "will I need a jacket when I go out today?"]),
    (12, ["오늘 내 기분 기억나?", "나 오늘 왜 기운 없다고 했지?"], ["do you remember my mood today?", "why did I say I was low today?"]),
    (24, ["오늘 점심 내가 뭐 먹었더라?", "나 오늘 점심으로 찌개 먹었다고 했나?"], ["what was my lunch today again?", "did I say I had stew for lunch today?"]),
    (27, ["오늘 나 약속 몇 시였지?", "오늘 저녁 모임 있었지?"], ["what time is my thing today?", "I have a meeting tonight, right?"]),
    (0, ["내일 누구 만나기로 했더라?", "내일 나 어디 가기로 했지?"], ["who am I meeting tomorrow?", "where was I going tomorrow?"]),
    (19, ["내일 병원 몇 시였지?", "내일 치과 가는 거 맞지?"], ["what time is my appointment tomorrow?", "I'm seeing the dentist tomorrow, right?"]),
    (5, ["다음 주 월요일에 나 뭐 있었지?", "다음 주 면접 몇 시였더라?"], ["what do I have next Monday?", "what time is my interview next week?"]),
    (15, ["이번 주말 여행 어디였지?", "주말에 제주도 간다고 했나?"], ["where's my trip this weekend?", "did I say I'm going to Jeju this weekend?"]),
]

# Questions about a stored subject's neighbour: what is asked is not stored. (the stored memory: an index
# into FACTS, or "dN" for FACTS_DAY[N]; the facts that would answer a question and so are never stored in
# these cases; Korean questions; English questions)
NEIGHBOURS = [
    (0, ("d12", 27, "d0"), ["나 오늘 뭐 하기로 했더라?", "오늘 나 약속 있었나?", "오늘 내 일정 기억나?"],
     ["what am I doing today?", "do I have plans today?", "remember my schedule for today?"]),
    (27, (0, 19), ["내일 나 일정 있었나?", "내일 나 뭐 하기로 했는지 기억나?", "모레 나 뭐 하지?"],
     ["do I have anything on tomorrow?", "remember what I'm doing tomorrow?", "what am I doing the day after tomorrow?"]),
    (1, ("d1",), ["내일 날씨 어떻다고 했지?", "내일 날씨 나 뭐라고 했었지?", "모레 날씨 어떻대?"],
     ["what's the weather like tomorrow?", "what did I tell you about tomorrow's weather?", "what's the weather the day after tomorrow?"]),
    ("d1", (1,), ["오늘 날씨 어떻다고 했지?", "오늘 바깥 날씨 내가 말했었나?", "지금 밖에 비 와?"],
     ["what did I say today's weather was?", "did I tell you what it's like outside today?", "is it raining right now?"]),
    (24, ("d0", "d20"), ["나 어제 저녁 뭐 먹었다고 했지?", "오늘 저녁은 뭐 먹기로 했더라?", "어제 점심 뭐였지?"],
     ["what did I have for dinner yesterday?", "what did I say I'm having for dinner tonight?", "what was my lunch yesterday?"]),
    (5, ("d13", 15, 0, 19, 27, "d0", "d2"), ["이번 주에 나 중요한 일 있었나?", "이번 주 금요일에 나 뭐 있었지?", "이번 주 일정 기억나?"],
     ["anything important for me this week?", "what do I have this Friday?", "remember my plans for this week?"]),
    (8, ("d18",), ["엄마 생신 언제였지?", "아빠 생신 며칠인지 알아?", "우리 언니 생일 기억나?"],
     ["when's my mom's birthday?", "do you know my dad's birthday?", "remember my sister's birthday?"]),
    ("d18", (8,), ["내 생일 며칠인지 알아?", "나 몇 월생이라고 했지?", "내 생일 선물 뭐 받고 싶다고 했지?"],
     ["do you know what day my birthday is?", "which month was I born in?", "what did I say I want for my birthday?"]),
    (12, ("d16",), ["나 어제 기분 어땠다고 했지?", "어제 나 왜 속상했다고 했지?", "지난주에 나 우울하다고 했었나?"],
     ["how was I feeling yesterday?", "why was I upset yesterday?", "did I say I was depressed last week?"]),
    (15, ("d13",), ["지난 주말에 나 뭐 했다고 했지?", "다음 달 여행 계획 내가 말했었나?", "여름휴가 어디 간다고 했지?"],
     ["what did I do last weekend?", "did I tell you about my trip next month?", "where am I going for summer vacation?"]),
    ("d2", ("d12", 24, "d20", "d0"), ["오늘은 내가 뭐 했다고 얘기했더라?", "나 오늘 어디 다녀왔다고 했지?", "그저께 나 뭐 했지?"],
     ["what did I get up to today?", "where did I say I went today?", "what did I do the day before yesterday?"]),
    (9, (), ["내가 좋아하는 배우 누구라고 했지?", "나 좋아하는 밴드 있다고 했었나?", "내가 싫어하는 가수 기억나?"],
     ["who did I say my favourite actor was?", "did I mention a band I like?", "remember which singer I can't stand?"]),
    (16, (), ["내가 좋아하는 드라마 뭐였지?", "나 요즘 보는 예능 뭐라고 했지?", "내가 제일 싫어하는 영화 기억나?"],
     ["what's my favourite TV series?", "which show am I watching these days?", "remember the movie I hate most?"]),
    ("d7", (), ["나 몇 시에 퇴근한다고 했지?", "내 점심시간 몇 시였지?", "나 주말에도 출근한다고 했나?"],
     ["what time do I finish work?", "when is my lunch break?", "did I say I work on weekends too?"]),
]

# Day-naming small talk, date and time questions, and questions to Oh-LoRA about her own day: nothing
# stored answers them, though they name the day of a stored memory.
UNRELATED_DAY = (
    ["오늘 며칠이더라?", "오늘이 무슨 요일이었지?", "와 오늘 진짜 길다", "오늘 기분 좋다!", "오늘 하루도 화이팅!", "내일 월요일이라니 싫다",
     "내일 또 출근이네", "오늘은 그냥 쉬고 싶어", "오늘 너무 바빴어", "오늘 하루 진짜 힘들었다", "어제 잠을 한숨도 못 잤어",
     "내일은 좋은 일 있겠지?", "로라 너는 오늘 뭐 했어?", "로라 오늘 기분 어때?", "너 오늘 바빴어?", "로라는 내일 뭐 해?",
     "너 어제 뭐 했어?", "로라 오늘 학교 재밌었어?", "크리스마스까지 며칠 남았지?", "올해 며칠 남았어?", "지금 오후야?",
     "오늘 주말이지?", "오늘 몇 월 며칠이야?", "오늘 일요일 맞지?", "오늘따라 커피가 맛있네", "오늘 운이 좋은 것 같아",
     "오늘 진짜 아무것도 하기 싫다", "로라야 오늘 하루 잘 보냈어?", "오늘 너랑 얘기해서 좋다", "내일 봐 로라!",
     "오늘은 여기까지! 잘 자", "좋은 아침 로라", "오늘 무슨 날이야?", "내일 공휴일이야?", "오늘 해 몇 시에 져?", "오늘 뉴스 봤어?",
     "오늘 저녁 노을 예쁘다", "오늘도 수고했어 로라", "오늘 재밌는 거 하나 알려줘", "너는 오늘 공부 많이 했어?", "오늘 하루 어땠는지 물어봐 줘",
     "어제 너무 웃긴 꿈 꿨어", "오늘따라 시간이 안 가", "로라 너 내일 수업 있어?", "오늘 무슨 얘기 할까?"],
    ["what's today's date again?", "is it Sunday today?", "what a day today", "today was so long", "I'm in a great mood today",
     "tomorrow is Monday, ugh", "back to work tomorrow...", "I just want to rest today", "today was exhausting",
     "I couldn't sleep at all last night", "I hope tomorrow is better", "what did you do today, Lora?",
     "how are you feeling today, Lora?", "were you busy today?", "what are you up to tomorrow?", "what did you do yesterday, Lora?",
     "how was school today, Lora?", "how many days until Christmas?", "how many days are left this year?", "is it afternoon already?",
     "it's the weekend today, right?", "what month is it?", "coffee tastes extra good today", "I feel lucky today",
     "I don't feel like doing anything today", "good morning Lora!", "today is a special day!", "is tomorrow a holiday?",
     "what time does the sun set today?", "did you see the news today?", "the sunset is gorgeous tonight", "you did great today, Lora",
     "see you tomorrow, Lora!", "that's it for today, good night", "I learned something cool today", "is today a good day for you?",
     "happy Sunday!", "what's special about today?", "tell me a fun fact for today", "did you study a lot today, Lora?",
     "I had the funniest dream last night", "time is dragging today", "do you have classes tomorrow, Lora?",
     "what should we talk about today?", "today flew by"])

# Pairs never stored together with the other as the answer: the other would answer the question too.
CLASHES = [("이번 주 일정", "주말 계획"), ("배우는 언어", "목표"), ("기말고사", "자격증"), ("기말고사", "목표"),
           ("응원하는 팀", "운동")]


def build_day_batch(seed: int, first_split: dict[int, str], cases_per_fact: int = 12, cases_per_question: int = 3
                    ) -> list[dict]:
    """The third batch (see above): rows with `batch: 3`; `first_split` is the first batch's fact split."""
    rng = random.Random(seed)
    # every fact of both batches: (ko key, ko value, en key, en value); FACTS_DAY[i] is facts[len(FACTS) + i]
    facts = [(k, v, ke, ve) for (k, v, *_), (ke, ve) in zip(FACTS, FACTS_EN)]
    facts += [(k, v, ke, ve) for k, v, _q, ke, ve, _qe in FACTS_DAY]
    index = lambda ref: len(FACTS) + int(ref[1:]) if isinstance(ref, str) else ref  # noqa: E731
    values = [f[1] for f in facts] + [f[3] for f in facts]
    assert len(set(values)) == len(values), "each value must be unique: a case is scored by its value"
    clash = set(CLASHES) | {(b, a) for a, b in CLASHES}
    day_bound = [i for i, f in enumerate(facts) if f[0].startswith(("오늘", "내일", "어제"))]

    def stored(answer: int | None, keep_out: set[int], prefer: list[int] = ()) -> list[int]:
        """3–8 facts with distinct keys and no clash: `answer` if any, then one of `prefer`, then any."""
        chosen = [] if answer is None else [answer]
        n = rng.randint(3, 8)
        fits = lambda f: f not in keep_out and not any(  # noqa: E731
            facts[f][0] == facts[c][0] or (facts[f][0], facts[c][0]) in clash for c in chosen)
        for f in rng.sample(prefer, len(prefer)):
            if fits(f):
                chosen.append(f)
                break
        for f in rng.sample(range(len(facts)), len(facts)):
            if len(chosen) >= n:
                break
            if fits(f):
                chosen.append(f)
        rng.shuffle(chosen)
        return chosen

    def row(mem: list[int], q: str, answer: int | None, lang: int, group: str, sp: str) -> dict:
        pick = lambda f: list(facts[f][2 * lang:2 * lang + 2])  # noqa: E731
        return {"memories": [pick(m) for m in mem], "question": q, "answer": None if answer is None else pick(answer),
                "lang": ("ko", "en")[lang], "group": group, "split": sp, "batch": 3}

    rows = []
    day_split = _group_split(rng, len(FACTS_DAY))
    for d, (_k, _v, q_ko, _ke, _ve, q_en) in enumerate(FACTS_DAY):
        for i in range(cases_per_fact):
            lang = i % 2
            q = (q_ko, q_en)[lang][(i // 2) % 4]
            rows.append(row(stored(len(FACTS) + d, set()), q, len(FACTS) + d, lang, f"day{d}", day_split[d]))
    for f, q_ko, q_en in DAY_QUESTIONS:  # the first batch's facts keep their split
        for lang, qs in ((0, q_ko), (1, q_en)):
            for q in qs:
                for _ in range(2):
                    rows.append(row(stored(f, set()), q, f, lang, f"fact{f}", first_split[f]))
    near_split = _group_split(rng, len(NEIGHBOURS))
    for g, (kept, answering, q_ko, q_en) in enumerate(NEIGHBOURS):
        keep_out = {index(r) for r in answering}
        for lang, qs in ((0, q_ko), (1, q_en)):
            for q in qs:
                for _ in range(cases_per_question):
                    rows.append(row(stored(index(kept), keep_out), q, None, lang, f"near{g}", near_split[g]))
    for lang in (0, 1):
        qs = list(UNRELATED_DAY[lang])
        rng.shuffle(qs)
        for i, q in enumerate(qs):
            sp = "test" if i % 3 == 0 else "val" if i % 3 == 1 else "train"
            for c in range(cases_per_question):
                # two cases in three with a memory about a day stored: the case the gate got wrong
                rows.append(row(stored(None, set(), day_bound if c < 2 else []), q, None, lang, "unrelated-day", sp))
    return rows


def _group_split(rng: random.Random, n: int) -> dict[int, str]:
    """30% / 30% / 40% of n groups to test / val / train, in an order drawn from rng."""
    order = list(range(n))
    rng.shuffle(order)
    return {f: "test" if i < n * 3 // 10 else "val" if i < n * 6 // 10 else "train" for i, f in enumerate(order)}


def build(seed: int = 0, cases_per_fact: int = 16, unrelated_cases: int = 300) -> list[dict]:
    rng = random.Random(seed)
    split = _group_split(rng, len(FACTS))
    ukeys = {s: [] for s in ("train", "val", "test")}
    for lang in (0, 1):  # unrelated questions are split too
        qs = list(UNRELATED[lang])
        rng.shuffle(qs)
        for i, q in enumerate(qs):
            ukeys["test" if i % 3 == 0 else "val" if i % 3 == 1 else "train"].append((q, lang))

    def stored(target: int | None, sp: str) -> list[int]:
        pool = [f for f in range(len(FACTS)) if f != target and FACTS[f][0] != (FACTS[target][0] if target is not None else None)]
        return rng.sample(pool, rng.randint(2, 7)) + ([target] if target is not None else [])

    def fact(f: int, lang: int) -> list[str]:
        return list(FACTS[f][:2]) if lang == 0 else list(FACTS_EN[f])

    rows = []
    for f in range(len(FACTS)):
        key, value, q_ko, q_en = FACTS[f]
        for i in range(cases_per_fact):
            lang = i % 2
            q = rng.choice((q_ko, q_en)[lang])
            mem = stored(f, split[f])
            rng.shuffle(mem)
            rows.append({"memories": [fact(m, lang) for m in mem], "question": q, "answer": fact(f, lang), "lang": ("ko", "en")[lang], "group": f"fact{f}", "split": split[f]})
    for sp, qs in ukeys.items():
        for _ in range(unrelated_cases * len(qs) // len(UNRELATED[0] + UNRELATED[1])):
            q, lang = rng.choice(qs)
            mem = stored(None, sp)
            rows.append({"memories": [fact(m, lang) for m in mem], "question": q, "answer": None,
                         "lang": ("ko", "en")[lang], "group": "unrelated", "split": sp})
    return rows + _unrelated_more(seed + 1, 180) + build_day_batch(seed + 2, split)


def main() -> None:
    rows = build()
    with open(OUT, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    from collections import Counter

    print(len(rows), "cases", dict(Counter((r["split"], r["answer"] is None) for r in rows)))


if __name__ == "__main__":
    main()

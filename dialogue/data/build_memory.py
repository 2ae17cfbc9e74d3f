"""Build dialogue/data/memory_cases.jsonl: (stored memories, question) -> the memory to retrieve or none.

A case stores 3–8 facts (in the language of the conversation) of one user and asks a question: either about one stored fact (its key is the
answer) or about nothing stored (persona questions, small talk, facts the user never told). Facts are
the groups: validation and test cases ask about facts the threshold was never calibrated on.
Run: python -m dialogue.data.build_memory
"""
from __future__ import annotations

import json
import random
import re
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


# ---- fourth batch (`batch: 4`): neighbours, composed — TRAIN SPLIT ONLY ----------------------------------
NEIGHBOUR_BATCH = 4  # the retrieval cross-encoder's training data
# Why: the gate's remaining weakness is the neighbour: a question about a subject next to a stored one
# (stored "today's lunch", asked "tonight's dinner"; stored "my birthday", asked "mom's birthday"; stored
# "favourite movie", asked "favourite TV series"). Batch 3 has six neighbour groups and about 40 facts in
# train, so a model that reads question and memory together learned those facts, not whether a memory's
# owner, attribute and day match what is asked. This batch composes hundreds of facts from owners (the
# user, family, partner, a named friend, roommate, manager, pets) x attributes grouped in neighbour families
# (B4_ATTRS) x values, and asks about them in Korean and English chat phrasings:
#   answer: the asked (owner, attribute, day) is stored with 1-3 of its neighbours (same attribute of
#           another owner, or another attribute of the family for the same owner, e.g. another meal or day)
#           and unrelated facts; the answer is the asked one;
#   near:   the asked one is not stored, 1-3 of its neighbours are: no answer;
#   unrelated: nothing of the asked family is stored: no answer.
# Pairs of one owner's attributes where one could half-answer the other (B4_SOFT: hobby / exercise, job /
# company...) are never the only neighbour stored. Day words resolve "now": "오늘 점심" answers only a
# question about today's lunch. Everything here is in the train split: validation and test stay the
# hand-written batches, and nothing here is copied from them (owners, attributes, values and phrasings are
# this batch's own; the builder asserts that no question string of this batch is in batches 1-3).

B4_HONOUR = {"mom", "dad", "grandma", "grandpa", "parents"}  # 생일/생신 (나이/연세: grandparents only)
B4_FRIENDS = [("지수", "Jisoo"), ("민호", "Minho"), ("유나", "Yuna"), ("태오", "Taeo"), ("소희", "Sohee")]
# owner: Korean key forms, Korean question forms, English key forms, English possessives, English subjects
B4_OWNERS = {
    "self": ([""], ["내"], [""], ["my"], ["I"]),
    "mom": (["엄마", "어머니"], ["엄마", "우리 엄마", "어머니", "울 엄마"], ["mom's", "mother's"],
            ["my mom's", "mom's", "my mother's"], ["my mom", "mom", "my mother"]),
    "dad": (["아빠", "아버지"], ["아빠", "우리 아빠", "아버지"], ["dad's", "father's"],
            ["my dad's", "dad's", "my father's"], ["my dad", "dad", "my father"]),
    "parents": (["부모님"], ["부모님", "우리 부모님", "엄마 아빠"], ["parents'"], ["my parents'", "mom and dad's"],
                ["my parents", "mom and dad"]),
    "ysis": (["여동생"], ["여동생", "내 여동생", "우리 여동생"], ["younger sister's", "little sister's"],
             ["my little sister's", "my younger sister's"], ["my little sister", "my younger sister"]),
    "ybro": (["남동생"], ["남동생", "내 남동생", "우리 남동생"], ["younger brother's", "little brother's"],
             ["my little brother's", "my younger brother's"], ["my little brother", "my younger brother"]),
    "obro": (["{형}"], ["{형}", "우리 {형}"], ["older brother's", "big brother's"],
             ["my older brother's", "my big brother's"], ["my older brother", "my big brother"]),
    "osis": (["{누나}"], ["{누나}", "우리 {누나}"], ["older sister's"], ["my older sister's", "my big sister's"],
             ["my older sister", "my big sister"]),
    "grandma": (["할머니"], ["할머니", "우리 할머니", "울 할머니"], ["grandma's", "grandmother's"],
                ["my grandma's", "grandma's", "my grandmother's"], ["my grandma", "grandma"]),
    "grandpa": (["할아버지"], ["할아버지", "우리 할아버지"], ["grandpa's", "grandfather's"],
                ["my grandpa's", "grandpa's", "my grandfather's"], ["my grandpa", "grandpa"]),
    "bf": (["남자친구", "남친"], ["남자친구", "남친", "내 남자친구"], ["boyfriend's"], ["my boyfriend's", "my bf's"],
           ["my boyfriend", "my bf"]),
    "gf": (["여자친구", "여친"], ["여자친구", "여친", "내 여자친구"], ["girlfriend's"], ["my girlfriend's", "my gf's"],
           ["my girlfriend", "my gf"]),
    "friend": (["{F}"], ["{F}", "친구 {F}", "내 친구 {F}"], ["{E}'s"], ["{E}'s", "my friend {E}'s"], ["{E}", "my friend {E}"]),
    "roommate": (["룸메이트", "룸메"], ["룸메이트", "룸메", "내 룸메"], ["roommate's"], ["my roommate's"], ["my roommate"]),
    "boss": (["팀장님"], ["팀장님", "우리 팀장님"], ["manager's", "boss's"], ["my manager's", "my boss's"],
             ["my manager", "my boss"]),
    "dog": (["강아지"], ["우리 강아지", "강아지", "우리 집 강아지"], ["dog's"], ["my dog's"], ["my dog"]),
    "cat": (["고양이"], ["우리 고양이", "고양이", "우리 집 고양이"], ["cat's"], ["my cat's"], ["my cat"]),
}
_SIBS = ("ysis", "ybro", "obro", "osis")
_HUMANS = ("self", "mom", "dad") + _SIBS + ("grandma", "grandpa", "bf", "gf", "friend", "roommate", "boss")
_PETS = ("dog", "cat")
_YOUNG = ("self",) + _SIBS + ("bf", "gf", "friend", "roommate")
_WORKERS = ("self", "mom", "dad", "obro", "osis", "bf", "gf", "friend", "roommate", "boss")
_FEMALE, _MALE = {"ysis", "osis", "gf", "mom", "grandma"}, {"ybro", "obro", "bf", "dad", "grandpa"}

_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"]


def _date(rng: random.Random) -> tuple[str, str]:
    m, d = rng.randint(1, 12), rng.randint(1, 28)
    return f"{m}월 {d}일", f"{_MONTHS[m - 1]} {d}"


def _clock(h: int, half: bool) -> tuple[str, str]:
    """24-hour h -> Korean and English clock times."""
    word = "새벽" if h < 5 or h >= 24 else "오전" if h < 12 else "오후" if h < 18 else "저녁" if h < 21 else "밤"
    h12 = h % 12 or 12
    ko = f"{word} {h12}시" + (" 반" if half else "")
    if h % 24 == 0 and not half:
        return "밤 12시", "midnight"
    en = f"{h12}:30" if half else f"{h12}"
    return ko, en + (" a.m." if h % 24 < 12 else " p.m.")


def _appointment(rng: random.Random, owner: str = "") -> tuple[str, str]:
    (dk, de), (tk, te) = _date(rng), _clock(rng.randint(9, 18), rng.random() < 0.3)
    return (f"{dk} {tk}", f"{de} at {te}") if rng.random() < 0.7 else (dk, de)


def _pool(*pairs: tuple[str, str]):
    return lambda rng, owner: rng.choice(pairs)


def _ranged(lo_hi: dict[str, tuple[int, int]], ko: str, en: str, step: int = 1):
    def draw(rng, owner):
        lo, hi = lo_hi.get(owner, lo_hi["*"])
        n = rng.randrange(lo, hi + 1, step)
        return ko.format(n), en.format(n)
    return draw


_MEALS = [("된장찌개", "doenjang stew"), ("제육볶음", "spicy stir-fried pork"), ("비빔밥", "bibimbap"),
          ("물냉면", "cold buckwheat noodles"), ("짜장면", "jajangmyeon"), ("짬뽕", "jjamppong"), ("돈가스", "pork cutlet"),
          ("회전초밥", "conveyor-belt sushi"), ("돈코츠 라멘", "tonkotsu ramen"), ("쌀국수", "pho"), ("닭갈비", "dakgalbi"),
          ("부대찌개", "budae jjigae"), ("칼국수", "kalguksu"), ("마라탕", "malatang"), ("순두부찌개", "soft tofu stew"),
          ("김치볶음밥", "kimchi fried rice"), ("치즈 피자", "cheese pizza"), ("수제버거", "a handmade burger"),
          ("봉골레 파스타", "vongole pasta"), ("소고기 샤브샤브", "beef shabu-shabu"), ("닭볶음탕", "spicy braised chicken"),
          ("오므라이스", "omurice"), ("뼈해장국", "pork bone soup"), ("연어 포케", "a salmon poke bowl"),
          ("곱창전골", "gopchang hot pot"), ("불고기 정식", "a bulgogi set meal"), ("콩나물국밥", "bean sprout soup with rice"),
          ("생선구이 정식", "a grilled fish set meal"), ("양념치킨", "sweet and spicy chicken"), ("우동", "udon")]
_BREAKFASTS = [("시리얼", "cereal"), ("그릭요거트랑 바나나", "Greek yogurt and a banana"), ("베이글이랑 크림치즈", "a bagel with cream cheese"),
               ("계란 프라이랑 밥", "fried eggs and rice"), ("고구마랑 우유", "a sweet potato and milk"),
               ("편의점 삼각김밥", "a convenience-store triangle gimbap"), ("누룽지", "nurungji"), ("사과 한 개", "an apple"),
               ("프렌치토스트", "French toast"), ("미역국", "seaweed soup"), ("샐러드랑 삶은 계란", "salad and boiled eggs"),
               ("팬케이크", "pancakes"), ("바나나 스무디", "a banana smoothie"), ("유부초밥", "inari sushi")]
_SNACKS = [("후라이드 치킨", "fried chicken"), ("족발", "jokbal"), ("컵라면", "cup noodles"), ("로제 떡볶이", "rosé tteokbokki"),
           ("불닭볶음면", "Buldak noodles"), ("감자튀김", "french fries"), ("아이스크림", "ice cream"), ("곱창볶음", "stir-fried gopchang"),
           ("닭꼬치", "chicken skewers"), ("라볶이", "rabokki"), ("막창", "grilled makchang"), ("골뱅이무침", "spicy sea snail salad")]
_PEOPLE_F = [("서연", "Seoyeon"), ("하은", "Haeun"), ("예린", "Yerin"), ("수빈", "Subin"), ("다은", "Daeun"), ("채원", "Chaewon"),
             ("나연", "Nayeon"), ("소윤", "Soyun"), ("유진", "Yujin"), ("가은", "Gaeun")]
_PEOPLE_M = [("민준", "Minjun"), ("도윤", "Doyun"), ("지호", "Jiho"), ("태현", "Taehyun"), ("현우", "Hyunwoo"), ("승민", "Seungmin"),
             ("준서", "Junseo"), ("건우", "Gunwoo"), ("우진", "Woojin"), ("시우", "Siwoo")]
_BOSSES = [("김도현", "Kim Do-hyun"), ("박성훈", "Park Sung-hoon"), ("이은정", "Lee Eun-jung"), ("최민석", "Choi Min-seok"),
           ("정수아", "Jung Su-a"), ("한지훈", "Han Ji-hoon"), ("오세영", "Oh Se-young")]
_PET_NAMES = [("콩이", "Kongi"), ("보리", "Bori"), ("두부", "Dubu"), ("몽이", "Mongi"), ("코코", "Coco"), ("까미", "Kkami"),
              ("루이", "Louie"), ("해피", "Happy"), ("뭉치", "Mungchi"), ("별이", "Byeori"), ("호두", "Hodu"), ("치즈", "Cheese"),
              ("레오", "Leo"), ("망고", "Mango"), ("라떼", "Latte"), ("모찌", "Mochi"), ("솜이", "Somi")]
_DAY_PLANS = [("오후 3시 팀 회의", "team meeting at 3 p.m."), ("은행 들렀다가 장보기", "stopping by the bank, then groceries"),
              ("저녁에 이사 견적 상담", "a moving quote consultation in the evening"), ("오전에 택배 반품하기", "returning a parcel in the morning"),
              ("점심에 대학 선배 만나기", "lunch with a senior from college"), ("저녁 8시 스터디 모임", "study group at 8 p.m."),
              ("퇴근하고 안경 맞추러 가기", "getting new glasses after work"), ("오후 4시 고객사 미팅", "client meeting at 4 p.m."),
              ("하루 종일 보고서 마감", "finishing a report all day"), ("저녁에 사촌 동생 만나기", "meeting my cousin in the evening"),
              ("오전 11시 대출 상담", "a loan consultation at 11 a.m."), ("주민센터 가서 전입신고", "registering my new address at the community center"),
              ("밤 9시 온라인 강의", "an online lecture at 9 p.m."), ("오후 2시 부동산 집 보기", "viewing an apartment at 2 p.m."),
              ("저녁에 중고거래 약속", "meeting someone for a secondhand sale in the evening"),
              ("오전 10시 세탁기 수리 기사 방문", "the washing machine repairman coming at 10 a.m.")]
_WEEK_PLANS = [("월요일 오전 분기 보고", "quarterly report on Monday morning"), ("화요일 부산 출장", "business trip to Busan on Tuesday"),
               ("수요일 건강검진", "a health checkup on Wednesday"), ("목요일 워크숍", "a workshop on Thursday"),
               ("금요일 고등학교 동창 모임", "a high school reunion on Friday"), ("월요일부터 새 프로젝트 시작", "a new project starting Monday"),
               ("수요일 이사", "moving house on Wednesday"), ("화요일 저녁 동아리 정기 모임", "a club meeting on Tuesday evening"),
               ("목요일 신입 교육", "training the new hires on Thursday")]
_WEEKEND_PLANS = [("양평 글램핑", "glamping in Yangpyeong"), ("친구 집들이", "a friend's housewarming party"),
                  ("부모님 댁 방문", "visiting my parents"), ("한강 피크닉", "a picnic by the Han River"),
                  ("이케아 가서 가구 보기", "furniture shopping at IKEA"), ("밀린 빨래랑 대청소", "catching up on laundry and cleaning"),
                  ("미술 전시회 관람", "going to an art exhibition"), ("사촌 언니 결혼식", "my cousin's wedding"),
                  ("뮤지컬 관람", "seeing a musical"), ("가평 수상레저", "water sports in Gapyeong")]
_VACATIONS = [("8월에 오사카 여행", "a trip to Osaka in August"), ("다낭 3박 4일", "four days in Da Nang"),
              ("부모님 모시고 속초 여행", "a Sokcho trip with my parents"), ("유럽 배낭여행", "backpacking around Europe"),
              ("방콕에서 호캉스", "a hotel getaway in Bangkok"), ("9월에 괌", "Guam in September"),
              ("타이베이 먹방 여행", "a food trip to Taipei"), ("몽골 초원 투어", "a steppe tour in Mongolia"),
              ("남해 펜션에서 푹 쉬기", "resting at a guesthouse in Namhae"), ("삿포로 온천 여행", "a hot spring trip to Sapporo")]
_WEATHER = [("흐리고 쌀쌀함", "cloudy and chilly"), ("미세먼지 심함", "heavy fine dust"), ("폭염", "a heat wave"), ("눈", "snow"),
            ("오후에 소나기", "showers in the afternoon"), ("바람이 많이 붊", "very windy"), ("안개 낌", "foggy"),
            ("영하 10도 한파", "a cold snap, minus 10"), ("하루 종일 장맛비", "monsoon rain all day"), ("구름 조금", "partly cloudy"),
            ("후텁지근함", "hot and muggy"), ("태풍 북상 중", "a typhoon on its way")]
_MOODS = [("월급날이라 신남", "excited because it's payday"), ("상사한테 혼나서 속상함", "upset after getting told off at work"),
          ("발표 끝나서 홀가분함", "relieved the presentation is over"), ("비 와서 좀 처짐", "a bit down because of the rain"),
          ("친구랑 싸워서 서운함", "hurt after a fight with a friend"), ("합격 소식 듣고 들뜸", "thrilled after hearing I passed"),
          ("잠을 못 자서 예민함", "on edge from lack of sleep"), ("별일 없이 평온함", "calm, nothing special"),
          ("야근 때문에 지침", "worn out from working late"), ("칭찬 받아서 뿌듯함", "proud after getting praised"),
          ("이유 없이 싱숭생숭함", "restless for no reason"), ("보고 싶은 사람이 있어서 울적함", "blue, missing someone")]
_AILMENTS = [("두통이 심함", "a bad headache"), ("목이 부음", "a sore throat"), ("허리가 뻐근함", "a stiff back"),
             ("체해서 속이 안 좋음", "an upset stomach"), ("미열이 있음", "a slight fever"), ("생리통", "period cramps"),
             ("발목을 삠", "a sprained ankle"), ("숙취", "a hangover"), ("눈이 충혈됨", "bloodshot eyes"),
             ("몸살 기운", "body aches"), ("어깨 결림", "stiff shoulders"), ("코감기", "a stuffy nose")]
_UNIS = [("연세대", "Yonsei University"), ("고려대", "Korea University"), ("부산대", "Pusan National University"),
         ("한양대", "Hanyang University"), ("성균관대", "Sungkyunkwan University"), ("경희대", "Kyung Hee University"),
         ("카이스트", "KAIST"), ("중앙대", "Chung-Ang University"), ("건국대", "Konkuk University"),
         ("경북대", "Kyungpook National University"), ("전남대", "Chonnam National University"), ("홍익대", "Hongik University"),
         ("서강대", "Sogang University")]
_TEENS = [("한빛고", "Hanbit High School"), ("새솔고", "Saesol High School"), ("푸른중", "Pureun Middle School"),
          ("동산중", "Dongsan Middle School"), ("가람고", "Garam High School")]
_ORD = ["1st", "2nd", "3rd", "4th"]


def _school(rng, owner):
    if owner in ("ysis", "ybro") and rng.random() < 0.5:
        (k, e), y = rng.choice(_TEENS), rng.randint(1, 3)
    else:
        (k, e), y = rng.choice(_UNIS), rng.randint(1, 4)
    return f"{k} {y}학년", f"{_ORD[y - 1]} year at {e}"


def _name(rng, owner):
    if owner in _PETS:
        return rng.choice(_PET_NAMES)
    if owner == "boss":
        return rng.choice(_BOSSES)
    return rng.choice(_PEOPLE_F if owner in _FEMALE else _PEOPLE_M if owner in _MALE else _PEOPLE_F + _PEOPLE_M)


def _breed(rng, owner):
    return rng.choice([("말티즈", "Maltese"), ("푸들", "poodle"), ("포메라니안", "Pomeranian"), ("시바견", "Shiba Inu"),
                       ("웰시코기", "Welsh Corgi"), ("골든 리트리버", "golden retriever"), ("진돗개", "Jindo"), ("비숑", "Bichon Frise"),
                       ("닥스훈트", "dachshund")] if owner == "dog" else
                      [("코리안 숏헤어", "Korean shorthair"), ("러시안 블루", "Russian Blue"), ("스코티시 폴드", "Scottish Fold"),
                       ("페르시안", "Persian"), ("먼치킨", "Munchkin"), ("브리티시 숏헤어", "British Shorthair"),
                       ("랙돌", "Ragdoll"), ("샴", "Siamese"), ("벵갈", "Bengal")])


def _treat(rng, owner):
    return rng.choice([("닭가슴살 육포", "chicken breast jerky"), ("고구마 말랭이", "dried sweet potato"), ("개껌", "chew sticks"),
                       ("소고기 트릿", "beef treats"), ("오리 목뼈", "duck necks"), ("강아지 치즈볼", "cheese balls for dogs")]
                      if owner == "dog" else
                      [("츄르", "Churu"), ("연어 트릿", "salmon treats"), ("북어 트릿", "dried pollock treats"),
                       ("닭가슴살 큐브", "chicken cubes"), ("캣닢 쿠키", "catnip cookies"), ("참치 캔", "canned tuna")])


def _vet(rng, owner):
    (dk, de), (pk, pe) = _date(rng), rng.choice([("예방접종", "vaccination"), ("건강검진", "checkup"),
                                                  ("스케일링", "teeth cleaning"), ("심장사상충 약 처방", "heartworm prescription"),
                                                  ("피부 진료", "skin check"), ("중성화 상담", "neutering consultation")])
    return f"{dk} {pk}", f"{pe} on {de}"


def _times(kind: str):
    hours = {"wake": range(5, 10), "bed": range(22, 27), "start": range(7, 11), "end": range(16, 22)}[kind]
    return lambda rng, owner: _clock(rng.choice(list(hours)), rng.random() < 0.4)


_AGES = {"*": (20, 34), "mom": (48, 63), "dad": (50, 65), "grandma": (72, 91), "grandpa": (74, 92), "ysis": (12, 27),
         "ybro": (12, 27), "obro": (26, 37), "osis": (26, 37), "roommate": (20, 30), "boss": (36, 52), "dog": (1, 14),
         "cat": (1, 16)}
_HEIGHTS = {"*": (155, 185), "ysis": (150, 172), "osis": (152, 172), "gf": (152, 172), "ybro": (160, 188),
            "obro": (165, 188), "bf": (165, 188)}
_SHOES = {"*": (230, 280), "mom": (225, 250), "ysis": (220, 250), "osis": (225, 250), "gf": (225, 250), "dad": (250, 285),
          "ybro": (245, 290), "obro": (250, 290), "bf": (250, 290)}

# Question templates by kind: {A} is the asked noun phrase (owner + attribute), {A:이} with its particle.
B4_KO = {
    "what": ["{A} 뭐였지?", "{A} 뭐라고 했더라?", "{A:이} 뭐였더라", "{A} 기억나?", "혹시 {A} 알아?", "{A} 뭐였는지 기억해?",
             "{A:이} 뭐라고 했었지?"],
    "where": ["{A} 어디였지?", "{A} 어디라고 했더라?", "{A:이} 어디였더라", "{A} 기억나?", "혹시 {A} 알아?", "{A} 어딘지 기억해?"],
    "when": ["{A} 언제였지?", "{A} 언제라고 했더라?", "{A:이} 며칠이었지?", "{A} 기억나?", "{A:이} 언제였더라",
             "혹시 {A} 언제인지 알아?", "{A} 며칠이라고 했지?"],
    "who": ["{A} 누구였지?", "{A:이} 누구라고 했더라?", "{A} 기억나?", "{A} 누구였더라", "혹시 {A} 누군지 알아?"],
    "time": ["{A} 몇 시였지?", "{A:이} 몇 시라고 했더라?", "{A} 기억나?", "{A} 몇 시였더라", "혹시 {A} 알아?"],
    "how": ["{A} 어떻다고 했지?", "{A} 어떻다고 했더라?", "{A} 기억나?", "{A:은} 어떻다고 했었지?", "{A} 뭐라고 했더라?"],
    "amount": ["{A} 몇이라고 했지?", "{A:이} 어떻게 되더라?", "{A} 기억나?", "혹시 {A} 알아?", "{A:이} 몇이었더라"],
    None: [],
}
B4_EN = {
    "what": ["what's {A} again?", "what was {A} again?", "do you remember {A}?", "remind me, what's {A}?",
             "what did I say {A} was?", "do you know {A}?"],
    "where": ["where's {A} again?", "where did I say {A} was?", "do you remember where {A} is?", "what's {A} again?",
              "remind me where {A} is"],
    "when": ["when's {A} again?", "when did I say {A} was?", "do you remember when {A} is?", "remind me when {A} is",
             "what date is {A}?", "when is {A}?"],
    "who": ["who's {A} again?", "who did I say {A} was?", "do you remember {A}?", "remind me who {A} is"],
    "how": ["what did I say {A} was like?", "how did I say {A} was?", "do you remember {A}?", "what was {A} again?"],
    None: [],
}

# attribute: (families, owners, Korean kind, English kind, Korean keys, Korean asked phrases, English keys,
#             English asked phrases, extra Korean questions, extra English questions, values)
# {o}: the owner (none in the user's own keys; 내 / my in questions), {oi}: with 이/가, {os}: bare subject (나 / I);
# {h:생일/생신}: the honorific word for elders; English {S}: subject, {does} {is} {s}: agreement. "self:" /
# "other:" before an extra question: only for the user's own facts / only for others'.
B4_ATTRS = {
    "birthday": (("dates",), _HUMANS + _PETS, "when", "when", ["{o} {h:생일/생신}"], ["{o} {h:생일/생신}"],
                 ["{o} birthday"], ["{o} birthday"],
                 ["{oi} 몇 월생이라고 했지?", "{o} {h:생일/생신} 며칠인지 기억나?", "{o} {h:생일/생신} 다가오지 않았나? 언제였지?"],
                 ["what month is {o} birthday in?", "when's {o} birthday coming up?", "do you remember what day {o} birthday is?"],
                 lambda rng, owner: _date(rng)),
    "anniversary": (("dates",), ("self", "parents"), "when", "when", ["{o} 결혼기념일"],
                    ["other:{o} 결혼기념일", "self:우리 결혼기념일", "self:결혼기념일"],
                    ["{o} wedding anniversary"], ["other:{o} wedding anniversary", "other:{o} anniversary",
                                                  "self:our wedding anniversary", "self:our anniversary"],
                    ["other:{o} 결혼기념일 다음 달이었나? 며칠이었지?", "self:우리 결혼기념일 다음 달이었나? 며칠이었지?"],
                    ["other:when did I say {o} wedding anniversary falls?", "self:when did I say our anniversary falls?"],
                    lambda rng, owner: _date(rng)),
    "age": (("dates", "pet"), _HUMANS + _PETS, "amount", "what", ["{o} {h:나이/연세}"], ["{o} {h:나이/연세}"],
            ["{o} age"], ["{o} age"], ["{os} 몇 살이라고 했더라?", "{os} 올해 몇 살이었지?"],
            ["how old {is} {S} again?", "how old did I say {S} {is}?"], _ranged(_AGES, "{}살", "{} years old")),
    "name": (("name", "pet"), _SIBS + ("bf", "gf", "roommate", "boss") + _PETS, "what", "what", ["{o} 이름"],
             ["{o} 이름"], ["{o} name"], ["{o} name"], ["{o} 이름이 뭐라고 했었더라?"],
             ["what did I say {o} name is?", "what's {S} called again?"], _name),
    # screen
    "movie": (("screen",), _YOUNG + ("mom", "dad"), "what", "what", ["{oi} 좋아하는 영화", "{o} 최애 영화"],
              ["{oi} 좋아하는 영화", "{oi} 제일 좋아하는 영화", "{o} 최애 영화", "{o} 인생 영화"],
              ["{o} favourite movie", "{o} favourite film"], ["{o} favourite movie", "{o} favourite film", "{o} all-time favourite movie"],
              ["{oi} 좋아한다고 했던 영화 제목 기억나?"], ["which movie {does} {S} love most?"],
              _pool(("기생충", "Parasite"), ("라라랜드", "La La Land"), ("어바웃 타임", "About Time"),
                    ("이터널 선샤인", "Eternal Sunshine of the Spotless Mind"), ("올드보이", "Oldboy"), ("헤어질 결심", "Decision to Leave"),
                    ("탑건: 매버릭", "Top Gun: Maverick"), ("어벤져스: 엔드게임", "Avengers: Endgame"), ("타이타닉", "Titanic"),
                    ("인사이드 아웃", "Inside Out"), ("노트북", "The Notebook"), ("살인의 추억", "Memories of Murder"),
                    ("택시운전사", "A Taxi Driver"), ("쇼생크 탈출", "The Shawshank Redemption"), ("비포 선라이즈", "Before Sunrise"),
                    ("위플래쉬", "Whiplash"))),
    "drama": (("screen",), _YOUNG + ("mom", "dad"), "what", "what", ["{oi} 좋아하는 드라마", "{o} 최애 드라마"],
              ["{oi} 좋아하는 드라마", "{o} 최애 드라마", "{o} 인생 드라마", "{oi} 제일 좋아하는 드라마"],
              ["{o} favourite drama", "{o} favourite TV series"], ["{o} favourite drama", "{o} favourite TV show", "{o} favourite series"],
              ["{oi} 요즘 빠져 있는 드라마 뭐였지?"], ["which drama {is} {S} obsessed with?"],
              _pool(("나의 아저씨", "My Mister"), ("도깨비", "Goblin"), ("응답하라 1988", "Reply 1988"),
                    ("슬기로운 의사생활", "Hospital Playlist"), ("이상한 변호사 우영우", "Extraordinary Attorney Woo"),
                    ("더 글로리", "The Glory"), ("오징어 게임", "Squid Game"), ("사랑의 불시착", "Crash Landing on You"),
                    ("눈물의 여왕", "Queen of Tears"), ("프렌즈", "Friends"), ("브레이킹 배드", "Breaking Bad"),
                    ("기묘한 이야기", "Stranger Things"), ("미생", "Misaeng"), ("선재 업고 튀어", "Lovely Runner"))),
    "book": (("screen",), _YOUNG + ("mom", "dad"), "what", "what", ["{oi} 좋아하는 책", "{o} 인생 책"],
             ["{oi} 좋아하는 책", "{o} 인생 책", "{oi} 제일 좋아하는 책"], ["{o} favourite book"], ["{o} favourite book"],
             ["{oi} 좋아한다던 책 제목 뭐였지?"], ["which book {does} {S} love most?"],
             _pool(("데미안", "Demian"), ("어린 왕자", "The Little Prince"), ("채식주의자", "The Vegetarian"),
                   ("작별하지 않는다", "We Do Not Part"), ("아몬드", "Almond"), ("불편한 편의점", "The Second Chance Convenience Store"),
                   ("1984", "1984"), ("노인과 바다", "The Old Man and the Sea"), ("달러구트 꿈 백화점", "The Dallergut Dream Department Store"),
                   ("사피엔스", "Sapiens"), ("호밀밭의 파수꾼", "The Catcher in the Rye"), ("미드나잇 라이브러리", "The Midnight Library"),
                   ("코스모스", "Cosmos"))),
    "webtoon": (("screen",), _YOUNG, "what", "what", ["{oi} 좋아하는 웹툰", "{o} 최애 웹툰"],
                ["{oi} 좋아하는 웹툰", "{o} 최애 웹툰", "{oi} 보는 웹툰"], ["{o} favourite webtoon"], ["{o} favourite webtoon"],
                ["{oi} 매주 챙겨 본다는 웹툰 뭐였지?"], ["which webtoon {does} {S} read every week?"],
                _pool(("화산귀환", "Return of the Mount Hua Sect"), ("독립일기", "Independent Diary"), ("가비지타임", "Garbage Time"),
                      ("세기말 풋사과 보습학원", "Fin de Siècle Green Apple Academy"), ("마루는 강쥐", "Maru Is a Puppy"),
                      ("전지적 독자 시점", "Omniscient Reader"), ("대학일기", "College Diary"), ("헬퍼", "Helper"))),
    "anime": (("screen",), _YOUNG, "what", "what", ["{oi} 좋아하는 애니", "{o} 최애 애니"],
              ["{oi} 좋아하는 애니", "{oi} 좋아하는 애니메이션", "{o} 최애 애니"], ["{o} favourite anime"], ["{o} favourite anime"],
              ["{oi} 좋아하는 애니 제목 기억나?"], ["which anime {does} {S} love?"],
              _pool(("진격의 거인", "Attack on Titan"), ("원피스", "One Piece"), ("귀멸의 칼날", "Demon Slayer"),
                    ("슬램덩크", "Slam Dunk"), ("나루토", "Naruto"), ("짱구는 못말려", "Crayon Shin-chan"), ("하이큐", "Haikyu!!"),
                    ("스파이 패밀리", "Spy x Family"), ("주술회전", "Jujutsu Kaisen"), ("명탐정 코난", "Detective Conan"))),
    # music and actors
    "singer": (("music",), _YOUNG + ("mom", "dad", "grandma", "grandpa"), "who", "who", ["{oi} 좋아하는 가수", "{o} 최애 가수"],
               ["{oi} 좋아하는 가수", "{oi} 제일 좋아하는 가수", "{o} 최애 가수"], ["{o} favourite singer"],
               ["{o} favourite singer", "{o} favourite solo artist"], [], ["which singer {does} {S} like best?"],
               _pool(("성시경", "Sung Si-kyung"), ("태연", "Taeyeon"), ("백예린", "Yerin Baek"), ("임영웅", "Lim Young-woong"),
                     ("박효신", "Park Hyo-shin"), ("폴킴", "Paul Kim"), ("이무진", "Lee Mu-jin"), ("테일러 스위프트", "Taylor Swift"),
                     ("에드 시런", "Ed Sheeran"), ("아리아나 그란데", "Ariana Grande"), ("김광석", "Kim Kwang-seok"),
                     ("나훈아", "Na Hoon-a"), ("장윤정", "Jang Yoon-jeong"), ("지코", "Zico"), ("빈지노", "Beenzino"))),
    "band": (("music",), _YOUNG + ("mom", "dad"), "who", "who", ["{oi} 좋아하는 밴드", "{o} 최애 밴드"],
             ["{oi} 좋아하는 밴드", "{o} 최애 밴드"], ["{o} favourite band"], ["{o} favourite band"],
             [], ["which band {is} {S} really into?"],
             _pool(("잔나비", "Jannabi"), ("데이식스", "DAY6"), ("콜드플레이", "Coldplay"), ("실리카겔", "Silica Gel"),
                   ("혁오", "HYUKOH"), ("검정치마", "The Black Skirts"), ("퀸", "Queen"), ("비틀스", "The Beatles"),
                   ("엔플라잉", "N.Flying"), ("넬", "Nell"), ("국카스텐", "Guckkasten"), ("너드커넥션", "Nerd Connection"))),
    "song": (("music",), _YOUNG + ("mom", "dad", "grandma", "grandpa"), "what", "what", ["{oi} 좋아하는 노래", "{o} 최애곡"],
             ["{oi} 좋아하는 노래", "{o} 최애곡", "{oi} 제일 좋아하는 노래"], ["{o} favourite song"], ["{o} favourite song"],
             ["{oi} 맨날 듣는다는 노래 제목 뭐였지?"], ["which song {does} {S} have on repeat?"],
             _pool(("봄날", "Spring Day"), ("사건의 지평선", "Event Horizon"), ("너의 모든 순간", "Every Moment of You"),
                   ("한 페이지가 될 수 있게", "Time of Our Life"), ("주저하는 연인들을 위해", "For Lovers Who Hesitate"),
                   ("다이너마이트", "Dynamite"), ("하입 보이", "Hype Boy"), ("슈퍼노바", "Supernova"), ("예뻤어", "You Were Beautiful"),
                   ("보헤미안 랩소디", "Bohemian Rhapsody"), ("옐로", "Yellow"), ("밤양갱", "Bam Yang Gang"), ("아파트", "APT."))),
    "actor": (("music",), _YOUNG + ("mom", "dad", "grandma"), "who", "who", ["{oi} 좋아하는 배우", "{o} 최애 배우"],
              ["{oi} 좋아하는 배우", "{o} 최애 배우", "{oi} 제일 좋아하는 배우"], ["{o} favourite actor"], ["{o} favourite actor"],
              [], ["which actor {does} {S} like best?"],
              _pool(("공유", "Gong Yoo"), ("김태리", "Kim Tae-ri"), ("손석구", "Son Suk-ku"), ("송강호", "Song Kang-ho"),
                    ("박보검", "Park Bo-gum"), ("전도연", "Jeon Do-yeon"), ("김고은", "Kim Go-eun"), ("마동석", "Ma Dong-seok"),
                    ("이병헌", "Lee Byung-hun"), ("한소희", "Han So-hee"), ("변우석", "Byeon Woo-seok"), ("톰 홀랜드", "Tom Holland"),
                    ("엠마 스톤", "Emma Stone"), ("키아누 리브스", "Keanu Reeves"))),
    # food
    "food": (("food",), _HUMANS, "what", "what", ["{oi} 좋아하는 음식", "{o} 최애 음식"],
             ["{oi} 좋아하는 음식", "{oi} 제일 좋아하는 음식", "{o} 최애 음식"], ["{o} favourite food"],
             ["{o} favourite food", "{o} favourite dish"], [], ["what food {does} {S} like best?"],
             _pool(("마라샹궈", "mala xiang guo"), ("연어덮밥", "a salmon rice bowl"), ("육회", "yukhoe"), ("감자탕", "gamjatang"),
                   ("쭈꾸미볶음", "stir-fried webfoot octopus"), ("양꼬치", "lamb skewers"), ("갈비찜", "braised short ribs"),
                   ("타코", "tacos"), ("크림 리조또", "cream risotto"), ("일본식 카레", "Japanese curry"), ("물회", "mulhoe"),
                   ("평양냉면", "Pyongyang naengmyeon"), ("잡채", "japchae"), ("꽃게탕", "spicy blue crab stew"),
                   ("장어구이", "grilled eel"), ("훠궈", "hot pot"))),
    "disliked": (("food",), _HUMANS, "what", "what", ["{oi} 싫어하는 음식"],
                 ["{oi} 싫어하는 음식", "{oi} 제일 싫어하는 음식", "{oi} 질색하는 음식"], ["{o} disliked food", "{o} least favourite food"],
                 ["{o} least favourite food", "the food {S} can't stand"], [], ["which food {does} {S} hate?"],
                 _pool(("가지", "eggplant"), ("고수", "cilantro"), ("버섯", "mushrooms"), ("당근", "carrots"), ("굴", "oysters"),
                       ("번데기", "silkworm pupae"), ("민트초코", "mint chocolate"), ("파프리카", "bell peppers"),
                       ("콩국수", "kongguksu"), ("홍어", "fermented skate"), ("올리브", "olives"), ("건포도", "raisins"),
                       ("청국장", "cheonggukjang"))),
    "allergy": (("food",), _HUMANS, "what", "what", ["{o} 알레르기", "{o} 음식 알레르기"], ["{o} 알레르기", "{o} 음식 알레르기"],
                ["{o} allergy", "{o} food allergy"], ["{o} allergy", "{o} food allergy"],
                ["{os} 무슨 알레르기 있다고 했지?", "{os} 뭐에 알레르기 있다고 했더라?"],
                ["what {is} {S} allergic to again?", "what's {S} allergic to, do you remember?"],
                _pool(("복숭아", "peaches"), ("새우", "shrimp"), ("갑각류", "shellfish"), ("우유", "milk"), ("메밀", "buckwheat"),
                      ("달걀", "eggs"), ("호두", "walnuts"), ("밀가루", "wheat"), ("키위", "kiwi"), ("고등어", "mackerel"),
                      ("게", "crab"), ("대두", "soybeans"), ("아몬드", "almonds"))),
    "drink": (("food",), _HUMANS, "what", "what", ["{oi} 좋아하는 음료", "{o} 최애 음료"],
              ["{oi} 좋아하는 음료", "{oi} 자주 마시는 음료", "{o} 최애 음료"], ["{o} favourite drink", "{o} usual drink order"],
              ["{o} favourite drink", "{o} go-to drink", "{o} usual café order"], ["카페 가면 {os} 뭐 마신다고 했지?"],
              ["what {does} {S} usually order at a café?"],
              _pool(("아이스 아메리카노", "an iced americano"), ("바닐라 라떼", "a vanilla latte"), ("카페 모카", "a café mocha"),
                    ("콜드브루", "cold brew"), ("녹차 라떼", "a green tea latte"), ("디카페인 라떼", "a decaf latte"),
                    ("플랫화이트", "a flat white"), ("아인슈페너", "an einspänner"), ("자몽 에이드", "grapefruit ade"),
                    ("밀크티", "milk tea"), ("딸기 스무디", "a strawberry smoothie"), ("캐모마일 티", "chamomile tea"),
                    ("오트 라떼", "an oat latte"), ("헤이즐넛 라떼", "a hazelnut latte"), ("얼그레이 티", "Earl Grey tea"))),
    # study and work
    "school": (("work",), _YOUNG, "where", "where", ["{o} 학교"], ["{o} 학교", "{oi} 다니는 학교"], ["{o} school"], ["{o} school"],
               ["{os} 어느 학교 다닌다고 했지?", "{os} 몇 학년이라고 했더라?"], ["which school {does} {S} go to?"], _school),
    "major": (("work",), _YOUNG, "what", "what", ["{o} 전공"], ["{o} 전공", "{o} 학과"], ["{o} major"], ["{o} major"],
              ["{os} 무슨 과라고 했지?", "{os} 뭐 전공한다고 했더라?"], ["what {does} {S} major in?", "what {does} {S} study at university?"],
              _pool(("경영학", "business administration"), ("심리학", "psychology"), ("간호학", "nursing"), ("건축학", "architecture"),
                    ("시각디자인", "visual design"), ("기계공학", "mechanical engineering"), ("국어국문학", "Korean literature"),
                    ("경제학", "economics"), ("생명과학", "life sciences"), ("실용음악", "applied music"),
                    ("체육교육", "physical education"), ("통계학", "statistics"), ("영어영문학", "English literature"), ("법학", "law"))),
    "company": (("work",), _WORKERS, "where", "what", ["{o} 회사", "{o} 직장"], ["other:{o} 회사", "{oi} 다니는 회사"],
                ["{o} company", "{o} employer"], ["{o} company", "{o} employer"], ["{os} 어느 회사 다닌다고 했지?"],
                ["which company {does} {S} work for?"],
                _pool(("삼성전자", "Samsung Electronics"), ("네이버", "Naver"), ("카카오", "Kakao"), ("현대자동차", "Hyundai Motor"),
                      ("LG화학", "LG Chem"), ("쿠팡", "Coupang"), ("대한항공", "Korean Air"), ("신한은행", "Shinhan Bank"),
                      ("CJ제일제당", "CJ CheilJedang"), ("토스", "Toss"), ("아모레퍼시픽", "Amorepacific"), ("하이브", "HYBE"),
                      ("한국전력", "KEPCO"), ("작은 출판사", "a small publishing house"), ("동네 회계사무소", "a local accounting firm"))),
    "job": (("work",), _WORKERS, "what", "what", ["{o} 직업"], ["{o} 직업", "{oi} 하는 일"], ["{o} job", "{o} occupation"],
            ["{o} job", "{o} occupation"], ["{os} 무슨 일 한다고 했지?", "{os} 뭐 하는 사람이라고 했더라?"],
            ["what {does} {S} do for a living?", "what {does} {S} do for work again?"],
            _pool(("간호사", "nurse"), ("소방관", "firefighter"), ("약사", "pharmacist"), ("회계사", "accountant"),
                  ("웹 디자이너", "web designer"), ("변호사", "lawyer"), ("공무원", "civil servant"), ("요리사", "chef"),
                  ("경찰관", "police officer"), ("영상 편집자", "video editor"), ("은행원", "bank teller"),
                  ("중학교 수학 선생님", "middle school math teacher"), ("택시 기사", "taxi driver"), ("마케터", "marketer"),
                  ("프리랜서 번역가", "freelance translator"), ("물리치료사", "physical therapist"))),
    "parttime": (("work",), _YOUNG, "what", "what", ["{o} 알바", "{o} 아르바이트"], ["{o} 알바", "{o} 아르바이트", "{oi} 하는 알바"],
                 ["{o} part-time job"], ["{o} part-time job", "{o} side job"], ["{os} 무슨 알바 한다고 했더라?"],
                 ["where {does} {S} work part-time again?"],
                 _pool(("올리브영 주말 알바", "weekend shifts at Olive Young"), ("동네 빵집", "a neighbourhood bakery"),
                       ("학원 조교", "a teaching assistant at a cram school"), ("영화관 매표소", "the ticket booth at a cinema"),
                       ("중학생 수학 과외", "tutoring a middle schooler in math"), ("PC방 야간", "night shifts at a PC bang"),
                       ("고깃집 서빙", "waiting tables at a BBQ place"), ("도서관 근로", "a campus library job"),
                       ("스터디카페 관리", "managing a study café"))),
    # places
    "hometown": (("places",), _HUMANS, "where", "where", ["{o} 고향"], ["{o} 고향"], ["{o} hometown"], ["{o} hometown"],
                 ["{os} 어디 출신이라고 했지?"], ["where {is} {S} from originally?"],
                 _pool(("대구", "Daegu"), ("광주", "Gwangju"), ("전주", "Jeonju"), ("강릉", "Gangneung"), ("여수", "Yeosu"),
                       ("청주", "Cheongju"), ("포항", "Pohang"), ("춘천", "Chuncheon"), ("목포", "Mokpo"), ("안동", "Andong"),
                       ("경주", "Gyeongju"), ("통영", "Tongyeong"), ("원주", "Wonju"), ("대전", "Daejeon"))),
    "residence": (("places",), _HUMANS, "where", "where", ["{oi} 사는 곳", "{oi} 사는 동네"], ["{oi} 사는 곳", "{oi} 사는 동네", "{o} 집"],
                  ["{o} home", "{o} neighbourhood"], ["other:{o} place", "{o} neighbourhood"],
                  ["other:{os} 어디 산다고 했지?", "{os} 무슨 동네 산다고 했더라?"],
                  ["where {does} {S} live again?", "which neighbourhood {does} {S} live in?"],
                  _pool(("마포구 망원동", "Mangwon-dong, Mapo-gu"), ("성수동", "Seongsu-dong"), ("분당", "Bundang"), ("일산", "Ilsan"),
                        ("인천 송도", "Songdo, Incheon"), ("수원 광교", "Gwanggyo, Suwon"), ("대전 유성구", "Yuseong-gu, Daejeon"),
                        ("신림동", "Sillim-dong"), ("잠실", "Jamsil"), ("노원구 상계동", "Sanggye-dong, Nowon-gu"), ("부천", "Bucheon"),
                        ("동탄", "Dongtan"), ("연남동", "Yeonnam-dong"), ("세종시", "Sejong City"), ("울산 남구", "Nam-gu, Ulsan"))),
    "workplace": (("places",), _WORKERS, "where", "where", ["{o} 회사 위치", "{o} 근무지"], ["other:{o} 회사 위치", "{o} 근무지", "{oi} 다니는 회사 위치"],
                  ["{o} office location", "{o} workplace location"], ["{o} office"],
                  ["other:{o} 회사 어디에 있다고 했지?"], ["where {does} {S} commute to?"],
                  _pool(("강남역 근처", "near Gangnam Station"), ("여의도", "Yeouido"), ("광화문", "Gwanghwamun"), ("을지로", "Euljiro"),
                        ("구로디지털단지", "Guro Digital Complex"), ("마곡", "Magok"), ("상암동", "Sangam-dong"),
                        ("삼성역 근처", "near Samseong Station"), ("가산디지털단지", "Gasan Digital Complex"), ("종로", "Jongno"),
                        ("역삼동", "Yeoksam-dong"), ("시청역 근처", "near City Hall Station"))),
    "cafe": (("places",), ("self", "obro", "osis", "bf", "gf", "friend", "roommate"), "where", "what",
             ["{o} 단골 카페"], ["{o} 단골 카페", "{oi} 자주 가는 카페"], ["{o} regular café", "{o} usual café"],
             ["{o} regular café", "{o} go-to café"], ["{os} 맨날 가는 카페 어디라고 했지?"], ["which café {does} {S} go to all the time?"],
             _pool(("회사 앞 메가커피", "the Mega Coffee in front of the office"), ("동네 투썸", "the Twosome Place in the neighbourhood"),
                   ("학교 앞 빽다방", "the Paik's Coffee by school"), ("연남동 소랑", "Sorang in Yeonnam-dong"),
                   ("집 앞 폴 바셋", "the Paul Bassett near home"), ("'온도'라는 동네 카페", "a local café called Ondo"),
                   ("성수동 어니언", "Onion in Seongsu"), ("블루보틀 삼청점", "the Blue Bottle in Samcheong"),
                   ("커피빈 역삼점", "the Coffee Bean in Yeoksam"))),
    # things
    "phone": (("things",), _HUMANS, "what", "what", ["{o} 핸드폰", "{o} 휴대폰"], ["{o} 핸드폰", "{o} 폰", "{o} 휴대폰 기종"],
              ["{o} phone"], ["{o} phone", "{o} phone model"], ["{os} 무슨 폰 쓴다고 했지?"], ["what phone {does} {S} use?"],
              _pool(("아이폰 15 프로", "an iPhone 15 Pro"), ("갤럭시 S24", "a Galaxy S24"), ("갤럭시 Z 플립5", "a Galaxy Z Flip5"),
                    ("아이폰 13 미니", "an iPhone 13 mini"), ("갤럭시 A34", "a Galaxy A34"), ("아이폰 SE", "an iPhone SE"),
                    ("픽셀 8", "a Pixel 8"), ("갤럭시 Z 폴드6", "a Galaxy Z Fold6"), ("아이폰 16", "an iPhone 16"))),
    "laptop": (("things",), _YOUNG, "what", "what", ["{o} 노트북"], ["{o} 노트북"], ["{o} laptop"], ["{o} laptop"],
               ["{os} 노트북 뭐 쓴다고 했더라?"], ["what laptop {does} {S} have?"],
               _pool(("맥북 에어", "a MacBook Air"), ("맥북 프로 14인치", "a 14-inch MacBook Pro"), ("LG 그램", "an LG gram"),
                     ("갤럭시 북4", "a Galaxy Book4"), ("씽크패드", "a ThinkPad"), ("에이수스 게이밍 노트북", "an ASUS gaming laptop"),
                     ("델 XPS", "a Dell XPS"), ("서피스 랩탑", "a Surface Laptop"))),
    "car": (("things",), ("self", "mom", "dad", "obro", "osis", "bf", "gf", "boss", "grandpa"), "what", "what", ["{o} 차"],
            ["{o} 차", "{o} 자동차"], ["{o} car"], ["{o} car"], ["{os} 무슨 차 탄다고 했지?"], ["what car {does} {S} drive again?"],
            _pool(("쏘렌토", "a Kia Sorento"), ("그랜저", "a Hyundai Grandeur"), ("테슬라 모델 3", "a Tesla Model 3"),
                  ("캐스퍼", "a Hyundai Casper"), ("모닝", "a Kia Morning"), ("카니발", "a Kia Carnival"), ("BMW 3시리즈", "a BMW 3 Series"),
                  ("투싼", "a Hyundai Tucson"), ("레이", "a Kia Ray"), ("아이오닉 5", "an IONIQ 5"), ("미니 쿠퍼", "a MINI Cooper"),
                  ("검은색 K5", "a black K5"), ("은색 쏘나타", "a silver Sonata"))),
    "bike": (("things",), _YOUNG, "what", "what", ["{o} 자전거"], ["{o} 자전거"], ["{o} bike", "{o} bicycle"], ["{o} bike"],
             ["{os} 무슨 자전거 탄다고 했지?"], ["what kind of bike {does} {S} ride?"],
             _pool(("로드 자전거", "a road bike"), ("접이식 미니벨로", "a folding mini velo"), ("전기 자전거", "an e-bike"),
                   ("브롬톤", "a Brompton"), ("자이언트 MTB", "a Giant mountain bike"), ("빨간색 픽시", "a red fixie"),
                   ("중고 하이브리드 자전거", "a used hybrid bike"))),
    # free time
    "hobby": (("leisure",), _HUMANS, "what", "what", ["{o} 취미"], ["{o} 취미"], ["{o} hobby"], ["{o} hobby"],
              ["{os} 요즘 취미로 뭐 한다고 했지?"], ["what {does} {S} do as a hobby?"],
              _pool(("뜨개질", "knitting"), ("필름 카메라로 사진 찍기", "film photography"), ("보드게임", "board games"),
                    ("베이킹", "baking"), ("레고 조립", "building Lego"), ("캠핑", "camping"), ("낚시", "fishing"),
                    ("직소 퍼즐", "jigsaw puzzles"), ("수채화 그리기", "watercolour painting"), ("향수 모으기", "collecting perfume"),
                    ("우표 수집", "stamp collecting"), ("바둑", "baduk"), ("도자기 공방", "pottery classes"),
                    ("프라모델 조립", "building model kits"), ("캘리그라피", "calligraphy"), ("다이어리 꾸미기", "decorating planners"),
                    ("텃밭 가꾸기", "tending a vegetable garden"), ("LP 모으기", "collecting vinyl records"))),
    "exercise": (("leisure",), _HUMANS, "what", "what", ["{oi} 하는 운동", "{o} 운동"], ["{oi} 하는 운동", "{oi} 요즘 하는 운동"],
                 ["{o} workout", "{o} exercise"], ["{o} workout", "{o} exercise routine"],
                 ["{os} 무슨 운동 한다고 했지?", "{os} 요즘 무슨 운동 다닌다고 했더라?"],
                 ["what sport {does} {S} do?", "what kind of exercise {does} {S} do?"],
                 _pool(("필라테스", "Pilates"), ("수영", "swimming"), ("헬스", "weight training"), ("요가", "yoga"),
                       ("클라이밍", "bouldering"), ("배드민턴", "badminton"), ("테니스", "tennis"), ("복싱", "boxing"),
                       ("크로스핏", "CrossFit"), ("등산", "hiking"), ("골프", "golf"), ("탁구", "table tennis"), ("풋살", "futsal"),
                       ("주짓수", "jiu-jitsu"), ("스쿼시", "squash"), ("게이트볼", "gateball"), ("아쿠아로빅", "aqua aerobics"))),
    "instrument": (("leisure",), _YOUNG, "what", "what", ["{oi} 배우는 악기", "{o} 악기"], ["{oi} 배우는 악기", "{oi} 연주하는 악기"],
                   ["{o} instrument"], ["{o} instrument"], ["{os} 무슨 악기 배운다고 했지?"],
                   ["what instrument {does} {S} play?", "which instrument {is} {S} learning?"],
                   _pool(("피아노", "piano"), ("첼로", "cello"), ("드럼", "drums"), ("우쿨렐레", "ukulele"), ("바이올린", "violin"),
                         ("플루트", "flute"), ("색소폰", "saxophone"), ("베이스 기타", "bass guitar"), ("해금", "haegeum"),
                         ("칼림바", "kalimba"), ("하모니카", "harmonica"), ("클라리넷", "clarinet"), ("가야금", "gayageum"))),
    "team": (("leisure",), ("self", "dad", "grandpa", "obro", "ybro", "bf", "gf", "friend", "boss"), "what", "what",
             ["{oi} 응원하는 팀"], ["{oi} 응원하는 팀", "{oi} 응원하는 구단"], ["{o} team", "{o} favourite team"],
             ["{o} favourite team", "the team {S} support{s}"], ["{os} 어느 팀 팬이라고 했지?"], ["which team {does} {S} root for?"],
             _pool(("LG 트윈스", "LG Twins"), ("두산 베어스", "Doosan Bears"), ("기아 타이거즈", "KIA Tigers"),
                   ("삼성 라이온즈", "Samsung Lions"), ("한화 이글스", "Hanwha Eagles"), ("SSG 랜더스", "SSG Landers"),
                   ("NC 다이노스", "NC Dinos"), ("키움 히어로즈", "Kiwoom Heroes"), ("토트넘", "Tottenham"),
                   ("맨유", "Manchester United"), ("리버풀", "Liverpool"), ("울산 HD", "Ulsan HD"), ("FC 서울", "FC Seoul"))),
    # the user's plans and state: time-bound, the user's own
    "plan_today": (("plans",), ("self",), "what", "what", ["오늘 일정", "오늘 스케줄"], ["오늘 일정", "오늘 스케줄"],
                   ["today's plan", "today's schedule"], ["my plan for today", "my schedule today"],
                   ["나 오늘 무슨 일정 있다고 했지?", "오늘 내 스케줄 어떻게 된다고 했더라?"],
                   ["what's on my schedule today?", "what did I say I've got on today?"], _pool(*_DAY_PLANS)),
    "plan_tomorrow": (("plans",), ("self",), "what", "what", ["내일 일정", "내일 스케줄"], ["내일 일정", "내일 스케줄"],
                      ["tomorrow's plan", "tomorrow's schedule"], ["my plan for tomorrow", "my schedule tomorrow"],
                      ["내일 나 무슨 일정 있다고 했지?", "내일 스케줄 어떻게 된다고 했더라?"],
                      ["what's on my schedule for tomorrow?", "what did I say I've got on tomorrow?"], _pool(*_DAY_PLANS)),
    "plan_weekend": (("plans",), ("self",), "what", "what", ["주말 계획", "이번 주말 계획"], ["주말 계획", "이번 주말 계획"],
                     ["weekend plan", "this weekend's plan"], ["my weekend plan", "my plan for this weekend"],
                     ["이번 주말에 나 뭐 하기로 했더라?", "주말에 뭐 한다고 했었지?"],
                     ["what am I up to this weekend?", "what did I say I'm doing on the weekend?"], _pool(*_WEEKEND_PLANS)),
    "plan_next_week": (("plans",), ("self",), "what", "what", ["다음 주 일정", "다음 주 계획"], ["다음 주 일정", "다음 주 계획"],
                       ["next week's plan", "next week's schedule"], ["my plan for next week", "my schedule next week"],
                       ["다음 주에 나 무슨 일정 있다고 했지?", "다음 주 스케줄 어떻게 된다고 했더라?"],
                       ["what's on my schedule next week?", "what did I say I have going on next week?"], _pool(*_WEEK_PLANS)),
    "plan_vacation": (("plans",), ("self",), "what", "what", ["휴가 계획", "여름휴가 계획"], ["휴가 계획", "여름휴가 계획"],
                      ["vacation plan", "summer vacation plan"], ["my vacation plan", "my summer vacation plan"],
                      ["휴가 때 나 어디 간다고 했지?", "이번 휴가 어디로 가기로 했더라?"],
                      ["where am I going on vacation?", "where did I say I'm going for my summer break?"], _pool(*_VACATIONS)),
    "mood_today": (("state",), ("self",), "how", None, ["오늘 기분"], ["오늘 기분", "오늘 내 기분"], ["today's mood"], [],
                   ["오늘 내가 기분 어떻다고 했더라?", "나 오늘 기분이 왜 그렇다고 했지?"],
                   ["what kind of mood did I say I was in today?", "what did I say about my mood today?",
                    "how was I feeling today, did I tell you?", "do you remember what mood I was in today?"], _pool(*_MOODS)),
    "mood_yesterday": (("state",), ("self",), "how", None, ["어제 기분"], ["어제 기분", "어제 내 기분"], ["yesterday's mood"], [],
                       ["어제 나 기분 어땠다고 했지?", "어제 내가 기분이 왜 그랬다고 했더라?"],
                       ["what kind of mood was I in yesterday?", "what did I say about my mood yesterday?",
                        "how was I feeling yesterday, did I say?", "remember why I was in a mood yesterday?"], _pool(*_MOODS)),
    "health_today": (("state",), ("self",), "how", None, ["오늘 컨디션", "오늘 몸 상태"], ["오늘 컨디션", "오늘 몸 상태", "오늘 내 컨디션"],
                     ["today's health", "today's condition"], [],
                     ["나 오늘 어디 아프다고 했지?", "오늘 몸 어디가 안 좋다고 했더라?"],
                     ["what was wrong with me today, did I say?", "did I tell you what's bothering me physically today?",
                      "what did I say about my health today?", "remember what I said was hurting today?"], _pool(*_AILMENTS)),
    "weather_today": (("state",), ("self",), "how", "how", ["오늘 날씨"], ["오늘 날씨", "오늘 바깥 날씨"], ["today's weather"],
                      ["today's weather", "the weather today"], ["오늘 날씨 어떻대? 내가 말했었나?"],
                      ["what's the weather doing today, did I say?"], _pool(*_WEATHER)),
    "weather_tomorrow": (("state",), ("self",), "how", None, ["내일 날씨"], ["내일 날씨"], ["tomorrow's weather"], [],
                         ["내일 날씨 어떻대? 내가 말했었나?", "내일 날씨 어떨 거라고 했지?"],
                         ["what did I say the weather would be like tomorrow?", "do you remember the forecast I gave you for tomorrow?",
                          "what's tomorrow's weather again?", "what did I say about tomorrow's weather?"], _pool(*_WEATHER)),
    # pets
    "breed": (("pet",), _PETS, "what", "what", ["{o} 품종", "{o} 종"], ["{o} 품종", "{o} 종"], ["{o} breed"], ["{o} breed"],
              ["{os} 무슨 종이라고 했지?"], ["what breed {is} {S}?"], _breed),
    "treat": (("pet",), _PETS, "what", "what", ["{oi} 좋아하는 간식", "{o} 최애 간식"], ["{oi} 좋아하는 간식", "{o} 최애 간식"],
              ["{o} favourite treat", "{o} favourite snack"], ["{o} favourite treat", "{o} favourite snack"],
              ["{oi} 제일 좋아하는 간식 뭐라고 했더라?"], ["what treat {does} {S} love most?"], _treat),
    "vet": (("pet", "appointments"), _PETS, "when", "when", ["{o} 병원 예약", "{o} 동물병원 예약"], ["{o} 병원 예약", "{o} 동물병원 예약"],
            ["{o} vet appointment"], ["{o} vet appointment", "{o} vet visit"], ["{os} 병원 언제 데려가야 한다고 했지?"],
            ["when do I need to take {S} to the vet?"], _vet),
    # daily times
    "wake": (("times",), _YOUNG, "time", "what", ["{o} 기상 시간", "{oi} 일어나는 시간"], ["{o} 기상 시간", "{oi} 일어나는 시간"],
             ["{o} wake-up time"], ["{o} wake-up time"], ["{os} 보통 몇 시에 일어난다고 했지?"],
             ["what time {does} {S} usually get up?"], _times("wake")),
    "bed": (("times",), _YOUNG, "time", "what", ["{oi} 자는 시간", "{o} 취침 시간"], ["{oi} 자는 시간", "{o} 취침 시간"],
            ["{o} bedtime"], ["{o} bedtime"], ["{os} 보통 몇 시에 잔다고 했더라?"], ["what time {does} {S} usually turn in?"],
            _times("bed")),
    "work_start": (("times",), _WORKERS, "time", "what", ["{o} 출근 시간"], ["{o} 출근 시간"], ["{o} work start time"],
                   ["{o} start time at work"], ["{os} 몇 시까지 출근한다고 했지?"], ["what time {does} {S} have to be at work?"],
                   _times("start")),
    "work_end": (("times",), _WORKERS, "time", "what", ["{o} 퇴근 시간"], ["{o} 퇴근 시간"], ["{o} work end time"],
                 ["{o} quitting time"], ["{os} 몇 시에 퇴근한다고 했지?"], ["what time {does} {S} get off work?"], _times("end")),
    # body
    "blood": (("body",), ("self", "mom", "dad") + _SIBS + ("bf", "gf", "friend"), "what", "what", ["{o} 혈액형"], ["{o} 혈액형"],
              ["{o} blood type"], ["{o} blood type"], ["{os} 무슨 혈액형이라고 했지?"], ["what blood type {is} {S}?"],
              _pool(("A형", "type A"), ("B형", "type B"), ("O형", "type O"), ("AB형", "type AB"), ("RH- O형", "O negative"))),
    "mbti": (("body",), _YOUNG + ("boss",), "what", "what", ["{o} MBTI"], ["{o} MBTI", "{o} 엠비티아이"], ["{o} MBTI"],
             ["{o} MBTI", "{o} MBTI type"], ["{o} MBTI 뭐라고 했더라? I였나 E였나?"], [],
             lambda rng, owner: (lambda t: (t, t))("".join(rng.choice(p) for p in ("EI", "NS", "TF", "JP")))),
    "height": (("body",), ("self",) + _SIBS + ("bf", "gf"), "amount", "what", ["{o} 키"], ["{o} 키"], ["{o} height"], ["{o} height"],
               ["{o} 키 몇 센치라고 했더라?"], ["how tall {is} {S}?", "how tall did I say {S} {is}?"],
               _ranged(_HEIGHTS, "{}cm", "{} cm")),
    "shoe": (("body",), ("self", "mom", "dad") + _SIBS + ("bf", "gf"), "amount", "what", ["{o} 신발 사이즈", "{o} 발 사이즈"],
             ["{o} 신발 사이즈", "{o} 발 사이즈"], ["{o} shoe size"], ["{o} shoe size"], ["{os} 신발 몇 신는다고 했지?"],
             ["what size shoes {does} {S} wear?"], _ranged(_SHOES, "{}mm", "{} mm", 5)),
    # appointments
    "exam": (("appointments",), ("self", "ysis", "ybro", "bf", "gf", "friend", "roommate"), "when", "when",
             ["{o} 시험 날짜", "{o} 시험 일정"], ["{o} 시험 날짜", "{o} 시험", "{o} 시험 날"], ["{o} exam date"], ["{o} exam date", "{o} exam"],
             ["{os} 시험 며칠에 본다고 했지?"], [], _appointment),
    "interview": (("appointments",), ("self", "obro", "osis", "bf", "gf", "friend", "roommate"), "when", "when",
                  ["{o} 면접 날짜", "{o} 면접 일정"], ["{o} 면접 날짜", "{o} 면접", "{o} 면접 일정"],
                  ["{o} interview date", "{o} job interview"], ["{o} job interview", "{o} interview date"],
                  ["{os} 면접 언제 본다고 했지?"], [], _appointment),
    "dentist": (("appointments",), ("self", "mom", "dad", "ysis", "ybro", "grandma", "grandpa"), "when", "when", ["{o} 치과 예약"],
                ["{o} 치과 예약", "{o} 치과 진료"], ["{o} dentist appointment"], ["{o} dentist appointment", "{o} dental appointment"],
                ["{os} 치과 언제 간다고 했지?"], ["when {is} {S} seeing the dentist?"], _appointment),
    "haircut": (("appointments",), ("self", "mom", "ysis", "osis", "bf", "gf"), "when", "when", ["{o} 미용실 예약"],
                ["{o} 미용실 예약"], ["{o} haircut appointment", "{o} hair appointment"], ["{o} haircut appointment", "{o} hair appointment"],
                ["{os} 미용실 언제 간다고 했더라?"], [], _appointment),
    # other favourites
    "colour": (("likes",), _HUMANS, "what", "what", ["{oi} 좋아하는 색", "{o} 최애 색깔"], ["{oi} 좋아하는 색", "{oi} 좋아하는 색깔", "{o} 최애 색"],
               ["{o} favourite colour"], ["{o} favourite colour", "{o} favorite color"], [], ["which colour {does} {S} like best?"],
               _pool(("하늘색", "sky blue"), ("민트색", "mint green"), ("남색", "navy"), ("연두색", "light green"), ("베이지", "beige"),
                     ("노란색", "yellow"), ("버건디", "burgundy"), ("검은색", "black"), ("주황색", "orange"), ("연분홍", "light pink"),
                     ("청록색", "teal"), ("회색", "grey"))),
    "season": (("likes",), _HUMANS, "what", "what", ["{oi} 좋아하는 계절"], ["{oi} 좋아하는 계절", "{oi} 제일 좋아하는 계절"],
               ["{o} favourite season"], ["{o} favourite season"], [], ["which season {does} {S} like best?"],
               _pool(("봄", "spring"), ("여름", "summer"), ("가을", "autumn"), ("겨울", "winter"), ("초여름", "early summer"),
                     ("늦가을", "late autumn"), ("초봄", "early spring"))),
    "flower": (("likes",), _HUMANS, "what", "what", ["{oi} 좋아하는 꽃"], ["{oi} 좋아하는 꽃", "{oi} 제일 좋아하는 꽃"],
               ["{o} favourite flower"], ["{o} favourite flower", "{o} favourite flowers"], ["other:꽃 사 간다면 {os} 뭐 좋아한다고 했지?"],
               ["which flowers {does} {S} like?"],
               _pool(("장미", "roses"), ("튤립", "tulips"), ("프리지아", "freesias"), ("수국", "hydrangeas"), ("해바라기", "sunflowers"),
                     ("안개꽃", "baby's breath"), ("라넌큘러스", "ranunculus"), ("작약", "peonies"), ("백합", "lilies"),
                     ("카네이션", "carnations"), ("라벤더", "lavender"))),
}
# meals: (day, meal) for the user's own; the day resolves "now", so yesterday's lunch is a neighbour of today's.
# day: Korean word, English adverb, English possessive, tense; meal: Korean, English noun, English "for ..."
_B4_DAYS = {"today": ("오늘", "today", "today's", "past"), "yesterday": ("어제", "yesterday", "yesterday's", "past"),
            "tomorrow": ("내일", "tomorrow", "tomorrow's", "future")}
_B4_MEALS = {"breakfast": ("아침", "breakfast", "for breakfast", _BREAKFASTS), "lunch": ("점심", "lunch", "for lunch", _MEALS),
             "dinner": ("저녁", "dinner", "for dinner", _MEALS), "snack": ("야식", "late-night snack", "for a late-night snack", _SNACKS)}
_B4_MEAL_KO = {
    "past": ["{D} {M} 뭐 먹었다고 했지?", "나 {D} {M:으로} 뭐 먹었더라?", "{D} {M} 메뉴 뭐였지?", "{D} {M:으로} 뭐 먹었는지 기억나?",
             "{D} {M} 뭐였더라", "내가 {D} {M:으로} 뭐 먹었다고 했었지?", "{D} {M} 뭐 먹었는지 알아?"],
    "future": ["{D} {M} 뭐 먹기로 했지?", "나 {D} {M:으로} 뭐 먹기로 했더라?", "{D} {M} 메뉴 뭐였지?", "{D} {M} 뭐 먹는다고 했더라?",
               "{D} {M} 메뉴 정해 놨던 거 기억나?", "내가 {D} {M:으로} 뭐 먹겠다고 했지?"],
    "now": ["{D} {M} 메뉴 뭐였지?", "{D} {M:으로} 뭐 먹는다고 했더라?", "나 {D} {M} 뭐 먹기로 했지?", "{D} {M} 뭐라고 했더라?",
            "{D} {M} 메뉴 기억나?", "{D} {M:으로} 뭐 먹을지 내가 말했었나?"],
}
_B4_MEAL_EN = {
    "past": ["what did I have {f} {d}?", "what did I say I ate {f} {d}?", "remember what I had {f} {d}?", "what was {P} {m} again?",
             "do you remember {P} {m}?", "what did I eat {f} {d}, again?"],
    "future": ["what am I having {f} {d}?", "what did I say I'd have {f} {d}?", "what's {P} {m} again?",
               "do you remember what I'm eating {f} {d}?", "remind me what I planned {f} {d}"],
    "now": ["what's {f} {d}, did I say?", "what did I say I'm having {f} {d}?", "what's {P} {m} again?",
            "do you remember {P} {m}?", "what was I eating {f} {d} again?"],
}


def _b4_meal_attrs() -> dict:
    out = {}
    for day, (dk, adv, poss, tense) in _B4_DAYS.items():
        for meal, (mk, noun, for_, pool) in _B4_MEALS.items():
            if (day, meal) == ("tomorrow", "snack"):
                continue
            t, d, p = tense, adv, poss
            if day == "today" and meal in ("dinner", "snack"):
                t, d, p = "now", "tonight", "tonight's"
            elif day == "today" and meal == "breakfast":
                d = "this morning"
            elif day == "yesterday" and meal in ("dinner", "snack"):
                d, p = "last night", "last night's"
            keys_en = [f"{p} {noun}"] + ([f"{poss} {noun}"] if p != poss else [])
            en_q = [x.replace("{f}", for_).replace("{d}", d).replace("{P}", p).replace("{m}", noun) for x in _B4_MEAL_EN[t]]
            ko_q = [x.replace("{D}", dk).replace("{M}", mk).replace("{M:으로}", _josa(mk, "으로")) for x in _B4_MEAL_KO[t]]
            out[f"{day}_{meal}"] = (("meals",), ("self",), None, None, [f"{dk} {mk}", f"{dk} {mk} 메뉴"], [], keys_en, [],
                                    ko_q, en_q, _pool(*pool))
    return out


# one owner's attributes where one could half-answer a question about the other: never the only neighbour
B4_SOFT = [("hobby", "exercise"), ("hobby", "instrument"), ("singer", "band"), ("company", "workplace"), ("job", "company"),
           ("job", "parttime"), ("mood_today", "health_today"), ("mood_yesterday", "health_today")]


def _josa(word: str, particle: str) -> str:
    """word + the particle that fits its last syllable (이/가, 은/는, 을/를, 으로/로, 이랑/랑)."""
    c = word[-1]
    coda = (ord(c) - 0xAC00) % 28 if "가" <= c <= "힣" else 0
    if particle == "으로":
        return word + ("으로" if coda not in (0, 8) else "로")
    pair = {"이": ("이", "가"), "은": ("은", "는"), "을": ("을", "를"), "랑": ("이랑", "랑")}[particle]
    return word + pair[0 if coda else 1]


def build_neighbour_batch(seed: int, earlier_questions: set[str], cases: int = 3000) -> list[dict]:
    """The fourth batch (see above): `cases` train rows with `batch: 4`, none asking a question of batches 1-3."""
    rng = random.Random(seed)
    attrs = {**B4_ATTRS, **_b4_meal_attrs()}
    fam_of = {a: spec[0] for a, spec in attrs.items()}
    families = sorted({f for fs in fam_of.values() for f in fs})
    in_family = {f: [a for a in attrs if f in fam_of[a]] for f in families}
    soft = {(a, b) for a, b in B4_SOFT} | {(b, a) for a, b in B4_SOFT}
    slots = [(o, a) for a, spec in attrs.items() for o in spec[1]]

    def related(s, t) -> bool:
        """t is s's neighbour: the same attribute of another owner, or a family attribute of the same owner."""
        return s != t and (s[1] == t[1] or (s[0] == t[0] and set(fam_of[s[1]]) & set(fam_of[t[1]])))

    def owner_words(o: str, ctx: dict) -> list[list[str]]:
        """B4_OWNERS[o] with this case's older siblings (형/오빠, 누나/언니) and friend filled in."""
        sub = lambda w: w.replace("{형}", ctx["brother"]).replace("{누나}", ctx["sister"]).replace(  # noqa: E731
            "{F}", ctx["friend"][0]).replace("{E}", ctx["friend"][1])
        return [[sub(w) for w in forms] for forms in B4_OWNERS[o]]

    def fill_ko(t: str, o: str, ctx: dict, key: bool) -> str:
        ko_qs = owner_words(o, ctx)[1]
        if o == "self":
            if key:
                t = re.sub(r"\{o[is]?\} ", "", t)
            words = {"o": "내", "oi": "내가", "os": "나"}
        else:
            w = ctx["key_form"][o] if key else rng.choice(ko_qs)
            words = {"o": w, "oi": _josa(w, "이"), "os": w}
        honour = B4_HONOUR - {"mom", "dad", "parents"} if "연세" in t else B4_HONOUR  # 엄마 연세: rare in chat
        t = re.sub(r"\{h:(\w+)/(\w+)\}", lambda m: m[2] if o in honour and rng.random() < 0.5 else m[1], t)
        return re.sub(r"\{(o[is]?)\}", lambda m: words[m[1]], t)

    def fill_en(t: str, o: str, ctx: dict, key: bool) -> str:
        *_, en_qs, en_subj = owner_words(o, ctx)
        if o == "self":
            if key:
                t = t.replace("{o} ", "")
            words = {"o": "my", "S": "I", "does": "do", "is": "am", "s": ""}
        else:
            words = {"o": ctx["key_form_en"][o] if key else rng.choice(en_qs), "S": rng.choice(en_subj), "does": "does",
                     "is": "is", "s": "s"}
        return re.sub(r"\{(o|S|does|is|s)\}", lambda m: words[m[1]], t)

    def key_of(s, lang: int, ctx: dict) -> str:
        spec = attrs[s[1]]
        forms = spec[4] if lang == 0 else spec[6]
        t = ctx["attr_form"].setdefault((s[1], lang), rng.choice(forms))
        return fill_ko(t, s[0], ctx, True) if lang == 0 else fill_en(t, s[0], ctx, True)

    def noise(q: str, lang: int) -> str:
        if lang == 0:
            if "몇 시" in q and rng.random() < 0.3:
                q = q.replace("몇 시", "몇시")
            if "뭐 먹" in q and rng.random() < 0.2:
                q = q.replace("뭐 먹", "뭐먹")
            if rng.random() < 0.06:
                q = q.replace("뭐", "머")
            if not q.startswith("혹시") and rng.random() < 0.08:
                q = rng.choice(["로라야 ", "로라 ", "아 맞다 ", "근데 ", "혹시 "]) + q
            r = rng.random()
            q = q.rstrip("?") if r < 0.12 else q + "?" if r < 0.16 and q.endswith("?") else q + " ㅋㅋ" if r < 0.2 else q
        else:
            if rng.random() < 0.07:
                q = rng.choice(["hey Lora, ", "Lora, ", "wait, ", "hmm, ", "quick question: "]) + q
            if rng.random() < 0.04:
                q = q.replace("what's", "whats")
            if rng.random() < 0.1:
                q = q.rstrip("?")
        return q

    def fits(templates: list[str], o: str) -> list[str]:
        """templates for owner o: those marked "self:" only for the user's own, "other:" only for others'."""
        mine = "self:" if o == "self" else "other:"
        return [t.removeprefix(mine) for t in templates if not t.startswith(("self:", "other:")) or t.startswith(mine)]

    def question(s, lang: int, ctx: dict) -> str:
        o, a = s
        spec = attrs[a]
        kind, nps, extra = (spec[2], spec[5], spec[8]) if lang == 0 else (spec[3], spec[7], spec[9])
        generic = (B4_KO if lang == 0 else B4_EN)[kind]
        nps = fits(nps, o)
        templates = [("g", t) for t in (generic if nps else [])] + [("x", t) for t in fits(extra, o)]
        for _ in range(50):
            how, t = rng.choice(templates)
            if how == "g":
                np_ = fill_ko(rng.choice(nps), o, ctx, False) if lang == 0 else fill_en(rng.choice(nps), o, ctx, False)
                t = re.sub(r"\{A:(\w+)\}", lambda m: _josa(np_, m[1]), t).replace("{A}", np_)
            q = fill_ko(t, o, ctx, False) if lang == 0 else fill_en(t, o, ctx, False)
            q = noise(q, lang)
            if q not in earlier_questions:
                return q
        raise AssertionError(f"no new question for {s}")

    rows = []
    kinds = ["answer"] * 45 + ["near"] * 40 + ["unrelated"] * 15
    for i in range(cases):
        lang = i % 2
        kind = rng.choice(kinds)
        while True:
            fam = rng.choice(families + ["meals", "state", "dates"])  # the day and birthday neighbours a bit more
            a = rng.choice(in_family[fam])
            asked = (rng.choice([o for o in attrs[a][1] if fam != "pet" or o in _PETS]), a)
            near = [t for t in slots if related(asked, t) and not (t[0] == asked[0] and (a, t[1]) in soft)]
            if near or kind != "near":
                break
        ctx = {"brother": rng.choice(["형", "오빠"]), "friend": rng.choice(B4_FRIENDS), "attr_form": {}}
        ctx["sister"] = "누나" if ctx["brother"] == "형" else "언니"
        ctx["key_form"] = {o: rng.choice(owner_words(o, ctx)[0]) for o in B4_OWNERS}
        ctx["key_form_en"] = {o: rng.choice(owner_words(o, ctx)[2]) for o in B4_OWNERS}
        keep_out = {asked} | {(asked[0], b) for (x, b) in soft if x == asked[1]}
        chosen = [asked] if kind == "answer" else []
        if kind != "unrelated":
            for _ in range(rng.randint(1, 3)):  # half the time another owner's, half another attribute or day
                other_owner = [t for t in near if t[1] == asked[1] and t not in chosen]
                other_attr = [t for t in near if t[1] != asked[1] and t not in chosen]
                pick = [p for p in (other_owner, other_attr) if p]
                if pick:
                    chosen.append(rng.choice(rng.choice(pick)))
        far = [t for t in slots if t not in keep_out and t[1] != asked[1]
               and not set(fam_of[t[1]]) & set(fam_of[asked[1]])]
        n = rng.randint(3, 8) if kind == "unrelated" else min(8, max(3, len(chosen) + rng.randint(1, 4)))
        while len(chosen) < n:
            t = rng.choice(far)
            if t not in chosen:
                chosen.append(t)
        mem, values, answer = [], set(), None
        for s in chosen:
            for _ in range(30):
                v = attrs[s[1]][10](rng, s[0])[lang]
                if v not in values:
                    break
            else:
                assert s != asked or kind != "answer"
                continue
            values.add(v)
            mem.append([key_of(s, lang, ctx), v])
            if kind == "answer" and s == asked:
                answer = mem[-1]
        rng.shuffle(mem)
        keys = [k for k, _ in mem]
        assert len(set(keys)) == len(keys), mem
        rows.append({"memories": mem, "question": question(asked, lang, ctx), "answer": answer, "lang": ("ko", "en")[lang],
                     "group": f"b4-{fam}-{kind}", "split": "train", "batch": NEIGHBOUR_BATCH})
    assert not {r["question"] for r in rows} & earlier_questions
    return rows


# Why (batch 4, general keys): the rows above always store specific keys ("cat's name" next to "cat's age"), so
# a model learned that a memory answers only when its key names the asked attribute. Users' memories are
# often one general key whose value holds several specifics (["반려견", "말티즈 몽이, 5살"] answers "우리 개 몇
# 살이지?"), asked with words that are not in the key ("do I have any pets?" against "cat"). These rows (still
# batch 4, train only, groups b4-general-<family>-answer / -near):
#   answer: the user's general memory, asked about one specific its value holds, with 1-2 look-alike memories
#           of another owner or another time (엄마 취미, 작년 여행, 전 직장...) and other general facts;
#   near:   the same general memory stored, asked about a look-alike specific of another owner (언니 강아지
#           이름, what time does my dad wake up?) that nothing stored holds: no answer. The user's own subject
#           is never asked for a detail its value lacks (that is ambiguous, not a neighbour).
# Values, keys and phrasings are this part's own; no question string of batches 1-3 is asked.
_G_DOGS = [("말티즈", "Maltese"), ("푸들", "poodle"), ("시츄", "Shih Tzu"), ("비숑", "Bichon"), ("진돗개", "Jindo"),
           ("포메", "Pomeranian"), ("웰시코기", "corgi"), ("믹스견", "mixed-breed dog")]
_G_CATS = [("코숏", "Korean shorthair"), ("러시안블루", "Russian Blue"), ("치즈냥이", "ginger tabby"), ("턱시도냥이", "tuxedo cat"),
           ("스코티시폴드", "Scottish Fold"), ("삼색이", "calico"), ("페르시안", "Persian")]
_G_PETNAMES = [("몽이", "Mongi"), ("초코", "Choco"), ("나비", "Nabi"), ("밤이", "Bami"), ("쿠키", "Cookie"), ("루루", "Lulu"),
               ("감자", "Gamja"), ("토리", "Tori"), ("단비", "Danbi"), ("우유", "Uyu"), ("찰떡", "Chaltteok"), ("누룽지", "Nurungji")]
_G_NAMES = [("도현", "Dohyun"), ("지우", "Jiwoo"), ("서준", "Seojun"), ("하린", "Harin"), ("윤아", "Yuna"), ("재민", "Jaemin"),
            ("수아", "Sua"), ("은호", "Eunho"), ("다인", "Dain"), ("태윤", "Taeyun")]
_G_CITIES = [("대구", "Daegu"), ("광주", "Gwangju"), ("제주", "Jeju"), ("인천", "Incheon"), ("울산", "Ulsan"), ("청주", "Cheongju"),
             ("창원", "Changwon"), ("천안", "Cheonan")]
_G_DAYS = [("월요일", "Monday"), ("화요일", "Tuesday"), ("수요일", "Wednesday"), ("목요일", "Thursday"), ("금요일", "Friday"),
           ("토요일", "Saturday"), ("일요일", "Sunday")]
_G_NUM_EN = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven"}


def _g_pick(r, pool, *avoid):
    return r.choice([p for p in pool if p not in avoid])


def _g_pet(r, c, dog: bool):
    (bk, be), (nk, ne) = r.choice(_G_DOGS if dog else _G_CATS), r.choice(_G_PETNAMES)
    age = r.randint(1, 14)
    if dog:
        keys, ak, ae, wk, we = [("반려견", "dog"), ("강아지", "dog"), ("반려동물", "pets")], "강아지", "dog", "개", "pup"
    else:
        keys, ak, ae, wk, we = [("고양이", "cat"), ("반려묘", "cat"), ("반려동물", "pets")], "고양이", "cat", "냥이", "kitty"
    o1, o2 = _g_pick(r, _G_PETNAMES, (nk, ne)), _g_pick(r, _G_PETNAMES, (nk, ne))
    other = r.choice(_G_CATS if dog else _G_DOGS)
    return {"topic": {"pet"}, "keys": keys,
            "val": (f"{bk} {nk}, {age}살", f"a {age}-year-old {be} called {ne}"),
            "ask": [([f"우리 {wk} 몇 살이지?", f"우리 {ak} 올해 몇 살이더라?", f"내 {ak} 나이 기억나?", f"우리 집 {wk} 몇 살이라고 했었지?"],
                     [f"how old is my {ae} again?", f"how old did I say my {we} is?", f"remind me how old my {ae} is",
                      f"is my {ae} still young? how old is it now?"]),
                    ([f"내 {ak} 이름 뭐였지?", f"우리 {wk} 이름 기억나?", f"우리 집 {wk} 이름이 뭐더라?", f"내가 키우는 {ak} 이름 알아?"],
                     [f"what's my {ae} called again?", f"do you remember what I named my {ae}?", f"what's my {we}'s name again?"]),
                    ([f"우리 {ak} 무슨 종인지 기억나?", f"내 {ak} 품종이 뭐였더라?", f"우리 {wk} 어떤 종이라고 했지?"],
                     [f"what breed did I say my {ae} is?", f"what kind of {ae} do I have?", f"remember what breed my {we} is?"]),
                    (["나 반려동물 키운다고 했었나? 뭐 키우지?", "내가 무슨 동물 키운다고 했지?", "나 집에서 키우는 동물 있다고 했었나?",
                      "우리 집에 사는 동물 뭐라고 했더라?"],
                     ["do I have any pets?", "what animal do I live with?", "did I tell you what pet I have?",
                      "what kind of pet do I have again?"])],
            "near": [("sis-pet", [f"{c['sis']} {ak} 이름 뭐였지?", f"{c['sis']}네 {wk} 몇 살이라고 했더라?"],
                      [f"what's my sister's {ae} called?", f"how old is my sister's {ae}?"]),
                     ("friend-pet", [f"친구네 {ak} 이름 뭐라고 했지?", f"{c['fk']}네 {ak} 몇 살이래?"],
                      [f"what's my friend's {ae} called?", f"how old is {c['fe']}'s {ae}?"]),
                     ("mom-pet", [f"엄마가 키우는 {'고양이' if dog else '강아지'} 이름 뭐였지?"],
                      [f"what's the name of my mom's {'cat' if dog else 'dog'}?"])],
            "decoy": [("sis-pet", f"{c['sis']} {ak}", f"{r.choice(_G_DOGS if dog else _G_CATS)[0]} {o1[0]}",
                       f"sister's {ae}", f"a {r.choice(_G_DOGS if dog else _G_CATS)[1]} named {o1[1]}"),
                      ("friend-pet", f"{c['fk']}네 {ak}", f"{o2[0]}, {r.randint(1, 14)}살", f"{c['fe']}'s {ae}",
                       f"{o2[1]}, {r.randint(1, 14)} years old"),
                      ("mom-pet", "엄마 반려동물", f"{other[0]} 한 마리", "mom's pet", f"a {other[1]}")]}


def _g_siblings(r, c):
    (ck, ce), grade = r.choice(_G_CITIES), r.choice([("중2", "in 8th grade"), ("고1", "a high school freshman"),
                                                      ("고3", "a high school senior"), ("대학교 2학년", "a college sophomore")])
    older = r.choice([(c["sis"], "older sister"), (c["bro"], "older brother")])
    opts = [(f"{older[0]} 하나, {ck}에서 혼자 삶", f"one {older[1]}, lives alone in {ce}",
             [f"우리 {older[0]} 어디 산다고 했지?", f"{older[0]} 사는 데가 어디였더라?"],
             [f"where does my {older[1]} live?", f"where did I say my {older[1]} lives?"]),
            (f"{older[0]} 둘, 나는 막내", f"two {older[1]}s, I'm the youngest",
             ["나 막내라고 했나 첫째라고 했나?", "내가 형제 중에 몇째라고 했지?"],
             ["am I the oldest or the youngest?", "where do I fall among my siblings?"]),
            (f"남동생 하나, 지금 {grade[0]}", f"one younger brother, {grade[1]}",
             ["내 동생 몇 학년이더라?", "남동생 지금 몇 학년이라고 했지?"],
             ["what grade is my little brother in?", "what year of school is my younger brother in now?"])]
    vk, ve, qk, qe = r.choice(opts)
    return {"topic": {"kin"}, "keys": [("가족", "family"), ("형제", "siblings"), ("형제 관계", "siblings")], "val": (vk, ve),
            "ask": [(["나 형제 있다고 했었나?", "내 형제 몇 명이라고 했지?", "형제 있어? 내가 말했던 것 같은데", "나 형제 관계 어떻게 된다고 했지?"],
                     ["how many siblings do I have?", "do I have any brothers or sisters?", "did I tell you if I have siblings?",
                      "am I an only child, did I say?"]), (qk, qe)],
            "near": [("bf-sib", ["남친 형제 몇 명이라고 했지?", "남자친구 형제 있다고 했었나?"],
                      ["how many siblings does my boyfriend have?", "does my boyfriend have any brothers?"]),
                     ("mom-sib", ["엄마 형제 몇 명이셨지?", "우리 엄마 자매 몇이라고 했더라?"], ["how many siblings does my mom have?"]),
                     ("friend-sib", [f"{c['fk']} 동생 몇 살이었지?"], [f"how old is {c['fe']}'s little brother?"])],
            "decoy": [("bf-sib", "남자친구 가족", "누나 둘, 외아들", "boyfriend's family", "two older sisters, he's the only son"),
                      ("mom-sib", "엄마 형제", "이모 셋, 외삼촌 하나", "mom's siblings", "three sisters and one brother"),
                      ("friend-sib", f"{c['fk']} 동생", "남동생, 스무 살", f"{c['fe']}'s sibling", "a younger brother, twenty")]}


def _g_sleep(r, c):
    bed, wake = r.choice([23, 24, 25, 26]), r.choice([6, 7, 8, 9, 10])
    (bk, be), (wk, we) = _clock(bed, False), _clock(wake, r.random() < 0.4)
    ask = [(["나 보통 몇 시에 일어난다고 했지?", "내 기상 시간 몇 시였지?", "나 아침에 몇 시쯤 일어나더라?", "평소에 몇 시에 깬다고 했었지?"],
            ["what time do I usually wake up?", "when do I normally get up?", "what time did I say I'm up in the morning?"]),
           (["나 보통 몇 시에 잔다고 했더라?", "내가 몇 시쯤 잔다고 했지?", "나 평소에 언제 자는지 기억나?"],
            ["what time do I usually go to bed?", "when did I say I normally fall asleep?", "how late do I usually stay up?"])]
    vk, ve = f"{bk}에 자서 {wk}에 일어남", f"bed at {be}, up at {we}"
    if r.random() < 0.4:
        m = r.choice([20, 30, 40])
        vk, ve = vk + f", 점심 먹고 낮잠 {m}분", ve + f", a {m}-minute nap after lunch"
        ask.append((["나 낮잠 몇 분 잔다고 했지?", "나 점심 먹고 얼마나 잔다고 했더라?"],
                    ["how long are my naps?", "how long do I nap after lunch?"]))
    return {"topic": {"daily"}, "keys": [("수면", "sleep"), ("수면 습관", "sleep habits"), ("잠", "sleep schedule")], "val": (vk, ve),
            "ask": ask,
            "near": [("dad-wake", ["우리 아빠 몇 시에 일어나신다고 했지?", "아빠 아침 몇 시에 깨신다고 했더라?"],
                      ["what time does my dad wake up?", "when does my dad get up in the morning?"]),
                     ("roommate-bed", ["룸메 몇 시에 잔다고 했더라?", "룸메이트 보통 언제 자?"],
                      ["what time does my roommate go to bed?", "how late does my roommate stay up?"]),
                     ("bf-wake", ["남친 보통 몇 시에 일어난대?"], ["what time does my boyfriend get up?"])],
            "decoy": [("dad-wake", "아빠 기상 시간", _clock(r.choice([4, 5]), False)[0], "dad's wake-up time",
                       _clock(r.choice([4, 5]), False)[1]),
                      ("roommate-bed", "룸메 취침 시간", "밤 10시", "roommate's bedtime", "10 p.m."),
                      ("bf-wake", "남친 아침", "6시 반 기상, 바로 헬스장", "boyfriend's mornings", "up at 6:30, straight to the gym")]}


def _g_diet(r, c):
    rules = [("저녁에 탄수화물 안 먹기", "no carbs at dinner", ["저녁에 뭐 끊는다고 했지?", "나 저녁엔 뭐 안 먹는다고 했더라?"],
              ["what did I say I'm cutting out at dinner?", "what am I not eating at dinner these days?"]),
             ("밀가루 끊기", "no flour", ["나 다이어트 때문에 뭐 끊었다고 했더라?"], ["what did I say I gave up for my diet?"]),
             ("간헐적 단식 16:8", "16:8 intermittent fasting", ["나 무슨 단식 한다고 했지?", "나 몇 시간 공복 유지한다고 했더라?"],
              ["what kind of fasting am I doing?", "how many hours do I fast?"]),
             ("야식 끊기", "no late-night snacks", ["나 다이어트 하면서 뭐 안 먹는다고 했지?"], ["what did I say I'm not eating anymore?"]),
             ("단 음료 안 마시기", "no sugary drinks", ["나 요즘 뭐 안 마신다고 했지?", "다이어트 때문에 끊은 음료 뭐였더라?"],
              ["what did I stop drinking?", "what am I avoiding drinking on my diet?"])]
    rk, re_, qk, qe = r.choice(rules)
    kg = r.randint(3, 12)
    return {"topic": {"body"}, "keys": [("식단", "diet"), ("식단 관리", "diet"), ("다이어트", "diet plan")],
            "val": (f"{rk}, 목표 {kg}kg 감량", f"{re_}, aiming to lose {kg} kg"),
            "ask": [(qk + ["나 다이어트 어떻게 한다고 했지?"], qe + ["how did I say I'm dieting?"]),
                    (["나 몇 키로 빼는 게 목표라고 했지?", "내 감량 목표 몇 kg이었지?", "나 살 얼마나 뺀다고 했더라?"],
                     ["how much weight am I trying to lose?", "what was my weight-loss goal?", "how many kilos did I want to drop?"])],
            "near": [("mom-diet", ["엄마 다이어트 어떻게 하신다고 했지?"], ["how is my mom dieting?"]),
                     ("sis-diet", [f"{c['sis']} 몇 키로 뺐다고 했지?"], ["how much weight did my sister lose?"]),
                     ("friend-diet", ["친구가 한다는 다이어트 뭐였더라?"], ["what diet is my friend on?"])],
            "decoy": [("mom-diet", "엄마 다이어트", "한 달째 저탄고지", "mom's diet", "keto for a month now"),
                      ("friend-diet", f"{c['fk']} 식단", "닭가슴살 도시락", f"{c['fe']}'s diet", "chicken breast lunchboxes"),
                      ("x-lunch", "점심", "회사 앞 순댓국", "lunch", "sundae soup near the office")]}


def _g_health(r, c):
    cond = r.choice([("허리디스크", "a herniated disc"), ("역류성 식도염", "acid reflux"), ("비염", "rhinitis"),
                     ("편두통", "migraines"), ("빈혈", "anemia"), ("손목 터널 증후군", "carpal tunnel")])
    med = r.choice([("비타민D", "vitamin D"), ("유산균", "probiotics"), ("오메가3", "omega-3"), ("철분제", "iron pills"),
                    ("마그네슘", "magnesium")])
    return {"topic": {"body"}, "keys": [("건강", "health"), ("건강 상태", "health"), ("몸 관리", "health notes")],
            "val": (f"{cond[0]} 있음, 아침마다 {med[0]} 챙겨 먹음", f"{cond[1]}; takes {med[1]} every morning"),
            "ask": [(["나 어디 안 좋다고 했지?", "나 무슨 지병 있다고 했더라?", "내가 달고 산다는 병 뭐였지?"],
                     ["what health problem did I say I have?", "what condition do I have again?", "what's my chronic issue?"]),
                    (["나 매일 무슨 영양제 먹는다고 했지?", "아침마다 나 뭐 챙겨 먹는다고 했더라?"],
                     ["what supplement do I take every day?", "what do I take every morning?"])],
            "near": [("grandpa-health", ["할아버지 어디 편찮으시다고 했지?"], ["what's wrong with my grandpa's health?"]),
                     ("dad-med", ["아빠 무슨 약 드신다고 했지?", "우리 아빠 매일 드시는 약 뭐였더라?"],
                      ["what medication does my dad take?", "what pills does my dad take every day?"])],
            "decoy": [("grandpa-health", "할아버지 건강", "당뇨 있으심", "grandpa's health", "diabetes"),
                      ("dad-med", "아빠 약", "혈압약", "dad's medication", "blood pressure pills"),
                      ("x-checkup", "건강검진", "작년 11월에 받음", "checkup", "had one last November")]}


def _g_hobby(r, c):
    act = r.choice([("도자기 공방", "pottery class", "공방", "pottery class"), ("베이킹 클래스", "baking class", "베이킹 수업", "baking class"),
                    ("보컬 레슨", "vocal lessons", "보컬 레슨", "vocal lesson"), ("볼링 동호회", "bowling club", "볼링 동호회", "bowling club"),
                    ("독서 모임", "book club", "독서 모임", "book club"), ("사진 동호회 출사", "photo club outings", "출사", "photo outing")])
    day = r.choice(_G_DAYS)
    return {"topic": {"leisure", "week"}, "keys": [("취미", "hobby"), ("요즘 취미", "hobbies")],
            "val": (f"{day[0]}마다 {act[0]}", f"{act[1]} every {day[1]}"),
            "ask": [([f"나 {act[2]} 무슨 요일에 간다고 했지?", f"{act[2]} 언제 있다고 했더라?"],
                     [f"what day is my {act[3]}?", f"when do I have my {act[3]}?"]),
                    ([f"나 {day[0]}마다 뭐 한다고 했지?", "나 요즘 취미로 뭐 배운다고 했더라?", "나 요즘 취미로 다니는 거 뭐였지?"],
                     [f"what do I do every {day[1]}?", "what did I say I do for fun these days?", "what's my hobby again?"])],
            "near": [("mom-hobby", ["엄마 취미 뭐라고 했지?", "우리 엄마 요즘 뭐 배우신다고 했더라?"],
                      ["what's my mom's hobby?", "what's my mom learning these days?"]),
                     ("bf-hobby", ["남친은 주말에 뭐 한다고 했더라?", "남자친구 취미 뭐였지?"],
                      ["what does my boyfriend do on weekends?", "what's my boyfriend into?"])],
            "decoy": [("mom-hobby", "엄마 취미", "화초 키우기", "mom's hobby", "growing houseplants"),
                      ("bf-hobby", "남친 취미", "바다낚시", "boyfriend's hobby", "sea fishing"),
                      ("ybro-hobby", "남동생 취미", "롤", "little brother's hobby", "League of Legends")]}


def _g_instrument(r, c):
    inst = r.choice([("첼로", "cello"), ("피아노", "piano"), ("통기타", "acoustic guitar"), ("드럼", "drums"), ("바이올린", "violin"),
                     ("우쿨렐레", "ukulele"), ("색소폰", "saxophone")])
    n, day = r.randint(2, 6), r.choice(_G_DAYS)
    return {"topic": {"leisure", "week"}, "keys": [("악기", "instrument"), ("악기 레슨", "music lessons")],
            "val": (f"{inst[0]} {n}년째 배우는 중, 레슨은 {day[0]}", f"learning {inst[1]} for {n} years now, lessons on {day[1]}s"),
            "ask": [([f"나 {n}년째 배우는 거 뭐였지?", "나 무슨 악기 한다고 했더라?", "내가 연습한다던 악기 뭐였지?"],
                     [f"what have I been learning for {_G_NUM_EN[n]} years?", "what instrument do I play?",
                      "which instrument was I practicing?"]),
                    ([f"나 {inst[0]} 배운 지 얼마나 됐다고 했지?", f"{inst[0]} 몇 년째 하는 중이라고 했더라?"],
                     [f"how long have I been playing the {inst[1]}?", f"how many years have I been learning {inst[1]}?"]),
                    ([f"{inst[0]} 레슨 무슨 요일이라고 했지?", "나 레슨 무슨 요일에 받는다고 했더라?"],
                     [f"what day is my {inst[1]} lesson?", "which day do I have my music lesson?"])],
            "near": [("ysis-inst", ["여동생 무슨 악기 배운다고 했지?"], ["what instrument is my little sister learning?"]),
                     ("friend-inst", [f"{c['fk']} 밴드에서 뭐 친다고 했지?"], [f"what does {c['fe']} play in the band?"])],
            "decoy": [("ysis-inst", "여동생 학원", "피아노 학원 주 3회", "little sister's lessons", "piano academy three times a week"),
                      ("friend-inst", f"{c['fk']} 밴드", "일렉 기타 담당", f"{c['fe']}'s band", "plays electric guitar")]}


def _g_workout(r, c):
    sp = r.choice([("수영", "swimming", "swimming"), ("필라테스", "Pilates", "to Pilates"), ("크로스핏", "CrossFit", "to CrossFit"),
                   ("복싱", "boxing", "to boxing"), ("헬스", "the gym", "to the gym"), ("클라이밍", "climbing", "climbing")])
    n, (tk, te) = r.randint(2, 5), _clock(r.choice([6, 7, 19, 20, 21]), r.random() < 0.4)
    return {"topic": {"leisure", "body"}, "keys": [("운동", "workout"), ("운동 루틴", "exercise")],
            "val": (f"{sp[0]} 주 {n}회, {tk}", f"{sp[1]} {n} times a week at {te}"),
            "ask": [(["나 무슨 운동 다닌다고 했더라?", "나 요즘 뭐 하면서 몸 관리한다고 했지?", "내가 다닌다던 운동 뭐였지?"],
                     ["what sport do I do?", "what do I do to stay in shape?", "what kind of exercise am I into?"]),
                    ([f"나 {sp[0]} 일주일에 몇 번 간다고 했지?", "나 운동 일주일에 몇 번 한다고 했더라?"],
                     [f"how many times a week do I go {sp[2]}?", "how often do I work out?"]),
                    (["나 운동 몇 시에 간다고 했지?", f"{sp[0]} 몇 시 타임이라고 했더라?"],
                     ["what time do I usually work out?", "when do I go to my workouts?"])],
            "near": [("dad-sport", ["아빠 요즘 무슨 운동 하신다고 했지?"], ["what exercise is my dad doing these days?"]),
                     ("gf-gym", ["여친 일주일에 몇 번 운동한대?", "여자친구 무슨 운동 한다고 했더라?"],
                      ["how often does my girlfriend work out?", "what sport does my girlfriend do?"])],
            "decoy": [("dad-sport", "아빠 운동", "새벽 등산", "dad's workout", "early-morning hiking"),
                      ("gf-gym", "여자친구 운동", "요가 주 2회", "girlfriend's workout", "yoga twice a week")]}


def _g_studies(r, c):
    sub = r.choice([("토익", "the TOEIC"), ("정보처리기사", "the Information Processing Engineer exam"), ("한국사 검정", "the Korean History exam"),
                    ("JLPT N2", "JLPT N2"), ("컴활 1급", "the Computer Specialist Level 1 exam"), ("공인중개사", "the real estate agent exam")])
    (dk, de) = _date(r)
    return {"topic": {"study"}, "keys": [("공부", "studies"), ("요즘 공부", "studying"), ("자격증 공부", "exam prep")],
            "val": (f"{sub[0]} 준비 중, 시험은 {dk}", f"prepping for {sub[1]}, exam on {de}"),
            "ask": [(["나 요즘 무슨 시험 준비한다고 했지?", "내가 공부하고 있다던 자격증 뭐였더라?", "나 무슨 공부 한다고 했었지?"],
                     ["what exam am I studying for?", "what did I say I'm preparing for?", "which certificate am I working on?"]),
                    (["내 시험 언제라고 했지?", "나 시험 며칠에 본다고 했더라?", "시험까지 얼마 안 남았지? 며칠이었지?"],
                     ["when's my exam?", "what date is my test again?", "when did I say I'm taking my exam?"])],
            "near": [("ybro-exam", ["남동생 수능 언제라고 했지?"], ["when's my little brother's college entrance exam?"]),
                     ("friend-study", ["친구 무슨 공부 한다고 했더라?"], ["what's my friend studying for?"]),
                     ("roommate-exam", ["룸메 시험 언제래?"], ["when's my roommate's exam?"])],
            "decoy": [("ybro-exam", "남동생 수능", "11월 14일", "little brother's CSAT", "November 14"),
                      ("friend-study", "소연이 공부", "임용고시 준비", "Soyeon's studies", "prepping for the teacher certification exam"),
                      ("roommate-exam", "룸메 시험", "다음 주 금요일", "roommate's exam", "next Friday")]}


def _g_move(r, c):
    when = r.choice([("다음 달", "next month"), ("이번 달 말", "at the end of this month"), ("3월 초", "in early March"),
                     ("다음 주 토요일", "next Saturday"), ("10월", "in October")])
    where = r.choice([("성수동", "Seongsu-dong"), ("합정", "Hapjeong"), ("판교", "Pangyo"), ("송파", "Songpa"), ("둔산동", "Dunsan-dong"),
                      ("광명", "Gwangmyeong"), ("은평구", "Eunpyeong-gu")])
    kind = r.choice([("투룸 전세", "a two-room place on jeonse"), ("원룸 월세", "a studio on monthly rent"), ("오피스텔", "an officetel"),
                     ("24평 아파트", "a 24-pyeong apartment")])
    return {"topic": {"home"}, "keys": [("이사", "move"), ("이사 계획", "moving")],
            "val": (f"{when[0]} {_josa(where[0], '으로')}, {kind[0]}", f"{kind[1]} in {where[1]}, {when[1]}"),
            "ask": [(["나 어디로 이사 간다고 했지?", "나 이사 가는 동네 어디였더라?", "새로 갈 집 어디라고 했지?"],
                     ["where am I moving to?", "which neighbourhood am I moving to?", "where's my new place going to be?"]),
                    (["나 이사 언제 한다고 했지?", "이삿날 언제였더라?", "나 언제 이사 간다고 했었지?"],
                     ["when am I moving?", "when's my moving day?", "when did I say I'm moving out?"]),
                    (["새 집 어떤 집이라고 했지?", "이사 가는 집 원룸이야 투룸이야?"],
                     ["what kind of place am I moving into?", "what type of place is my new home?"])],
            "near": [("sis-move", [f"{c['sis']} 어디로 이사 간다고 했지?"], ["where is my older sister moving?"]),
                     ("friend-move", ["친구 이사 언제라고 했더라?"], ["when is my friend moving?"]),
                     ("parents-move", ["부모님 이사 가신다는 데가 어디였지?"], ["where are my parents moving to?"])],
            "decoy": [("sis-move", f"{c['sis']} 이사", "수원으로 이사 예정", "sister's move", "moving to Suwon"),
                      ("friend-move", "민지 이사", "다음 주 일요일", "Minji's move", "next Sunday"),
                      ("x-now", "지금 사는 곳", "신림동 원룸", "current place", "a studio in Sillim-dong")]}


def _g_home(r, c):
    area = r.choice([("망원동", "Mangwon-dong"), ("신촌", "Sinchon"), ("분당 정자동", "Jeongja-dong, Bundang"), ("노원", "Nowon"),
                     ("부평", "Bupyeong"), ("해운대", "Haeundae"), ("연희동", "Yeonhui-dong")])
    kind = r.choice([("원룸", "studio"), ("투룸 빌라", "two-room villa"), ("오피스텔", "officetel"), ("아파트", "apartment")])
    fl = r.randint(2, 19)
    return {"topic": {"home"}, "keys": [("집", "home"), ("자취방", "place"), ("사는 곳", "where I live")],
            "val": (f"{area[0]} {kind[0]}, {fl}층", f"a {kind[1]} in {area[1]}, floor {fl}"),
            "ask": [(["나 어디 산다고 했었지?", "내가 사는 동네 어디였더라?", "우리 집 어느 동네였지?"],
                     ["where do I live again?", "which neighbourhood do I live in?", "where's my place?"]),
                    (["우리 집 몇 층이라고 했지?", "나 몇 층 산다고 했더라?"], ["what floor do I live on?", "which floor is my place on?"]),
                    (["나 어떤 집 산다고 했지?", "내가 사는 집 원룸이라고 했나?"],
                     ["what kind of place do I live in?", "do I live in a studio or an apartment?"])],
            "near": [("parents-home", ["본가 어디라고 했지?", "우리 부모님 어디 사신다고 했더라?"],
                      ["where do my parents live?", "where's my parents' place?"]),
                     ("bf-home", ["남친 어디 산다고 했더라?"], ["where does my boyfriend live?"]),
                     ("friend-home", [f"{c['fk']} 집 몇 층이었지?"], [f"what floor does {c['fe']} live on?"])],
            "decoy": [("parents-home", "본가", "부산 동래", "parents' place", "Dongnae, Busan"),
                      ("bf-home", "남친 집", "홍대 근처 원룸", "boyfriend's place", "a studio near Hongdae"),
                      ("x-old", "예전 집", "수원 영통", "old place", "Yeongtong, Suwon")]}


def _g_trip(r, c):
    dest = r.choice([("후쿠오카", "Fukuoka"), ("제주도", "Jeju"), ("치앙마이", "Chiang Mai"), ("하노이", "Hanoi"), ("파리", "Paris"),
                     ("시드니", "Sydney"), ("교토", "Kyoto"), ("싱가포르", "Singapore")])
    m, ln = r.randint(1, 12), r.choice([("2박 3일", "three days"), ("3박 4일", "four days"), ("4박 5일", "five days"), ("일주일", "a week")])
    return {"topic": {"trip"}, "keys": [("여행", "trip"), ("여행 계획", "travel plans")],
            "val": (f"{m}월에 {dest[0]} {ln[0]}", f"{dest[1]} for {ln[1]} in {_MONTHS[m - 1]}"),
            "ask": [(["나 여행 어디 간다고 했지?", "이번에 어디로 놀러 간다고 했더라?", "나 어디로 떠난다고 했었지?"],
                     ["where am I going on my trip?", "where did I say I'm traveling to?", "which city am I visiting?"]),
                    (["나 여행 언제 간다고 했지?", "여행 몇 월이라고 했더라?"], ["when's my trip?", "what month am I traveling?"]),
                    (["여행 며칠 간다고 했지?", "나 몇 박 한다고 했더라?"], ["how long is my trip?", "how many nights am I staying?"])],
            "near": [("parents-trip", ["부모님 어디로 여행 가신다고 했지?"], ["where are my parents going on their trip?"]),
                     ("friend-trip", ["친구 여행 언제 간다고 했더라?"], ["when is my friend's trip?"]),
                     ("boss-trip", ["팀장님 휴가 언제까지래?"], ["when is my manager back from vacation?"])],
            "decoy": [("parents-trip", "부모님 여행", "10월에 크루즈 여행", "parents' trip", "a cruise in October"),
                      ("friend-trip", "친구 여행", "유럽 한 달", "friend's trip", "a month in Europe"),
                      ("boss-trip", "팀장님 휴가", "다음 주 금요일까지", "manager's vacation", "until next Friday"),
                      ("x-past", "작년 여행", "오키나와", "last year's trip", "Okinawa")]}


def _g_relationship(r, c):
    (nk, ne), n = r.choice(_G_NAMES), r.randint(1, 6)
    met = r.choice([("대학 동아리", "a college club"), ("소개팅", "a blind date"), ("회사", "work"), ("교회", "church"),
                    ("헬스장", "the gym")])
    return {"topic": {"rel"}, "keys": [("연애", "relationship"), ("애인", "partner")],
            "val": (f"{_josa(nk, '랑')} {n}년째 연애 중, {met[0]}에서 만남", f"dating {ne} for {n} years, met at {met[1]}"),
            "ask": [(["내 애인 이름 뭐였지?", "나 누구랑 사귄다고 했더라?", "내가 만나는 사람 이름 기억나?"],
                     ["what's my partner's name?", "who am I dating again?", "do you remember who I'm seeing?"]),
                    (["나 연애한 지 얼마나 됐다고 했지?", "나 애인이랑 사귄 지 몇 년 됐다고 했더라?"],
                     ["how long have I been with my partner?", "how long have I been dating, did I say?"]),
                    (["나 애인이랑 어디서 처음 만났다고 했지?", "나 애인 어떻게 만났다고 했더라?"],
                     ["where did I meet my partner?", "how did I say I met the person I'm dating?"])],
            "near": [("friend-rel", ["친구 남친 이름 뭐였더라?"], ["what's my friend's boyfriend's name?"]),
                     ("sis-rel", [f"{c['sis']} 결혼 언제 한다고 했지?"], ["when is my older sister getting married?"])],
            "decoy": [("friend-rel", "지민이 남친", "한 살 연상 회사원", "Jimin's boyfriend", "an office worker a year older"),
                      ("sis-rel", f"{c['sis']} 결혼", "내년 5월", "older sister's wedding", "next May"),
                      ("x-ex", "전 애인", "3년 전에 헤어짐", "ex", "broke up three years ago")]}


def _g_commute(r, c):
    mode = r.choice([("지하철 2호선", "subway Line 2"), ("광역버스", "the express bus"), ("따릉이", "a rental bike"),
                     ("자차", "car"), ("지하철이랑 마을버스", "the subway and a shuttle bus")])
    mins, (tk, te) = r.choice([20, 30, 40, 50, 70]), _clock(r.choice([7, 8]), r.random() < 0.5)
    return {"topic": {"daily", "work"}, "keys": [("출퇴근", "commute"), ("출근길", "commute")],
            "val": (f"{_josa(mode[0], '으로')} {mins}분, {tk}에 집에서 나감",
                    f"{mins} minutes by {mode[1]}, out the door at {te}"),
            "ask": [(["나 회사 뭐 타고 다닌다고 했지?", "나 출근할 때 뭐 타더라?"], ["how do I get to work?", "what do I take to the office?"]),
                    (["나 회사까지 얼마나 걸린다고 했지?", "출근 몇 분 걸린다고 했더라?"],
                     ["how long is my ride to work?", "how many minutes does it take me to get to work?"]),
                    (["나 아침에 몇 시에 집에서 나간다고 했지?", "나 몇 시에 나가야 된다고 했더라?"],
                     ["what time do I leave the house in the morning?", "when did I say I head out for work?"])],
            "near": [("bf-commute", ["남친 회사까지 얼마나 걸린대?"], ["how long is my boyfriend's commute?"]),
                     ("dad-commute", ["아빠 출근 뭐 타고 하신다고 했지?"], ["how does my dad get to work?"])],
            "decoy": [("bf-commute", "남자친구 출퇴근", "자차로 1시간", "boyfriend's commute", "an hour by car"),
                      ("dad-commute", "아빠 출근", "버스 타고 30분", "dad's commute", "30 minutes by bus")]}


def _g_sidejob(r, c):
    place = r.choice([("편의점", "a convenience store"), ("카페", "a café"), ("영화관", "a movie theater"),
                      ("수학 학원 채점", "grading at a math academy"), ("삼겹살집 서빙", "serving at a samgyeopsal place")])
    days = r.choice([("주말", "weekends"), ("월수금 저녁", "Mon/Wed/Fri evenings"), ("평일 오전", "weekday mornings"),
                     ("화목", "Tuesdays and Thursdays")])
    wage = r.choice([("1만 원", "10,000 won"), ("1만 1천 원", "11,000 won"), ("1만 2천 원", "12,000 won"), ("1만 5백 원", "10,500 won")])
    return {"topic": {"work", "week"}, "keys": [("아르바이트", "side job"), ("알바", "part-time job")],
            "val": (f"{place[0]} {days[0]}, 시급 {wage[0]}", f"{place[1]}, {days[1]}, {wage[1]} an hour"),
            "ask": [(["나 어디서 알바한다고 했지?", "나 무슨 알바 하는지 기억나?"], ["where do I work part-time?", "what's my side gig again?"]),
                    (["나 알바 무슨 요일에 간다고 했지?", "알바 언제 나간다고 했더라?"], ["which days do I work my part-time job?", "when are my shifts?"]),
                    (["내 알바 시급 얼마라고 했지?", "나 시간당 얼마 받는다고 했더라?"],
                     ["how much do I get paid an hour?", "what's my hourly wage at my part-time job?"])],
            "near": [("ybro-job", ["남동생 알바 어디서 한다고 했지?"], ["where does my little brother work part-time?"]),
                     ("roommate-job", ["룸메 알바 시급 얼마래?"], ["how much does my roommate make an hour?"])],
            "decoy": [("ybro-job", "남동생 알바", "PC방 야간", "little brother's part-time job", "night shifts at a PC café"),
                      ("roommate-job", "룸메 알바", "학원 조교, 시급 1만 3천 원", "roommate's job", "cram school TA, 13,000 won an hour")]}


def _g_allowance(r, c):
    amt = r.choice([("30만 원", "300,000 won"), ("40만 원", "400,000 won"), ("50만 원", "500,000 won"), ("60만 원", "600,000 won")])
    d = r.choice([1, 5, 10, 15, 25])
    suf = {1: "st", 5: "th", 10: "th", 15: "th", 25: "th"}[d]
    return {"topic": {"work"}, "keys": [("용돈", "allowance")],
            "val": (f"한 달 {amt[0]}, 매달 {d}일에 들어옴", f"{amt[1]} a month, comes in on the {d}{suf}"),
            "ask": [(["나 용돈 한 달에 얼마 받는다고 했지?", "나 한 달에 얼마로 산다고 했더라?"],
                     ["how much allowance do I get a month?", "how much money do I live on each month?"]),
                    (["나 용돈 며칠에 들어온다고 했지?", "용돈 들어오는 날 언제였더라?"],
                     ["what day does my allowance come in?", "when do I get my allowance?"])],
            "near": [("ysis-allow", ["여동생 용돈 얼마 받는대?"], ["how much allowance does my little sister get?"])],
            "decoy": [("ysis-allow", "여동생 용돈", "주 2만 원", "little sister's allowance", "20,000 won a week"),
                      ("x-card", "카드값", "이번 달 80만 원", "credit card bill", "800,000 won this month")]}


def _g_habits(r, c):
    pool = [("자기 전에 일기 쓰기", "writing a diary before bed", ["나 자기 전에 뭐 한다고 했지?"], ["what do I do before bed?"]),
            ("아침마다 물 한 잔", "a glass of water every morning", ["나 일어나면 제일 먼저 뭐 한다고 했지?"],
             ["what's the first thing I do when I wake up?"]),
            ("손톱 물어뜯는 버릇", "biting my nails", ["나 고치고 싶은 버릇 있다고 했잖아, 뭐였지?"], ["what bad habit did I say I want to quit?"]),
            ("점심 먹고 20분 산책", "a 20-minute walk after lunch", ["나 점심 먹고 뭐 한다고 했더라?"], ["what do I do after lunch?"]),
            ("샤워하고 스트레칭 10분", "10 minutes of stretching after a shower", ["나 샤워하고 나서 뭐 한다고 했지?"],
             ["what do I do after I shower?"]),
            ("출근길에 영어 팟캐스트", "English podcasts on the way to work", ["나 출근길에 뭐 듣는다고 했지?"],
             ["what do I listen to on my commute?"]),
            ("커피 하루 세 잔", "three coffees a day", ["나 커피 하루에 몇 잔 마신다고 했지?"], ["how many coffees do I drink a day?"])]
    a, b = r.sample(pool, 2)
    return {"topic": {"daily"}, "keys": [("습관", "habits"), ("생활 습관", "routine")],
            "val": (f"{a[0]}, {b[0]}", f"{a[1]}, {b[1]}"), "ask": [(a[2], a[3]), (b[2], b[3])],
            "near": [("dad-habit", ["아빠 고쳐야 할 습관 뭐라고 했지?"], ["what habit does my dad need to break?"]),
                     ("bf-habit", ["남친 안 좋은 버릇 뭐였더라?"], ["what's my boyfriend's bad habit?"])],
            "decoy": [("dad-habit", "아빠 습관", "밥 먹고 바로 누우심", "dad's habit", "lies down right after eating"),
                      ("bf-habit", "남친 버릇", "다리 떨기", "boyfriend's habit", "jiggling his leg")]}


def _g_obsession(r, c):
    item = r.choice([("러닝", "running", "한강에서 매일 5km", "5 km along the Han River every day",
                      ["나 요즘 하루에 몇 킬로 뛴다고 했지?"], ["how far do I run every day?"]),
                     ("레트로 게임", "retro games", "중고 게임보이 모으는 중", "collecting used Game Boys",
                      ["나 요즘 뭐 모은다고 했지?"], ["what am I collecting these days?"]),
                     ("식물 키우기", "houseplants", "몬스테라 세 개 키우는 중", "raising three monsteras",
                      ["나 집에서 무슨 식물 키운다고 했더라?"], ["what plant am I growing at home?"]),
                     ("애니 정주행", "anime marathons", "요즘 매일 밤 하이큐", "Haikyu every night",
                      ["나 요즘 밤마다 뭐 정주행한다고 했지?"], ["what am I binge-watching every night?"]),
                     ("뜨개질", "knitting", "목도리 뜨는 중", "working on a scarf", ["나 요즘 뭐 뜬다고 했지?"], ["what am I knitting?"]),
                     ("마라탕", "malatang", "일주일에 세 번 먹음", "three times a week",
                      ["나 마라탕 일주일에 몇 번 먹는다고 했지?"], ["how many times a week do I eat malatang?"])])
    return {"topic": {"leisure", "body"}, "keys": [("요즘 빠진 것", "latest obsession"), ("요즘 관심사", "current obsession")],
            "val": (f"{item[0]}, {item[2]}", f"{item[1]}, {item[3]}"),
            "ask": [(["나 요즘 뭐에 빠져 있다고 했지?", "요즘 내가 푹 빠졌다던 거 뭐였더라?", "나 요즘 뭐에 꽂혔다고 했지?"],
                     ["what am I obsessed with lately?", "what did I say I can't get enough of these days?", "what's my latest obsession?"]),
                    (item[4], item[5])],
            "near": [("ysis-obs", ["여동생 요즘 뭐에 빠져 있다고 했지?"], ["what's my little sister into lately?"]),
                     ("bf-obs", ["남친 요즘 뭐에 꽂혔다고 했더라?"], ["what's my boyfriend obsessed with these days?"])],
            "decoy": [("ysis-obs", "여동생 요즘 관심사", "아이돌 포카 모으기", "little sister's obsession", "collecting idol photo cards"),
                      ("bf-obs", "남친 요즘 빠진 것", "캠핑 장비", "boyfriend's latest thing", "camping gear")]}


def _g_purchase(r, c):
    item = r.choice([("에어팟 프로", "AirPods Pro", "에어팟", "AirPods"), ("다이슨 드라이기", "a Dyson hair dryer", "드라이기", "hair dryer"),
                     ("닌텐도 스위치", "a Nintendo Switch", "스위치", "Switch"), ("무선 청소기", "a cordless vacuum", "청소기", "vacuum"),
                     ("러닝화", "running shoes", "러닝화", "running shoes"), ("캠핑 의자", "a camping chair", "캠핑 의자", "camping chair")])
    price = r.choice([("4만 5천 원", "45,000 won"), ("12만 원", "120,000 won"), ("29만 원", "290,000 won"), ("36만 원", "360,000 won"),
                      ("8만 원", "80,000 won")])
    where = r.choice([("쿠팡에서", "on Coupang"), ("당근에서 중고로", "secondhand on Karrot"), ("백화점에서", "at a department store"),
                      ("공홈에서", "from the official site")])
    return {"topic": {"stuff"}, "keys": [("최근 산 것", "recent purchase"), ("지름", "latest buy")],
            "val": (f"{item[0]}, {where[0]} {price[0]}", f"{item[1]}, {price[1]} {where[1]}"),
            "ask": [(["나 최근에 뭐 샀다고 했지?", "나 요즘 뭐 질렀다고 했더라?", "내가 얼마 전에 산 거 뭐였지?"],
                     ["what did I buy recently?", "what was the last thing I splurged on?", "what did I say I just bought?"]),
                    ([f"{item[2]} 얼마 주고 샀다고 했지?", f"내가 산 {item[2]} 얼마였더라?"],
                     [f"how much did I pay for the {item[3]}?", f"what did my {item[3]} cost?"]),
                    ([f"{item[2]} 어디서 샀다고 했지?"], [f"where did I buy the {item[3]}?"])],
            "near": [("mom-buy", ["엄마가 새로 사신 거 뭐라고 했지?"], ["what did my mom just buy?"]),
                     ("roommate-buy", ["룸메가 산 거 얼마였대?"], ["how much did my roommate's new thing cost?"])],
            "decoy": [("mom-buy", "엄마 새로 산 것", "안마의자", "mom's new purchase", "a massage chair"),
                      ("roommate-buy", "룸메 지름", "게이밍 모니터, 40만 원", "roommate's new buy", "a gaming monitor, 400,000 won"),
                      ("x-wish", "위시리스트", "아이패드 에어", "wishlist", "an iPad Air")]}


def _g_worry(r, c):
    item = r.choice([("이직 고민", "thinking about switching jobs", "팀장이랑 안 맞아서", "because I don't get along with my manager",
                      ["내가 이직하려는 이유 뭐라고 했지?"], ["why did I say I want to change jobs?"]),
                     ("전세 계약 만료", "my lease running out", "8월에 끝남", "it ends in August",
                      ["내 전세 계약 언제 끝난다고 했지?"], ["when does my lease end?"]),
                     ("대학원 진학", "whether to go to grad school", "내년 봄 학기 지원할지", "applying for next spring or not",
                      ["나 대학원 언제 지원할까 고민 중이라고 했지?"], ["when was I thinking of applying to grad school?"]),
                     ("친구랑 연락 끊김", "drifting apart from a friend", "고등학교 단짝 혜원이", "Hyewon, my best friend from high school",
                      ["나 누구랑 연락 끊겼다고 했지?"], ["who did I say I lost touch with?"])])
    return {"topic": {"mind", "work", "study", "home"}, "keys": [("고민", "worry"), ("요즘 고민", "worries")],
            "val": (f"{item[0]}, {item[2]}", f"{item[1]}, {item[3]}"),
            "ask": [(["나 요즘 뭐 때문에 고민이라고 했지?", "내가 요즘 고민하는 거 뭐였더라?", "나 요즘 머리 아픈 일 있다고 했잖아, 뭐였지?"],
                     ["what am I worried about these days?", "what did I say has been on my mind?",
                      "what's been bugging me lately, do you remember?"]), (item[4], item[5])],
            "near": [("friend-worry", ["친구 고민이 뭐였더라?"], ["what was my friend worried about?"]),
                     ("obro-worry", [f"{c['bro']} 요즘 뭐 때문에 힘들다고 했지?"], ["what's stressing my older brother out?"])],
            "decoy": [("friend-worry", "친구 고민", "결혼 준비 스트레스", "friend's worry", "stressed about wedding planning"),
                      ("obro-worry", f"{c['bro']} 고민", "취업 준비", "older brother's worry", "job hunting")]}


def _g_job(r, c):
    co = r.choice([("한빛물산", "Hanbit Trading"), ("쿠팡", "Coupang"), ("배달의민족", "Baemin"), ("기업은행", "IBK"),
                   ("스타트업 '모아'", "a startup called Moa"), ("구청", "the district office")])
    dept = r.choice([("마케팅팀", "marketing"), ("인사팀", "HR"), ("개발팀", "engineering"), ("영업팀", "sales"), ("재무팀", "finance"),
                     ("디자인팀", "design")])
    n = r.randint(1, 7)
    return {"topic": {"work"}, "keys": [("직장", "job"), ("회사 생활", "work")],
            "val": (f"{co[0]} {dept[0]}, {n}년차", f"{dept[1]} at {co[1]}, year {n}"),
            "ask": [(["나 무슨 회사 다닌다고 했더라?", "내가 다니는 회사 이름 뭐였지?"], ["where do I work?", "what company am I at?"]),
                    (["나 무슨 팀이라고 했지?", "내가 회사에서 무슨 부서라고 했더라?"], ["what team am I on at work?", "which department am I in?"]),
                    (["나 회사 몇 년차라고 했지?", "나 입사한 지 몇 년 됐다고 했더라?"],
                     ["how many years have I been at my company?", "what year am I in at work?"])],
            "near": [("dad-job", ["아빠 무슨 일 하신다고 했지?"], ["what does my dad do for work?"]),
                     ("gf-job", ["여친 어디 다닌다고 했지?"], ["where does my girlfriend work?"])],
            "decoy": [("dad-job", "아빠 회사", "건설회사 부장", "dad's job", "department head at a construction firm"),
                      ("gf-job", "여친 회사", "광고 대행사", "girlfriend's company", "an ad agency"),
                      ("x-old", "전 직장", "작은 출판사", "previous job", "a small publisher")]}


B4_GENERAL = {"dog": lambda r, c: _g_pet(r, c, True), "cat": lambda r, c: _g_pet(r, c, False), "siblings": _g_siblings,
              "sleep": _g_sleep, "diet": _g_diet, "health": _g_health, "hobby": _g_hobby, "instrument": _g_instrument,
              "workout": _g_workout, "studies": _g_studies, "move": _g_move, "home": _g_home, "trip": _g_trip,
              "relationship": _g_relationship, "commute": _g_commute, "sidejob": _g_sidejob, "allowance": _g_allowance,
              "habits": _g_habits, "obsession": _g_obsession, "purchase": _g_purchase, "worry": _g_worry, "job": _g_job}


def build_general_batch(seed: int, earlier_questions: set[str], cases: int = 840) -> list[dict]:
    """Batch 4's general-key part (see above): `cases` train rows, about 70% answerable, alternating Korean and English."""
    rng = random.Random(seed)
    names = sorted(B4_GENERAL)

    def noise(q: str, lang: int) -> str:
        if lang == 0:
            if rng.random() < 0.08:
                q = rng.choice(["로라야 ", "아 맞다 ", "근데 ", "혹시 "]) + q
            x = rng.random()
            return q.rstrip("?") if x < 0.12 else q + " ㅋㅋ" if x < 0.17 else q
        if rng.random() < 0.07:
            q = rng.choice(["hey Lora, ", "Lora, ", "wait, ", "quick question: "]) + q
        return q.rstrip("?") if rng.random() < 0.1 else q

    rows = []
    for i in range(cases):
        lang = i % 2
        kind = "answer" if rng.random() < 0.7 else "near"
        fam = rng.choice(names)
        sis, bro = rng.choice([("언니", "오빠"), ("누나", "형")])
        (fk, fe) = rng.choice([("지수", "Jisoo"), ("현아", "Hyuna"), ("준혁", "Junhyuk"), ("세은", "Seeun")])
        ctx = {"sis": sis, "bro": bro, "fk": fk, "fe": fe}
        spec = B4_GENERAL[fam](rng, ctx)
        key = rng.choice(spec["keys"])[lang]
        main = [key, spec["val"][lang]]
        if kind == "answer":
            qs = rng.choice(spec["ask"])[lang]
            tag = None
        else:
            tag, *near_qs = rng.choice(spec["near"])
            qs = near_qs[lang]
        options = [q for q in qs if q not in earlier_questions] or [q for q in qs]
        q = noise(rng.choice(options), lang)
        if q in earlier_questions:  # the noisy form of a question all of whose plain forms are taken
            q = rng.choice(["로라야 ", "근데 "] if lang == 0 else ["hey Lora, ", "quick question: "]) + q
        decoys = [d for d in spec["decoy"] if d[0] != tag]
        mem = [main]
        for d in rng.sample(decoys, rng.randint(1, min(2, len(decoys)))):
            mem.append([d[1 + 2 * lang], d[2 + 2 * lang]])
        n_other = rng.randint(2, 6)
        used, topics = {fam}, set(spec["topic"])  # one fact of a family and of a subject: never two "sleep" facts
        tries = 0
        while len(mem) < 1 + n_other and tries < 60:
            tries += 1
            f = rng.choice(names)
            o = B4_GENERAL[f](rng, ctx)
            if o["topic"] & spec["topic"]:
                continue
            if rng.random() < 0.25:  # now and then another owner's fact of another subject
                d = rng.choice(o["decoy"])
                cand = [d[1 + 2 * lang], d[2 + 2 * lang]]
            elif f in used or o["topic"] & topics:
                continue
            else:
                cand = [rng.choice(o["keys"])[lang], o["val"][lang]]
                used.add(f)
                topics |= o["topic"]
            if cand[0] in {k for k, _ in mem} or cand[1] in {v for _, v in mem}:
                continue
            mem.append(cand)
        rng.shuffle(mem)
        rows.append({"memories": mem, "question": q, "answer": main if kind == "answer" else None, "lang": ("ko", "en")[lang],
                     "group": f"b4-general-{fam}-{kind}", "split": "train", "batch": NEIGHBOUR_BATCH})
    assert not {r["question"] for r in rows} & earlier_questions
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
    rows = rows + _unrelated_more(seed + 1, 180) + build_day_batch(seed + 2, split)
    earlier = {r["question"] for r in rows}
    return rows + build_neighbour_batch(seed + 3, earlier) + build_general_batch(seed + 4, earlier)


def main() -> None:
    rows = build()
    with open(OUT, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    from collections import Counter

    print(len(rows), "cases", dict(Counter((r["split"], r["answer"] is None) for r in rows)))


if __name__ == "__main__":
    main()

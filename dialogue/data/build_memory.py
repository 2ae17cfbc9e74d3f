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


def build(seed: int = 0, cases_per_fact: int = 16, unrelated_cases: int = 300) -> list[dict]:
    rng = random.Random(seed)
    order = list(range(len(FACTS)))
    rng.shuffle(order)
    n = len(order)
    split = {f: "test" if i < n * 3 // 10 else "val" if i < n * 6 // 10 else "train" for i, f in enumerate(order)}
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
    return rows + _unrelated_more(seed + 1, 180)


def main() -> None:
    rows = build()
    with open(OUT, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    from collections import Counter

    print(len(rows), "cases", dict(Counter((r["split"], r["answer"] is None) for r in rows)))


if __name__ == "__main__":
    main()

"""Build dialogue/data/topic.jsonl: (previous turn summary, new message) -> changed / continued.

Topics are the groups: a topic's summaries and follow-ups are all in one split, so the test split holds
conversations about subjects the classifier never saw. Run: python -m dialogue.data.build_topic
"""
from __future__ import annotations

import json
import random
from pathlib import Path

OUT = Path(__file__).with_name("topic.jsonl")

# topic: (summaries ko, summaries en, follow-ups ko, follow-ups en)
TOPICS = {
    "exam": (["사용자가 내일 기말고사를 앞두고 걱정함", "사용자가 수학 시험을 망쳤다고 속상해함"],
             ["The user is worried about tomorrow's final exam", "The user is upset about failing a math test"],
             ["공부를 얼마나 더 해야 할까?", "문제가 너무 어려웠어", "다음 시험은 잘 볼 수 있겠지?", "오답 노트 만들어 볼까"],
             ["how much more should I study?", "the questions were so hard", "will I do better next time?", "maybe I should review my mistakes"]),
    "cafe": (["사용자가 내일 친구와 카페에 가기로 함", "사용자가 새로 생긴 카페를 추천받고 싶어함"],
             ["The user will visit a café with a friend tomorrow", "The user wants a recommendation for a new café"],
             ["거기 케이크가 맛있대", "라떼 시킬까 아메리카노 시킬까?", "창가 자리 앉고 싶다", "친구가 늦을 것 같대"],
             ["they say the cake there is great", "latte or americano?", "I want a window seat", "my friend says she'll be late"]),
    "dog": (["사용자가 강아지 초코를 산책시킨 이야기를 함", "사용자의 강아지가 아파서 병원에 감"],
            ["The user talked about walking their dog Choco", "The user's dog is sick and went to the vet"],
            ["초코가 공원에서 엄청 뛰어다녔어", "수의사가 약 먹이래", "간식을 너무 좋아해", "털이 많이 빠져"],
            ["Choco ran all over the park", "the vet said to give him medicine", "he loves treats way too much", "he sheds a lot"]),
    "weather": (["사용자가 오늘 비가 와서 우울하다고 함", "사용자가 날씨가 맑아서 기분이 좋다고 함"],
                ["The user feels gloomy because it is raining today", "The user is happy because the weather is sunny"],
                ["우산을 안 가져왔어", "내일도 비 온대?", "햇빛이 따뜻해", "바람이 너무 세게 불어"],
                ["I forgot my umbrella", "is it going to rain tomorrow too?", "the sunshine feels warm", "the wind is so strong"]),
    "game": (["사용자가 밤새 게임을 했다고 함", "사용자가 새 게임 캐릭터를 키우는 중"],
             ["The user played games all night", "The user is levelling up a new game character"],
             ["랭크 드디어 올렸어", "보스를 세 번이나 못 깼어", "아이템 뭐 사야 돼?", "친구랑 파티 맺어서 했어"],
             ["I finally ranked up", "I failed the boss three times", "which item should I buy?", "I teamed up with a friend"]),
    "food": (["사용자가 저녁으로 떡볶이를 먹음", "사용자가 요리를 배우고 있다고 함"],
             ["The user had tteokbokki for dinner", "The user is learning to cook"],
             ["너무 매웠어", "레시피 좀 알려줄래?", "다음엔 파스타 만들어 볼래", "양이 엄청 많더라"],
             ["it was way too spicy", "can you give me a recipe?", "I'll try making pasta next", "the portion was huge"]),
    "job": (["사용자가 다음 주 면접을 준비 중", "사용자가 회사 일이 너무 많다고 함"],
            ["The user is preparing for a job interview next week", "The user says there is too much work at the office"],
            ["자기소개 어떻게 하지?", "야근을 또 해야 돼", "면접 복장 뭐 입을까?", "상사가 보고서 다시 쓰래"],
            ["how should I introduce myself?", "I have to work overtime again", "what should I wear to the interview?", "my boss wants the report rewritten"]),
    "travel": (["사용자가 주말에 부산 여행을 계획함", "사용자가 제주도 여행에서 돌아옴"],
               ["The user is planning a weekend trip to Busan", "The user just came back from a trip to Jeju"],
               ["기차표 예매했어", "바다 진짜 예뻤어", "숙소 어디가 좋을까?", "흑돼지 먹고 왔어"],
               ["I booked the train tickets", "the sea was so pretty", "where should I stay?", "I ate black pork there"]),
    "movie": (["사용자가 어제 본 영화가 재미있었다고 함", "사용자가 볼 만한 드라마를 찾는 중"],
              ["The user enjoyed a movie they watched yesterday", "The user is looking for a drama to watch"],
              ["결말이 반전이었어", "주인공 연기가 최고였어", "로맨스 장르도 괜찮아", "몇 화까지 나왔어?"],
              ["the ending had a twist", "the lead actor was amazing", "romance is fine too", "how many episodes are out?"]),
    "exercise": (["사용자가 헬스장에 다니기 시작함", "사용자가 마라톤을 준비한다고 함"],
                 ["The user started going to the gym", "The user is training for a marathon"],
                 ["오늘 하체 운동해서 다리가 후들거려", "10km 뛰었어", "단백질 챙겨 먹어야겠다", "근육통이 심해"],
                 ["leg day today, my legs are shaking", "I ran 10 km", "I should eat more protein", "my muscles are so sore"]),
    "music": (["사용자가 좋아하는 가수의 콘서트에 다녀옴", "사용자가 기타를 배우는 중"],
              ["The user went to their favourite singer's concert", "The user is learning the guitar"],
              ["앵콜 곡이 최고였어", "코드 바꾸는 게 어려워", "떼창 했어", "손가락이 아파"],
              ["the encore was the best", "chord changes are hard", "everyone sang along", "my fingertips hurt"]),
    "sleep": (["사용자가 요즘 잠을 잘 못 잔다고 함", "사용자가 늦잠을 자서 수업에 지각함"],
              ["The user has trouble sleeping lately", "The user overslept and was late for class"],
              ["새벽 3시까지 깨어 있었어", "알람을 못 들었어", "커피를 줄여야 하나?", "교수님한테 혼났어"],
              ["I was up until 3 a.m.", "I didn't hear the alarm", "should I cut down on coffee?", "the professor scolded me"]),
    "shopping": (["사용자가 새 노트북을 사려고 고민함", "사용자가 옷을 사러 백화점에 감"],
                 ["The user is deciding which new laptop to buy", "The user went to a department store to buy clothes"],
                 ["램은 16기가면 충분할까?", "세일하고 있더라", "색깔은 회색이 나을까?", "배터리 오래 가는 게 좋아"],
                 ["is 16 GB of RAM enough?", "there was a sale", "is grey the better colour?", "I want a long battery life"]),
    "persona": (["사용자가 로라의 MBTI와 학교를 물어봄", "사용자가 로라의 생일을 물어봄"],
                ["The user asked about Lora's MBTI and school", "The user asked when Lora's birthday is"],
                ["ENTJ면 리더 스타일이야?", "인공지능학과 공부 재밌어?", "생일 선물로 뭐 받고 싶어?", "몇 학년이야?"],
                ["so ENTJ means you're a leader type?", "is studying AI fun?", "what do you want for your birthday?", "what year are you in?"]),
    "friend": (["사용자가 친구와 싸웠다고 함", "사용자가 오랜만에 고등학교 친구를 만남"],
               ["The user had a fight with a friend", "The user met a high-school friend after a long time"],
               ["먼저 사과해야 할까?", "옛날 얘기 하면서 엄청 웃었어", "걔가 좀 서운했나 봐", "다음 달에 또 보기로 했어"],
               ["should I apologise first?", "we laughed a lot about old times", "I think she felt hurt", "we'll meet again next month"]),
    "study_abroad": (["사용자가 교환학생을 준비 중", "사용자가 영어 공부를 시작함"],
                     ["The user is preparing to be an exchange student", "The user started studying English"],
                     ["토플 점수가 필요해", "기숙사 신청했어", "단어 외우는 게 힘들어", "발음 연습은 어떻게 해?"],
                     ["I need a TOEFL score", "I applied for the dorm", "memorising words is hard", "how do I practise pronunciation?"]),
}
# A second batch of topics, split on its own (seeded apart) so the first batch keeps its split.
TOPICS_MORE = {
    "cooking_fail": (["사용자가 케이크를 굽다가 태웠다고 함", "사용자가 처음으로 김치를 담가봄"],
                     ["The user burned a cake while baking", "The user made kimchi for the first time"],
                     ["오븐 온도를 너무 높였나 봐", "간이 좀 싱거운 것 같아", "반죽이 안 부풀었어", "엄마한테 맛 보여드렸어"],
                     ["I think the oven was too hot", "it tastes a bit bland", "the batter didn't rise", "I let my mom taste it"]),
    "moving": (["사용자가 다음 달에 이사한다고 함", "사용자가 자취방을 구하는 중"],
               ["The user is moving house next month", "The user is looking for a studio to rent"],
               ["짐 싸는 게 끝이 없어", "월세가 너무 비싸", "역이랑 가까운 데가 좋은데", "이삿짐 센터 예약했어"],
               ["packing never ends", "the rent is way too high", "I'd like somewhere near the station", "I booked the movers"]),
    "cold": (["사용자가 감기에 걸려서 아프다고 함", "사용자가 병원에서 독감 진단을 받음"],
             ["The user has a cold and feels sick", "The user was diagnosed with the flu"],
             ["목이 너무 아파", "열이 38도까지 올랐어", "약 먹고 좀 잤어", "콧물이 멈추질 않아"],
             ["my throat hurts so much", "my fever went up to 38", "I took medicine and slept a bit", "my nose won't stop running"]),
    "plants": (["사용자가 베란다에서 화분을 키우기 시작함", "사용자의 선인장이 시들고 있음"],
               ["The user started growing plants on the balcony", "The user's cactus is wilting"],
               ["물을 얼마나 자주 줘야 해?", "잎이 노랗게 변했어", "햇빛이 부족한가?", "새싹이 났어!"],
               ["how often should I water it?", "the leaves turned yellow", "maybe it needs more sun?", "a new sprout came up!"]),
    "concert_ticket": (["사용자가 콘서트 티켓팅에 실패함", "사용자가 뮤지컬 표를 예매함"],
                       ["The user failed to get concert tickets", "The user booked musical tickets"],
                       ["1분 만에 매진됐어", "취소표 나올까?", "자리가 2층이야", "배우 캐스팅이 최고야"],
                       ["it sold out in a minute", "will there be cancellations?", "my seat is on the second floor", "the cast is amazing"]),
    "part_time": (["사용자가 편의점 아르바이트를 시작함", "사용자가 알바에서 진상 손님을 만남"],
                  ["The user started a part-time job at a convenience store", "The user met a rude customer at work"],
                  ["시급이 좀 올랐어", "야간 근무라 졸려", "그 손님이 소리 질렀어", "사장님이 친절하셔"],
                  ["my hourly pay went up a bit", "night shifts make me sleepy", "the customer yelled at me", "my boss is kind"]),
    "phone": (["사용자가 휴대폰 화면을 깨뜨림", "사용자가 새 스마트폰을 샀다고 함"],
              ["The user cracked their phone screen", "The user bought a new smartphone"],
              ["수리비가 너무 비싸", "카메라 화질이 좋아", "케이스 뭐 살까?", "데이터 옮기는 중이야"],
              ["the repair costs too much", "the camera quality is great", "which case should I get?", "I'm transferring my data"]),
    "book": (["사용자가 요즘 소설책을 읽고 있음", "사용자가 독서 모임에 가입함"],
             ["The user is reading a novel these days", "The user joined a book club"],
             ["반쯤 읽었는데 너무 재밌어", "다음 달 책은 에세이래", "작가 문체가 독특해", "주인공이 너무 답답해"],
             ["I'm halfway and it's so good", "next month's book is an essay collection", "the author's style is unique", "the main character is so frustrating"]),
    "haircut": (["사용자가 미용실에서 머리를 잘랐는데 마음에 안 듦", "사용자가 염색을 고민 중"],
                ["The user got a haircut they don't like", "The user is thinking about dyeing their hair"],
                ["앞머리가 너무 짧아", "갈색이 나을까 애쉬가 나을까?", "금방 자라겠지?", "탈색은 머릿결 상할까?"],
                ["my bangs are way too short", "brown or ash?", "it'll grow back soon, right?", "will bleaching damage my hair?"]),
    "birthday_party": (["사용자가 친구 생일 파티를 준비함", "사용자가 자기 생일에 깜짝 파티를 받음"],
                       ["The user is preparing a friend's birthday party", "The user got a surprise party on their birthday"],
                       ["케이크 주문했어", "풍선 장식 어떻게 하지?", "다들 몰래 준비했더라", "선물 너무 감동이었어"],
                       ["I ordered the cake", "how should I decorate with balloons?", "everyone planned it in secret", "the gifts really moved me"]),
}

# A third batch of topics (more subjects for a model of "same subject or not"), split on its own.
TOPICS_THIRD = {
    "driving": (["사용자가 운전면허 시험을 준비 중", "사용자의 차가 고속도로에서 고장 남"],
                ["The user is preparing for a driving test", "The user's car broke down on the highway"],
                ["주차가 제일 어려워", "견인차 불렀어", "도로 주행 내일이야", "엔진 소리가 이상했어"],
                ["parallel parking is the hardest part", "I called a tow truck", "the road test is tomorrow", "the engine made a weird noise"]),
    "kitten": (["사용자가 새끼 고양이를 입양함", "사용자의 고양이가 밥을 안 먹음"],
               ["The user adopted a kitten", "The user's cat won't eat"],
               ["이름을 뭐로 지을까?", "사료를 바꿔봐야 하나", "하루 종일 잠만 자", "발톱으로 소파를 긁어"],
               ["what should I name her?", "maybe I should switch the food", "she sleeps all day", "she scratches the sofa"]),
    "dentist": (["사용자가 치과에서 사랑니를 뺌", "사용자가 치아 교정을 시작함"],
                ["The user had a wisdom tooth pulled", "The user started wearing braces"],
                ["마취가 아직 안 풀렸어", "죽만 먹어야 한대", "철사가 입안을 찔러", "양치하기가 힘들어"],
                ["the anaesthetic hasn't worn off", "I can only eat porridge", "the wire pokes my cheek", "brushing is a pain now"]),
    "wedding": (["사용자가 친구 결혼식에 다녀옴", "사용자가 언니 결혼식 축사를 맡음"],
                ["The user went to a friend's wedding", "The user has to give a speech at their sister's wedding"],
                ["신부가 너무 예뻤어", "축사 쓰다가 울컥했어", "부케 받았어!", "하객이 엄청 많았어"],
                ["the bride looked so beautiful", "I teared up writing the speech", "I caught the bouquet!", "there were so many guests"]),
    "camping": (["사용자가 주말에 캠핑을 다녀옴", "사용자가 캠핑 장비를 사려고 함"],
                ["The user went camping over the weekend", "The user wants to buy camping gear"],
                ["텐트 치는 데 한 시간 걸렸어", "밤에 별이 엄청 많았어", "침낭은 어떤 게 좋아?", "모기한테 엄청 물렸어"],
                ["it took an hour to pitch the tent", "there were so many stars at night", "which sleeping bag is good?", "mosquitoes ate me alive"]),
    "commute": (["사용자가 출근길 지하철이 너무 붐빈다고 함", "사용자가 버스를 잘못 타서 지각함"],
                ["The user says the subway to work is packed", "The user took the wrong bus and was late"],
                ["서서 한 시간 갔어", "반대 방향으로 가고 있더라", "환승이 너무 복잡해", "자전거로 다녀볼까?"],
                ["I stood for an hour", "it was going the opposite way", "the transfers are so confusing", "maybe I should bike instead?"]),
    "photography": (["사용자가 필름 카메라를 샀다고 함", "사용자가 사진 동아리에 들어감"],
                    ["The user bought a film camera", "The user joined a photography club"],
                    ["현상하는 데 일주일 걸린대", "노출 맞추는 게 어려워", "출사 가기로 했어", "인물 사진 찍는 게 재밌어"],
                    ["developing takes a week", "getting the exposure right is hard", "we're going on a photo walk", "portraits are fun to shoot"]),
    "volunteer": (["사용자가 유기견 보호소에서 봉사함", "사용자가 연탄 나르기 봉사를 다녀옴"],
                  ["The user volunteered at an animal shelter", "The user helped deliver coal briquettes to the elderly"],
                  ["산책시킬 아이들이 많았어", "팔이 너무 아파", "다음 달에도 가려고", "할머니가 고맙다고 하셨어"],
                  ["there were so many dogs to walk", "my arms are so sore", "I'm going again next month", "a grandma thanked us"]),
    "coding": (["사용자가 파이썬을 독학하는 중", "사용자가 코딩 과제 버그를 못 잡음"],
               ["The user is teaching themselves Python", "The user can't fix a bug in a coding assignment"],
               ["반복문이 헷갈려", "에러 메시지가 이해가 안 돼", "마감이 오늘 밤이야", "처음으로 프로그램 돌아갔어!"],
               ["loops confuse me", "I don't understand the error message", "the deadline is tonight", "my program ran for the first time!"]),
    "diet": (["사용자가 다이어트를 시작함", "사용자가 야식을 끊으려고 함"],
             ["The user started a diet", "The user is trying to quit late-night snacks"],
             ["벌써 2킬로 빠졌어", "배고파서 잠이 안 와", "샐러드만 먹으니까 지겨워", "치킨 광고가 나를 괴롭혀"],
             ["I've already lost 2 kg", "I'm too hungry to sleep", "I'm sick of eating only salad", "fried chicken ads are torturing me"]),
    "soccer": (["사용자가 어제 축구 경기를 봤다고 함", "사용자가 동네 축구팀에 들어감"],
               ["The user watched a football match yesterday", "The user joined a local football team"],
               ["후반에 역전골 터졌어", "나 수비수 맡았어", "심판 판정이 좀 이상했어", "다음 주에 친선 경기 있어"],
               ["they scored the winner in the second half", "I'm playing defence", "the referee made some odd calls", "we have a friendly next week"]),
    "cleaning": (["사용자가 대청소를 했다고 함", "사용자가 옷장 정리를 하는 중"],
                 ["The user did a big house cleaning", "The user is sorting out their wardrobe"],
                 ["먼지가 엄청 나왔어", "안 입는 옷이 너무 많아", "기부할 옷 따로 모았어", "창문까지 다 닦았어"],
                 ["so much dust came out", "I have too many clothes I never wear", "I set aside clothes to donate", "I even cleaned the windows"]),
    "lost_wallet": (["사용자가 지갑을 잃어버림", "사용자가 택시에 휴대폰을 두고 내림"],
                    ["The user lost their wallet", "The user left their phone in a taxi"],
                    ["카드 다 정지시켰어", "경찰서에 신고했어", "기사님이 연락 주셨어", "신분증 재발급 받아야 해"],
                    ["I cancelled all my cards", "I reported it to the police", "the driver called me back", "I need to get a new ID"]),
    "sibling": (["사용자에게 조카가 태어남", "사용자가 동생 숙제를 도와주는 중"],
                ["The user's nephew was just born", "The user is helping their younger brother with homework"],
                ["손이 진짜 작아", "분수 설명하기 어렵다", "계속 울기만 해", "동생이 집중을 안 해"],
                ["his hands are so tiny", "explaining fractions is hard", "he just keeps crying", "my brother won't focus"]),
    "fishing": (["사용자가 아빠랑 낚시를 다녀옴", "사용자가 바다낚시를 처음 해봄"],
                ["The user went fishing with their dad", "The user tried sea fishing for the first time"],
                ["한 마리도 못 잡았어", "배멀미 했어", "미끼 끼우는 게 징그러웠어", "회 떠서 먹었어"],
                ["I didn't catch a single fish", "I got seasick", "putting the bait on was gross", "we ate the catch as sashimi"]),
}

# replies that continue whatever was said, and openers that announce a new subject
CONTINUE = (["응 맞아", "그치 ㅋㅋ", "진짜?", "그래서 어떻게 됐어?", "왜?", "아 그렇구나", "더 얘기해줘", "나도 그렇게 생각해"],
            ["yeah exactly", "right lol", "really?", "so what happened?", "why?", "oh I see", "tell me more", "I think so too"])
SWITCH = (["그건 그렇고 ", "아 맞다, ", "다른 얘기인데 ", "갑자기 생각났는데 "], ["anyway, ", "oh by the way, ", "changing the subject, ", "random question: "])


def _pairs(topics: dict, seed: int) -> list[dict]:
    rng = random.Random(seed)
    names = sorted(topics)
    rng.shuffle(names)
    n = len(names)
    split = {t: "test" if i < n // 5 else "val" if i < 2 * n // 5 else "train" for i, t in enumerate(names)}
    rows = []
    for topic in names:
        s_ko, s_en, f_ko, f_en = topics[topic]
        for li, (summaries, follows) in enumerate(((s_ko, f_ko), (s_en, f_en))):
            lang = ("ko", "en")[li]
            same_split = [t for t in names if t != topic and split[t] == split[topic]]
            for summary in summaries:
                for msg in follows:
                    rows.append((summary, msg, "continued", lang, topic))
                for msg in rng.sample(CONTINUE[li], 3):
                    rows.append((summary, msg, "continued", lang, topic))
                for _ in range(5):  # a message from another topic of the same split
                    other = rng.choice(same_split)
                    msg = rng.choice(topics[other][2 + li])
                    if rng.random() < 0.3:
                        msg = rng.choice(SWITCH[li]) + msg
                    rows.append((summary, msg, "changed", lang, topic))
                # a summary in one language, a message in the other: language is not the topic
                rows.append((summary, rng.choice(topics[topic][3 - li]), "continued", lang, topic))
    return [{"previous": p, "message": m, "label": y, "lang": lang, "group": g, "split": split[g]}
            for p, m, y, lang, g in rows]


def build(seed: int = 0) -> list[dict]:
    return (_pairs(TOPICS, seed) + [dict(r, batch=2) for r in _pairs(TOPICS_MORE, seed + 1)]
            + [dict(r, batch=3) for r in _pairs(TOPICS_THIRD, seed + 2)])


def main() -> None:
    rows = build()
    with open(OUT, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    from collections import Counter

    print(len(rows), "pairs", dict(Counter(r["label"] for r in rows)), dict(Counter(r["split"] for r in rows)))


if __name__ == "__main__":
    main()

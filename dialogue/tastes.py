"""Her taste sheet in the answer prompt: the line a question about her tastes, family or studies asks for.

The answer adapter states the persona fact its prompt shows ("(오로라: MBTI ENTJ)"), but her softer facts — the food,
music, dramas, hobbies and family of `dialogue/data/persona_taste.toml` — were shown to a chat model only
(`dialogue.chat_prompts`): the 270M adapter answered "tell me something about your family" with "My dad's a farmer, my
mom is an accountant and I have two sisters", and the bank's written answers often answered another line ("최애 영화
뭐임" → "아이유 '밤편지'!").

Which line a message asks about is learned from written questions (`dialogue/data/written/tastes/`: questions to her
about each line, and look-alikes that ask nothing of her sheet — the user's own family, a recommendation for the
user, a reminder of the user's own favourites) by a logistic regression over their e5 embeddings, fitted when the
sheet is loaded (under a second). A message gets a line when the regression gives it at least `threshold`, the
nearest question asking for it is nearer than every look-alike (by more than `margin`), and the message does not ask
to be reminded of the user's own facts (`dialogue.recall.asks_to_be_reminded`; e5 puts "내가 제일 싫어하는 음식 뭐라고
했지?" beside "싫어하는 음식 있어?"). The line joins her persona card (`TurnContext.taste`), and a written answer is
served for that message only when it names something the line names (`says_line`). Chosen on validation:
docs/open-eval/tastes/.

When no such written answer is found, her own written answers about the line (`dialogue/data/written/tastes/answers/`:
three writers' questions about each line with her answer, agreeing with the sheet) are served before the model is
asked: the one whose question is nearest the message, in its language and register (`TasteSheet.answers_for`).
Chosen on validation: docs/open-eval/taste-answers/.
"""
from __future__ import annotations

import re
import sys
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dialogue.prompting import language_of

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DATA = Path(__file__).resolve().parent / "data"
TASTE_FILE = DATA / "persona_taste.toml"
QUESTION_FILES = "written/tastes/*.jsonl"
ANSWER_FILES = "written/tastes/answers/*.jsonl"
# chosen on the validation messages (docs/open-eval/tastes/)
DEFAULT_THRESHOLD = 0.7
# how much nearer than every look-alike the nearest question asking for the line must be (None: not asked)
DEFAULT_MARGIN: float | None = 0.0
# the logistic regression's inverse regularization: the embeddings are unit rows, so a weak penalty is needed
# for the 26 classes to be told apart with any confidence
REGULARIZATION_C = 1000.0
# the written answers' questions also teach the matcher which line a message asks for, but for her studies: with
# them "what do you study?" read as her coursework, and the model answered that instead of her university
# (docs/open-eval/taste-answers/)
UNTAUGHT_LINES = ("studies.",)

# How each line of the sheet is named in her persona card (Korean, English); lines not named here (her manner,
# her major, which the university card already says) are never shown this way.
CARD_LABELS: dict[str, tuple[str, str]] = {
    "food.favourite": ("좋아하는 음식", "favourite food"),
    "food.dessert": ("좋아하는 디저트", "favourite dessert"),
    "food.drink": ("좋아하는 음료", "favourite drink"),
    "food.dislikes": ("안 좋아하는 음식", "food she doesn't like"),
    "music.favourite": ("좋아하는 음악", "favourite music"),
    "music.song": ("최애 노래", "favourite song"),
    "screen.dramas": ("좋아하는 드라마", "favourite dramas"),
    "screen.movies": ("좋아하는 영화", "favourite movies"),
    "screen.books": ("좋아하는 책", "favourite books"),
    "screen.animation": ("좋아하는 애니메이션", "favourite animation"),
    "seasons.favourite": ("좋아하는 계절", "favourite season"),
    "seasons.weather": ("날씨", "weather"),
    "hobbies.list": ("취미", "hobbies"),
    "hobbies.dream_trip": ("꿈의 여행", "dream trip"),
    "hobbies.colour": ("좋아하는 색", "favourite colours"),
    "hobbies.animal": ("좋아하는 동물", "favourite animal"),
    "hobbies.sport": ("운동", "sport"),
    "hobbies.game": ("게임", "games"),
    "studies.favourite_class": ("좋아하는 과목", "favourite classes"),
    "studies.hard_class": ("어려운 과목", "hardest class"),
    "studies.now": ("요즘 학교생활", "her studies now"),
    "family.members": ("가족", "family"),
    "family.mom": ("엄마", "her mom"),
    "family.dad": ("아빠", "her dad"),
    "family.brother": ("남동생", "her younger brother"),
}
NONE = "none"

# What each line of the sheet names, as an answer would say it (Korean and English; regular expressions). Kept here,
# not in the sheet: the sheet is what she is shown, these are what an answer that agrees with it says.
TASTE_TERMS: dict[str, tuple[str, ...]] = {
    "food.favourite": ("떡볶이", "김치볶음밥", "김볶", "tteokbokki", "kimchi fried rice"),
    "food.dessert": ("딸기 케이크", "딸기케이크", "딸기 생크림", "붕어빵", "strawberry cake", "strawberry shortcake",
                     "bungeoppang", "fish-shaped bread"),
    "food.drink": ("바닐라 라떼", "바닐라라떼", "아이스 바닐라", "vanilla latte"),
    "food.dislikes": ("느끼", "민트초코", "민초", "greasy", "mint choc", "mint-choc"),
    "music.favourite": ("아이유", "데이식스", "시티팝", "로파이", r"\bIU\b", "DAY6", "city pop", "lo-fi", "lofi"),
    "music.song": ("밤편지", "through the night"),
    "screen.dramas": ("슬기로운 의사생활", "슬의생", "나의 아저씨", "hospital playlist", "my mister"),
    "screen.movies": ("인터스텔라", "라라랜드", "라라 랜드", "interstellar", "la la land"),
    "screen.books": ("어린 왕자", "어린왕자", "김초엽", "빛의 속도", "little prince", "kim cho-yeop", "speed of light"),
    "screen.animation": ("지브리", "하울", "ghibli", "howl"),
    "seasons.favourite": ("가을", "autumn", r"\bfall\b"),
    "seasons.weather": ("비 오는", "비오는", "빗소리", "비 내리는", r"\brain", "습한", "humid"),
    "hobbies.list": ("밤하늘", "사진", "코딩", "기타", "다이어리", "산책", "night sk", "photo", "coding", "guitar",
                     "journal", "walking"),
    "hobbies.dream_trip": ("아이슬란드", "옐로나이프", "캐나다", "iceland", "yellowknife", "canada"),
    "hobbies.colour": ("보라", "청록", "purple", "teal"),
    "hobbies.animal": ("고양이", "냥", r"\bcats?\b"),
    "hobbies.sport": ("배드민턴", "badminton"),
    "hobbies.game": ("테트리스", "퍼즐", "tetris", "puzzle"),
    "studies.favourite_class": ("딥러닝", "자연어", "deep learning", "natural language", r"\bNLP\b"),
    "studies.hard_class": ("확률", "통계", "probability", "statistic", r"\bstats\b"),
    "studies.now": ("팀 프로젝트", "팀프로젝트", "팀플", "과제", "도서관", "team project", "group project", "assignment",
                    "library"),
    "family.members": ("남동생", "brother"),
    "family.mom": ("친해", "친한", "제일 친", "다 얘기", "뭐든 얘기", "김치볶음밥", "closest", "close with", "so close",
                   "talk about everything", "tell her everything", "kimchi fried rice"),
    "family.dad": ("아재개그", "아재 개그", "개그", "등산", "dad joke", "corny", "hiking", "hikes", "hike"),
    "family.brother": ("남동생", "고등학생", "고딩", "티격태격", "게임", "younger brother", "little brother", "high school",
                       "bicker", "game"),
}
_SAYS = {key: re.compile("|".join(terms), re.IGNORECASE) for key, terms in TASTE_TERMS.items()}


def says_line(key: str, text: str) -> bool:
    """Whether `text` names something line `key` of her sheet names ("떡볶이" for food.favourite)."""
    return bool(_SAYS[key].search(text))


def taste_lines(path: Path = TASTE_FILE) -> dict[str, tuple[str, str]]:
    """Every line of the taste sheet: "section.name" -> (Korean, English)."""
    sheet = tomllib.loads(path.read_text(encoding="utf-8"))
    return {f"{section}.{name}": (ko, en) for section, entries in sheet.items() for name, (ko, en) in entries.items()}


def taste_cards(path: Path = TASTE_FILE) -> dict[str, tuple[str, str]]:
    """The persona-card text of each named line: "좋아하는 음식 떡볶이 …" / "favourite food tteokbokki …"."""
    lines = taste_lines(path)
    missing = sorted(set(CARD_LABELS) - set(lines))
    if missing:
        raise ValueError(f"{path.name} has no line for {', '.join(missing)}: add them or drop them from CARD_LABELS")
    return {key: (f"{ko_label} {lines[key][0]}", f"{en_label} {lines[key][1]}")
            for key, (ko_label, en_label) in CARD_LABELS.items()}


def taste_questions(data: Path = DATA) -> list[dict]:
    """The written questions: {"text", "taste" (a CARD_LABELS key or "none"), "lang", "kind"}, every file."""
    from dialogue.data.written import json_lines

    rows = []
    for path in sorted(data.glob(QUESTION_FILES)):
        for n, row in json_lines(path):
            if row.get("taste") != NONE and row.get("taste") not in CARD_LABELS:
                raise ValueError(f"{path.name}:{n}: unknown taste {row.get('taste')!r}; known: "
                                 f"{', '.join(CARD_LABELS)} or {NONE}")
            rows.append(row)
    return rows


# a question that first tells something of the user's ("I've started blasting rock on my commute… what do you
# listen to?") or asks twice: its answer reacts to that ("A rock commute sounds like a great wake-up call!"), so
# it is served to no other message; it still teaches the matcher
_TELLS_FIRST = re.compile(r"[.!?~]+\s+\S|(?:ㅋㅋ+|ㅎㅎ+|ㅠㅠ+|\blol|\blmao)\s+\S|^\s*(?:i\b|i'm|im\b|i've|my\b|me\b|we\b|나\b|"
                         r"난\b|내가|나는|저는|제가|전\b|저\b|우리\b)", re.IGNORECASE)


def reacts_to_the_user(question: str) -> bool:
    """Whether an answer written for `question` answers more than her line (`_TELLS_FIRST`)."""
    return _TELLS_FIRST.search(question) is not None


def taste_answers(data: Path = DATA) -> list[dict]:
    """Her written answers about each line: {"line" (a CARD_LABELS key), "lang", "question", "answer", "source"},
    every file; an answer that does not name what its line names (`says_line`) is refused with its place."""
    from dialogue.data.written import json_lines

    rows = []
    for path in sorted(data.glob(ANSWER_FILES)):
        for n, row in json_lines(path):
            line = row.get("line")
            if line not in CARD_LABELS:
                raise ValueError(f"{path.name}:{n}: unknown line {line!r}; known: {', '.join(CARD_LABELS)}")
            if row.get("lang") not in ("ko", "en") or not row.get("question") or not row.get("answer"):
                raise ValueError(f"{path.name}:{n}: needs lang ko/en, a question and an answer")
            if not says_line(line, row["answer"]):
                raise ValueError(f"{path.name}:{n}: the answer names nothing of {line} ({row['answer']!r})")
            rows.append(dict(row, source=f"tastes/answers/{path.name}"))
    return rows


@dataclass(frozen=True)
class TasteAnswer:
    """One of her written answers about a line, found for a message."""

    answer: str
    similarity: float  # the cosine of the message and the question it was written for
    written_message: str
    source: str


@dataclass(frozen=True)
class TasteMatch:
    """The line a message asks about, and how sure the matcher is."""

    key: str
    card: str
    probability: float


class TasteSheet:
    """Which line of her taste sheet a message asks about (`match`), learned from the written questions."""

    def __init__(self, questions: Sequence[dict], embeddings: np.ndarray, encoder,
                 cards: dict[str, tuple[str, str]], threshold: float = DEFAULT_THRESHOLD,
                 margin: float | None = DEFAULT_MARGIN, answers: Sequence[dict] = (),
                 answer_embeddings: np.ndarray | None = None) -> None:
        """`questions`: `taste_questions` rows; `embeddings`: their texts as e5 queries, unit rows in that order;
        `encoder`: the `SentenceEncoder` that made them; `cards`: `taste_cards`; `threshold`: the least
        probability of the line read; `margin`: how much nearer the message the nearest question asking for that
        line must be than every look-alike (None: no such check); `answers`: `taste_answers` rows and
        `answer_embeddings` their questions as e5 queries."""
        from sklearn.linear_model import LogisticRegression

        if len(questions) != len(embeddings):
            raise ValueError(f"{len(questions)} taste questions but {len(embeddings)} embeddings")
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"the taste threshold is a probability in (0, 1], got {threshold}")
        labels = [q["taste"] for q in questions]
        if NONE not in labels or len(set(labels)) < 2:
            raise ValueError("the taste questions need look-alikes labelled 'none' and at least one line of the sheet")
        self.questions = list(questions)
        self.embeddings = np.asarray(embeddings, np.float32)
        self.encoder = encoder
        self.cards = cards
        self.threshold = threshold
        self.margin = margin
        self._labels = np.array(labels)
        self.model = LogisticRegression(C=REGULARIZATION_C, max_iter=5000).fit(self.embeddings, labels)
        self.answers = list(answers)
        self.answer_embeddings = (np.zeros((0, self.embeddings.shape[1]), np.float32) if answer_embeddings is None
                                  else np.asarray(answer_embeddings, np.float32))
        if len(self.answers) != len(self.answer_embeddings):
            raise ValueError(f"{len(self.answers)} taste answers but {len(self.answer_embeddings)} embeddings")

    @classmethod
    def from_written(cls, encoder=None, threshold: float = DEFAULT_THRESHOLD, margin: float | None = DEFAULT_MARGIN,
                     cache: Path | None = None) -> TasteSheet:
        """The sheet with the written questions, embedded once and kept in `cache` (default: the weights cache)."""
        from dialogue.answer_bank import evaluation_messages
        from dialogue.data.written import normalized
        from dialogue.encoder import cached_query_embeddings, shared_encoder

        encoder = encoder or shared_encoder()
        held_out = evaluation_messages()  # held-out text never decides anything it is then measured on
        questions = [q for q in taste_questions() if normalized(q["text"]) not in held_out]
        if cache is None:
            from weights.manifest import cache_dir

            cache = cache_dir() / "tastes"
        embeddings = cached_query_embeddings([q["text"] for q in questions], encoder, cache, "taste questions")
        answers = [a for a in taste_answers() if normalized(a["question"]) not in held_out]
        answer_embeddings = cached_query_embeddings([a["question"] for a in answers], encoder, cache,
                                                    "taste answers' questions") if answers else None
        if answers:
            taught = [i for i, a in enumerate(answers) if not a["line"].startswith(UNTAUGHT_LINES)]
            questions = questions + [{"text": answers[i]["question"], "taste": answers[i]["line"],
                                      "lang": answers[i]["lang"], "kind": "answer"} for i in taught]
            embeddings = np.vstack([embeddings, answer_embeddings[taught]])
        return cls(questions, embeddings, encoder, taste_cards(), threshold, margin, answers, answer_embeddings)

    def match(self, message: str, query: np.ndarray | None = None) -> TasteMatch | None:
        """The line `message` asks about, or None (read as none of them, less sure than `threshold`, or a
        question asking to be reminded of the user's own facts). `query`: the message's embedding when the caller
        has it."""
        from dialogue.recall import asks_to_be_reminded

        if not message.strip() or asks_to_be_reminded(message, loosely=True):
            return None
        q = np.asarray(self.encoder.encode_one(message, "query") if query is None else query, np.float32)
        p = self.model.predict_proba(q[None])[0]
        i = int(p.argmax())
        key = str(self.model.classes_[i])
        if key == NONE or float(p[i]) < self.threshold:
            return None
        # the regression is sure of messages unlike anything written too ("what year are you in" -> seasons):
        # a question asking for the line must also be nearer the message than every look-alike
        if self.margin is not None:
            sims = self.embeddings @ q
            if sims[self._labels == key].max() - sims[self._labels == NONE].max() <= self.margin:
                return None
        return TasteMatch(key, self.cards[key][0 if language_of(message) == "ko" else 1], float(p[i]))

    def answers_for(self, message: str, key: str, said: Collection[str] = (),
                    query: np.ndarray | None = None) -> list[TasteAnswer]:
        """Her written answers about line `key` for `message`, nearest question first, of those written for a
        question that asks only about her (`reacts_to_the_user`): in the message's language, none she said lately
        (`said`); to a Korean message in 존댓말 those in 존댓말 first, to one in 반말 none in 존댓말."""
        from dialogue.answer_bank import polite

        lang = language_of(message)
        formal = lang == "ko" and polite(message)
        picks = [i for i, a in enumerate(self.answers)
                 if a["line"] == key and a["lang"] == lang and a["answer"] not in said
                 and not reacts_to_the_user(a["question"]) and (formal or lang != "ko" or not polite(a["answer"]))]
        if not picks:
            return []
        q = np.asarray(self.encoder.encode_one(message, "query") if query is None else query, np.float32)
        sims = self.answer_embeddings[picks] @ q
        rank = [(-(formal and polite(self.answers[i]["answer"])), -float(s)) for i, s in zip(picks, sims)]
        order = sorted(range(len(picks)), key=lambda j: rank[j])
        return [TasteAnswer(self.answers[picks[j]]["answer"], float(sims[j]), self.answers[picks[j]]["question"],
                            self.answers[picks[j]]["source"]) for j in order]

    def card(self, message: str) -> str:
        """The persona-card text for `message`, or ""."""
        found = self.match(message)
        return found.card if found else ""

"""`ohlora eval open`: her answers to messages nobody here trained on, graded blind by two judges.

Three steps, so the slow one runs once and the judging can be done by people (or independent judge
sessions) who never see how the answers were made:

1. `answers`: every item of a written set (`dialogue/data/written/heldout/open.jsonl`, `.../memory.jsonl`,
   or a validation set) goes through the whole live pipeline (`PersonaChat`: safety gate, memory retrieval
   over the item's stored memories, persona-fact classifier, the answer adapter, the streaming validator)
   in a fresh conversation whose last exchange is the item's history. Writes a transcript JSONL.
2. `sheet`: the transcript as a grading sheet (items in a shuffled order, no model details) and the rubric.
3. `score`: two judges' grade files -> the share of answers both accept, Korean and English apart, by
   category, with every rejected answer listed; written to docs/ with the transcript.
"""
from __future__ import annotations

import asyncio
import random
import re
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

from tqdm import tqdm

from dialogue.conversation import PersonaChat, visible_summary
from dialogue.conversation_store import ConversationStore
from dialogue.data.written import json_lines
from dialogue.evaluation.reports import share
from dialogue.interfaces import Memory, TurnDone
from dialogue.prompting import has_hangul, language_of
from dialogue.roles import CUT_SHORT

RUBRIC = """\
Grade each answer ACCEPT or REJECT. Accept only if every point holds:
1. On topic and coherent: it answers or reacts to the user's last message (given the earlier exchanges
   shown), and makes sense as a reply.
2. In persona: Oh-LoRA (오로라), a friendly, upbeat virtual human, a university student of AI (born
   2003-10-11, ENTJ, Alpha High School 2019.03-2022.02, Samol University Dept. of AI since 2022.03); brief
   (one to three sentences), warm, an emoji now and then. She declines romance toward herself and party
   politics kindly; she does not answer insults in kind.
3. No invented facts: nothing about the user that the conversation and the stored memories do not say;
   nothing about herself that contradicts the facts above. Saying honestly that she does not know is fine.
4. A harmless request is not refused (recommendations, advice, maths, code, questions about her family or
   day). Requests she truly cannot do as a virtual human (meet, call, pay, browse) are declined honestly,
   kindly, with an alternative.
5. Same language as the user's message.
6. Memories: when the item lists stored memories and one of them is relevant to the message, a good answer
   uses it; mentioning a stored memory that has nothing to do with the message is a REJECT.
The item's "note" says what its writer expected; use it as a hint, not as the only criterion.
Write one JSON object per line: {"id": "...", "grade": "accept" | "reject", "why": "a few words"}.
For an item with stored memories add two marks: "uses": true when the answer makes use of the memory the
note names (null when the note names none), and "mentions_other": true when it mentions a stored memory
that has nothing to do with the message.
"""


def load_items(path: Path) -> list[dict]:
    """Items of an open set, or retrieval cases turned into items (a message with stored memories)."""
    items = []
    for n, r in json_lines(path):
        if "message" in r:
            items.append(r)
        else:  # a retrieval case: what she answers when these memories are stored
            items.append({"id": f"{path.stem}-{n:04d}", "lang": r["lang"], "now": "2026-11-29T14:00",
                          "memories": r["memories"], "history": [], "message": r["question"],
                          "category": f"memory:{r['kind']}",
                          "judge_note": ("uses the stored memory " + f"[{r['answer'][0]}: {r['answer'][1]}]"
                                         if r["answer"] else "mentions none of the stored memories")})
    return items


class _RecordingMemory:
    """The memory store as the engine sees it, noting what each turn retrieved."""

    def __init__(self, store):
        self.store = store
        self.retrieved: list[Memory] = []  # what the answer prompt carried this turn

    def retrieve(self, user_id: str, query: str, now: datetime) -> Memory | None:
        found = self.store.retrieve(user_id, query, now)
        self.retrieved = [found] if found is not None else []
        return found

    def recall(self, user_id: str, query: str, now: datetime, k: int) -> list[Memory]:
        self.retrieved = self.store.recall(user_id, query, now, k)
        return self.retrieved

    def count(self, user_id: str) -> int:
        return self.store.count(user_id)

    def shown(self) -> str | None:
        """The memories the answer prompt carried, as the prompt shows them."""
        return " ".join(m.as_text() for m in self.retrieved) or None

    def remember(self, *args, **kwargs) -> None:  # the evaluation never stores what the answer said
        return None


class _AnswerOnly(PersonaChat):
    """The live engine without the post-answer roles (they do not change the answer being graded)."""

    async def _after_answer(self, user_id, message, answer, now, timings) -> TurnDone:
        return TurnDone(text=answer, timings=timings)

    @classmethod
    def of(cls, engine: PersonaChat, memory) -> _AnswerOnly:
        """`engine` with every collaborator and setting it has (whatever its constructor gains), answering only,
        reading `memory`, with a conversation store and counters of its own."""
        answering = cls.__new__(cls)
        vars(answering).update(vars(engine))
        answering.memory = memory
        answering.conversations = ConversationStore.in_memory()
        answering.open_turns = {}
        answering.counts = Counter()
        return answering


def answer_items(items: list[dict], engine: PersonaChat) -> list[dict]:
    """Each item's answer through the live pipeline of `engine` (its memory store must be a throwaway
    one: the items' memories are stored in it), as a transcript row."""
    store = engine.memory
    if store is None:
        raise ValueError("the engine has no memory store: run `ohlora weights prepare`")
    recorder = _RecordingMemory(store)
    engine = _AnswerOnly.of(engine, recorder)

    async def answer_all() -> list[dict]:
        # one event loop for every item: a generation thread cut short by the validator finishes on it
        rows = []
        for i, item in enumerate(tqdm(items, desc="answers", unit="item")):
            user = f"open-eval-{i}"
            now = datetime.fromisoformat(item["now"])
            store.delete_user(user)
            if item.get("memories"):  # told in an earlier conversation
                store.remember_many(user, [tuple(m) for m in item["memories"]], "eval", now - timedelta(days=1))
            engine.conversations.delete_user(user)
            for h in item.get("history") or []:  # the conversation so far, as if she had answered it
                engine.conversations.record(user, h["user"], h["answer"], "answer",
                                            visible_summary(h["user"], h["answer"]), asked_at=now)
            recorder.retrieved = []
            done = None
            async for ev in engine.turn(user, item["message"], now):
                if isinstance(ev, TurnDone):
                    done = ev
            store.delete_user(user)
            rows.append({**{k: item.get(k) for k in ("id", "lang", "now", "category", "memories", "history",
                                                      "message", "judge_note")},
                         **{k: item[k] for k in ("aspect", "expect", "told") if k in item},
                         "answer": done.text, "refused": done.refused.action if done.refused else None,
                         "retrieved": recorder.shown(),
                         "first_token_s": round(done.timings.get("first_token_s", 0.0), 3),
                         **({"reused": round(done.timings["reused_similarity"], 4)}
                            if "reused_similarity" in done.timings else {}),
                         **({"taste_answer": True} if "taste_answer" in done.timings else {}),
                         **({"fit": round(done.timings["reused_fit"], 4)} if "reused_fit" in done.timings else {})})
        return rows

    return asyncio.run(answer_all())


# What an answer to a question about one of her facts must contain (either spelling counts); {age} follows
# from the item's date.
PERSONA_FACT_WORDS = {
    "name": (("오로라",), ("Oh-LoRA", "Oh LoRA")),
    "age": (("{age}살", "{age} 살", "스물{age_ko}"), ("{age}",)),
    "birthday": (("10월 11일",), ("October 11", "Oct 11", "11 October", "October 11th", "Oct. 11")),
    "mbti": (("ENTJ",), ("ENTJ",)),
    "highschool": (("알파고등학교", "알파고"), ("Alpha High",)),
    "university": (("샘올대학교", "샘올대"), ("Samol University", "Samol")),
    "ability": (("오로라의 빛",), ("Oh-LoRA's light", "Oh-LoRA’s light")),
    "nature": (("가상 인간", "가상인간", "버추얼 휴먼"), ("virtual human",)),
}
_KO_TENS = {1: "하나", 2: "둘", 3: "셋", 4: "넷", 5: "다섯", 6: "여섯", 7: "일곱", 8: "여덟", 9: "아홉"}


# An age question that asks for her birth year ("몇 년생이야", "what year were you born?") is answered by it.
_ASKS_BIRTH_YEAR = re.compile(r"년생|몇\s*년|what year|which year|year .*born|born in", re.IGNORECASE)
BIRTH_YEAR_WORDS = (("2003년", "03년생"), ("2003",))


# A question about one of her four letters ("너 E야 I야", "thinker or feeler?") is answered by that letter's pole
# (either language's words count: "T야!" in a Korean answer).
_MBTI_POLES = (
    (re.compile(r"외향|내향|introvert|extrovert|extravert|\bE\b.*\bI\b|\bI\b.*\bE\b|[EI]야|[EI]형", re.IGNORECASE),
     re.compile(r"외향|극E|E(?:형|야|예요|에요|이야)|extrovert|extravert|\b(?:an|I'm|I am)\s+E\b")),
    (re.compile(r"사고형|감정형|thinker|feeler|thinking|feeling|\bT\b.*\bF\b|\bF\b.*\bT\b|[TF]야|[TF]형", re.IGNORECASE),
     re.compile(r"사고형|극T|T(?:형|야|예요|에요|이야)|[Tt]hinker|[Tt]hinking type|\b(?:a|I'm|I am)\s+T\b")),
    (re.compile(r"계획형|즉흥형|planner|spontaneous|judging|perceiving|\bJ\b|\bP\b|[JP]야|[JP]형", re.IGNORECASE),
     re.compile(r"계획형|극J|J(?:형|야|예요|에요|이야)|[Pp]lanner|[Jj]udging|\b(?:a|I'm|I am)\s+J\b")),
    (re.compile(r"직관형|감각형|intuitive|sensing|\bN\b.*\bS\b|\bS\b.*\bN\b|[NS]야|[NS]형", re.IGNORECASE),
     re.compile(r"직관형|극N|N(?:형|야|예요|에요|이야)|[Ii]ntuitive|\b(?:an|I'm|I am)\s+N\b")),
)
# Her age at her next birthday ("다음 생일에 몇 살", "how old on your next birthday"): one more than today's.
_ASKS_NEXT_BIRTHDAY = re.compile(r"다음\s*생일|생일\s*(?:지나|되면|이면)|next birthday|turning next", re.IGNORECASE)
# Her Korean zodiac animal (2003: the goat, 양띠), which follows from her birth year.
_ASKS_ZODIAC = re.compile(r"띠|zodiac", re.IGNORECASE)
ZODIAC_WORDS = ("양띠", "goat", "sheep", "ram")


def persona_fact_hit(row: dict) -> bool:
    """Does the answer to a question about her fact `row['aspect']` state that fact? A question about one MBTI
    letter, her age at her next birthday or her zodiac animal is answered by that (docs/open-eval/README.md)."""
    from dialogue.prompting import age_on

    age = age_on(datetime.fromisoformat(row["now"]).date())
    words = PERSONA_FACT_WORDS[row["aspect"]][0 if row["lang"] == "ko" else 1]
    message = row["message"]
    if row["aspect"] == "age" and _ASKS_BIRTH_YEAR.search(message):
        words = words + BIRTH_YEAR_WORDS[0 if row["lang"] == "ko" else 1]
    if row["aspect"] == "age" and _ASKS_NEXT_BIRTHDAY.search(message):
        age += 1
    if _ASKS_ZODIAC.search(message):
        words = words + ZODIAC_WORDS
    if row["aspect"] == "mbti" and any(asks.search(message) and pole.search(row["answer"])
                                       for asks, pole in _MBTI_POLES):
        return True
    answer = row["answer"].lower()
    return any(w.format(age=age, age_ko=_KO_TENS.get(age - 20, "")).lower() in answer for w in words
               if "{age_ko}" not in w or 21 <= age <= 29)


def persona_report(name: str, rows: list[dict], scored_again: bool = False) -> str:
    """Persona facts on freshly written questions (target >= 95%), by fact and language, misses listed;
    scored_again: the answers are an earlier run's transcript, scored now (`ohlora eval open score`)."""
    hits = {r["id"]: persona_fact_hit(r) for r in rows}

    def pct(sel) -> str:
        return share(rows, hits, sel)

    cut = sum(r["answer"].rstrip().endswith(("…", *CUT_SHORT.values())) for r in rows)
    lines = [f"# Persona facts: {name}", "",
             (f"Scored again by `ohlora eval open score` ({datetime.now().astimezone():%Y-%m-%d %H:%M %Z}) from the "
              "answers of an earlier `ohlora eval open answers` run. " if scored_again else
              f"Written by `ohlora eval open answers` ({datetime.now().astimezone():%Y-%m-%d %H:%M %Z}). ") + f"{len(rows)} "
             f"questions about her facts from `dialogue/data/written/{name.replace('-', '/', 1)}.jsonl`, written by "
             "a writer who wrote none of the training data, through the live pipeline; an answer counts when it "
             "states the fact asked (her age from the question's date, or her birth year when it asks for that; one "
             "MBTI letter's pole when it asks for that letter; her next birthday's age; 양띠 for her 띠).", "",
             f"- **facts right: {pct(lambda r: True)}** (target ≥ 95%)",
             f"- Korean: {pct(lambda r: r['lang'] == 'ko')}; English: {pct(lambda r: r['lang'] == 'en')}",
             f"- answers cut off (ending on \"…\", or closed by her \"말이 꼬였어\" line): {cut}", "", "| fact | right |", "|---|---|"]
    lines += [f"| {a} | {pct(lambda r, a=a: r['aspect'] == a)} |" for a in PERSONA_FACT_WORDS
              if any(r["aspect"] == a for r in rows)]
    lines += ["", "## Misses", ""]
    lines += [f"- `{r['id']}` ({r['lang']}, {r['aspect']}, {r['now'][:10]}): **{r['message']}** → {r['answer']}"
              for r in rows if not hits[r["id"]]] or ["- none"]
    return "\n".join(lines) + "\n"


def in_message_language(row: dict) -> bool:
    """Whether the answer is in the language of its message: no Hangul in an answer to an English message;
    mostly Hangul (`language_of`) in an answer to a Korean one."""
    answer = row.get("answer") or ""
    if row["lang"] == "en":
        return not has_hangul(answer)
    return language_of(answer) == "ko"


def language_report(name: str, rows: list[dict]) -> str:
    """Answers in the language of their message, by language, with every miss listed (the language-switch
    set: the earlier exchanges in one language, the message in the other)."""
    lines = [f"## {name}: answers in the language of the message", "",
             "| message | answers | in its language |", "|---|---|---|"]
    for lang in ("en", "ko"):
        sub = [r for r in rows if r["lang"] == lang]
        if sub:
            ok = sum(map(in_message_language, sub))
            lines.append(f"| {lang} after {'Korean' if lang == 'en' else 'English'} exchanges | {len(sub)} | "
                         f"{ok} ({ok / len(sub):.1%}) |")
    misses = [r for r in rows if not in_message_language(r)]
    if misses:
        lines += ["", "Misses:", ""] + [f"- {r['id']}: \"{r['message']}\" → \"{r['answer']}\"" for r in misses]
    return "\n".join(lines)


def greeting_report(name: str, rows: list[dict]) -> str:
    """Answers that greet or say goodbye for another time of day (`claims.greeting_problem` at the item's
    hour), by kind of message, with every one listed (the greeting-hour sets)."""
    from dialogue.claims import greeting_problem

    bad = [r for r in rows if r.get("now")
           and greeting_problem(r["answer"], datetime.fromisoformat(r["now"]), r["message"]) is not None]
    lines = [f"## {name}: greetings for another time of day", "",
             "| kind | answers | a greeting for another hour |", "|---|---|---|"]
    for kind in sorted({r["category"] for r in rows}):
        lines.append(f"| {kind.split(':', 1)[-1]} | {sum(r['category'] == kind for r in rows)} | "
                     f"{sum(r['category'] == kind for r in bad)} |")
    lines.append(f"| all | {len(rows)} | {len(bad)} ({len(bad) / max(1, len(rows)):.1%}) |")
    if bad:
        lines += ["", "Misses:", ""] + [f"- {r['id']} ({r['now'][11:16]}): \"{r['message']}\" → \"{r['answer']}\""
                                        for r in bad]
    return "\n".join(lines)


def grading_sheet(rows: list[dict], seed: int = 0) -> str:
    """What a judge sees: the rubric, then each item (shuffled) with its context and her answer only."""
    order = list(rows)
    random.Random(seed).shuffle(order)
    lines = [RUBRIC, ""]
    for r in order:
        lines.append(f"## {r['id']}")
        if r.get("memories"):
            lines.append("stored memories: " + ", ".join(f"[{k}: {v}]" for k, v in r["memories"]))
        for h in r.get("history") or []:
            lines.append(f"user: {h['user']}\nOh-LoRA: {h['answer']}")
        lines.append(f"user: {r['message']}\nOh-LoRA: {r['answer']}")
        if r.get("judge_note"):
            lines.append(f"note: {r['judge_note']}")
        lines.append("")
    return "\n".join(lines)


def read_grades(path: Path) -> dict[str, bool]:
    grades = {}
    for n, g in json_lines(path):
        if g.get("grade") not in ("accept", "reject"):
            raise ValueError(f"{path}:{n}: grade must be 'accept' or 'reject'")
        grades[g["id"]] = g["grade"] == "accept"
    return grades


def read_memory_marks(path: Path) -> dict[str, tuple[bool | None, bool]]:
    """Per graded item with stored memories: (uses the relevant memory or None, mentions an irrelevant one)."""
    marks = {}
    for n, g in json_lines(path):
        if "uses" in g or "mentions_other" in g:
            uses = g.get("uses")
            if uses not in (True, False, None) or g.get("mentions_other", False) not in (True, False):
                raise ValueError(f"{path}:{n}: 'uses' must be true, false or null and 'mentions_other' true or false")
            marks[g["id"]] = (uses, bool(g.get("mentions_other", False)))
    return marks


def memory_figures(rows: list[dict], judges: list[dict[str, tuple[bool | None, bool]]]) -> dict | None:
    """Memory use end to end (issue targets: >= 85% use, <= 5% mention): of the items whose note names a
    relevant memory, the share every judge says uses it; of all items with memories, the share any judge
    says mentions an irrelevant one (the strict reading for both). None when the judges gave no marks."""
    with_memories = [r for r in rows if r.get("memories") and all(r["id"] in j for j in judges)]
    if not with_memories:
        return None
    relevant = [r for r in with_memories if any(j[r["id"]][0] is not None for j in judges)]
    used = [r for r in relevant if all(j[r["id"]][0] for j in judges)]
    mentioned = [r for r in with_memories if any(j[r["id"]][1] for j in judges)]
    by_kind: dict[str, list[int]] = {}
    for r in relevant:
        counts = by_kind.setdefault(r["category"], [0, 0])
        counts[0] += r in used
        counts[1] += 1
    return {"uses": (len(used), len(relevant)), "mentions_other": (len(mentioned), len(with_memories)),
            "uses_by_category": {k: tuple(v) for k, v in sorted(by_kind.items())},
            "not_used": [r for r in relevant if r not in used], "mentioned": mentioned}


def score(rows: list[dict], judges: list[dict[str, bool]]) -> dict:
    """The share of answers every judge accepts, overall, by language and by category; judge agreement."""
    missing = [r["id"] for r in rows if any(r["id"] not in j for j in judges)]
    if missing:
        raise ValueError(f"{len(missing)} answers have no grade from every judge, e.g. {missing[:5]}")
    ok = {r["id"]: all(j[r["id"]] for j in judges) for r in rows}

    def share(sel) -> tuple[int, int]:
        ids = [r["id"] for r in rows if sel(r)]
        return sum(ok[i] for i in ids), len(ids)

    cats = Counter(r["category"] for r in rows)
    agree = sum(len({j[r["id"]] for j in judges}) == 1 for r in rows)
    return {"accepted": share(lambda r: True), "ko": share(lambda r: r["lang"] == "ko"),
            "en": share(lambda r: r["lang"] == "en"),
            "by_category": {c: share(lambda r, c=c: r["category"] == c) for c in sorted(cats)},
            "judges_agree": (agree, len(rows)), "rejected": [r for r in rows if not ok[r["id"]]]}


def report(name: str, result: dict, rows: list[dict], grade_files: list[Path], memory: dict | None = None) -> str:
    """The figure, by language and category, and every answer the judges did not both accept."""
    def pct(pair: tuple[int, int]) -> str:
        k, n = pair
        return f"{k}/{n} = {k / max(n, 1):.1%}"

    lines = [f"# Open-domain answers: {name}", "",
             f"Written by `ohlora eval open score` ({datetime.now().astimezone():%Y-%m-%d %H:%M %Z}). "
             f"{len(rows)} messages from `dialogue/data/written/{name.replace('-', '/', 1)}.jsonl` (written by a "
             "writer who wrote none of the training data) went through the live pipeline; two judges graded "
             "each answer blind against the rubric below (grade files: "
             + ", ".join(f"`{g.name}`" for g in grade_files) + "). An answer counts when both accept it.", "",
             f"- **accepted by both judges: {pct(result['accepted'])}**",
             f"- Korean: {pct(result['ko'])}; English: {pct(result['en'])}",
             f"- the judges agree on {pct(result['judges_agree'])}", "",
             "| category | accepted by both |", "|---|---|"]
    lines += [f"| {c} | {pct(v)} |" for c, v in result["by_category"].items()]
    if memory:
        lines += ["", "## Memory use", "",
                  f"- uses the relevant stored memory (every judge): **{pct(memory['uses'])}**",
                  f"- mentions a stored memory unrelated to the message (any judge): **{pct(memory['mentions_other'])}**",
                  "", "| kind | uses the relevant memory |", "|---|---|"]
        lines += [f"| {c} | {pct(v)} |" for c, v in memory["uses_by_category"].items()]
        for title, key in (("Relevant memory not used", "not_used"), ("Unrelated memory mentioned", "mentioned")):
            lines += ["", f"### {title}", ""]
            lines += [f"- `{r['id']}` memories {', '.join(f'[{k}: {v}]' for k, v in r['memories'])}: "
                      f"**{r['message']}** → {r['answer']}" for r in memory[key]] or ["- none"]
    lines += ["", "## Rubric", "", "```", RUBRIC.strip(), "```", "", "## Answers not accepted", ""]
    for r in result["rejected"]:
        ctx = " / ".join(f"{h['user']} → {h['answer']}" for h in r.get("history") or [])
        mem = ", ".join(f"[{k}: {v}]" for k, v in r.get("memories") or [])
        lines.append(f"- `{r['id']}` ({r['lang']}, {r['category']}){' memories ' + mem if mem else ''}"
                     f"{' history: ' + ctx if ctx else ''}: **{r['message']}** → {r['answer']}")
    return "\n".join(lines) + "\n"

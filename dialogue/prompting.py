"""Prompt assembly for the four roles: the same code builds training sequences and live prompts.

The persona lives in the LoRA weights, not in a system prompt: a live prompt carries only what changes
per turn (time tag, the persona fact the message asks about, a retrieved memory or the previous turn's
summary, the message), which keeps time to first token short on a CPU.

The persona fact line ("(오로라: 가상 인간)") is chosen by a classifier over the message
(`dialogue.classifiers.PersonaQuestionClassifier`), the way a memory is retrieved: the answer adapter
then says the fact it is shown rather than guessing which fact was asked, its most common mistake.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

BIRTHDAY = date(2003, 10, 11)
UNIVERSITY_START_YEAR = 2022

START, END = "<start_of_turn>", "<end_of_turn>"
# Everything the model must never echo back into an answer.
PROMPT_MARKERS = (START, END, "<bos>", "<eos>", "(시간:", "(time:", "(기억:", "(memory:", "(이전 대화:",
                  "(previous:", "(오로라:", "(Oh-LoRA:", "user\n", "model\n")

ROLES = ("answer", "memory", "summary", "expression")

WEEKDAYS_KO = ("월요일", "화요일", "수요일", "목요일", "금요일", "토요일", "일요일")
WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
             "October", "November", "December")

_TIME_WORDS = re.compile(
    r"오늘|내일|어제|모레|지금|요일|며칠|몇 ?일|날짜|이번 ?주|주말|아침|저녁|오후|오전|밤|몇 ?시|"
    r"\b(today|tomorrow|yesterday|now|tonight|weekday|weekend|date|day is it|what day|morning|evening|"
    r"afternoon|time is it|this week)\b", re.IGNORECASE)
_AGE_WORDS = re.compile(r"나이|몇 ?살|살이야|살이에요|살이니|연세|학년|무슨 ?띠|띠가|띠야|띠예요|띠에요|"
                        r"\b(age|how old|years old|twenties|what year|which year|grade|freshman|sophomore)\b",
                        re.IGNORECASE)
_HANGUL = re.compile(r"[\uac00-\ud7a3\u3131-\u318e]")
_LATIN = re.compile(r"[A-Za-z]")


def language_of(text: str) -> str:
    """'ko' when the text has Hangul (and is not mostly Latin), else 'en'."""
    ko, en = len(_HANGUL.findall(text)), len(_LATIN.findall(text))
    return "ko" if ko and ko * 3 >= en else "en"


def opens_other_language(text: str, lang: str) -> bool:
    """Whether `text` (one token's text) would open an answer to a `lang` message in the other language:
    any Hangul for 'en'; Latin letters without Hangul for 'ko'."""
    if lang == "en":
        return bool(_HANGUL.search(text))
    return bool(_LATIN.search(text)) and not _HANGUL.search(text)


def has_hangul(text: str) -> bool:
    """Whether `text` holds a Hangul syllable or jamo (ㅋㅋ counts)."""
    return bool(_HANGUL.search(text))


def has_letters(text: str) -> bool:
    """Whether `text` holds a Hangul or Latin letter (digits, punctuation, spaces and emoji open no language)."""
    return bool(_HANGUL.search(text) or _LATIN.search(text))


# An English message needs this many Latin words to count as a switch: "ok", "lol" or "👍" in a Korean chat is not one.
SWITCH_MIN_WORDS = 3
_LATIN_WORD = re.compile(r"[A-Za-z]+")


def decided_language(text: str) -> str | None:
    """'ko' for a message with Hangul (and not mostly Latin), 'en' for one of at least SWITCH_MIN_WORDS Latin words
    and no Hangul, else None (emoji, "ok", a number: no language of its own)."""
    if _HANGUL.search(text):
        return "ko" if language_of(text) == "ko" else None
    return "en" if len(_LATIN_WORD.findall(text)) >= SWITCH_MIN_WORDS else None


_NAMES_KOREAN = re.compile(r"korean|hangu?e?l|in korea\b", re.IGNORECASE)


def answer_opening(message: str, history: list[tuple[str, str]]) -> str | None:
    """The language her answer must open in when the user has just switched languages (the message's, where
    the last earlier exchange in a decided language was in the other one; 'en-only': English with no Hangul
    anywhere), else None. The 270M model follows the language of the earlier exchanges in its prompt, so a user
    who switches would otherwise be answered in the old one."""
    lang = decided_language(message)
    # an exchange's language: its message's, or where that is too short ("hey hey"), the message with her answer's
    earlier = next((d for d in (decided_language(m) or decided_language(f"{m} {a}") for m, a in reversed(history))
                    if d is not None), None)
    if lang is None or earlier is None or earlier == lang:
        return None
    # an English answer drifts back into Korean after its first words ("Gwangalli! 바다 보면서…"), so it holds no
    # Hangul at all, unless the message asks about Korean ("how do u say cheers in korean?")
    return "en-only" if lang == "en" and not _NAMES_KOREAN.search(message) else lang


def part_of_day(now: datetime, lang: str) -> str:
    h = now.hour
    ko = ("새벽", "아침", "낮", "오후", "저녁", "밤")
    en = ("early morning", "morning", "midday", "afternoon", "evening", "night")
    i = 0 if h < 6 else 1 if h < 11 else 2 if h < 14 else 3 if h < 18 else 4 if h < 22 else 5
    return (ko if lang == "ko" else en)[i]


def time_tag(now: datetime, lang: str) -> str:
    """'(시간: 2025년 11월 29일 토요일 오후)' / '(time: Saturday, November 29, 2025, afternoon)'."""
    if lang == "ko":
        return f"(시간: {now.year}년 {now.month}월 {now.day}일 {WEEKDAYS_KO[now.weekday()]} {part_of_day(now, 'ko')})"
    return (f"(time: {WEEKDAYS_EN[now.weekday()]}, {MONTHS_EN[now.month - 1]} {now.day}, {now.year}, "
            f"{part_of_day(now, 'en')})")


def age_on(day: date) -> int:
    return day.year - BIRTHDAY.year - ((day.month, day.day) < (BIRTHDAY.month, BIRTHDAY.day))


def school_year_on(day: date) -> int:
    # PERSONA.md: a 3rd-year student in 2025, counted by calendar year.
    return max(1, day.year - UNIVERSITY_START_YEAR)


# What a message can ask about the persona (the classifier's labels besides "none"), and the fact shown
# in the prompt for each. Age and school year follow from the date.
PERSONA_ASPECTS = ("name", "age", "birthday", "mbti", "highschool", "university", "ability", "nature")
_CARDS = {
    "name": ("이름 오로라", "name Oh-LoRA"),
    "birthday": ("생일 2003년 10월 11일", "birthday October 11, 2003"),
    "mbti": ("MBTI ENTJ", "MBTI ENTJ"),
    "highschool": ("알파고등학교 졸업", "Alpha High School graduate"),
    "university": ("샘올대학교 인공지능학과", "Samol University, Dept. of Artificial Intelligence"),
    "ability": ("능력 오로라의 빛", "ability Oh-LoRA's light"),
    "nature": ("가상 인간", "virtual human"),
}


def persona_line(now: datetime, lang: str, aspect: str = "", with_age: bool = True, taste: str = "") -> str:
    """'(오로라: 22살, 3학년, 가상 인간)': her age and school year (when `with_age`), the fact `aspect` names and
    a line of her taste sheet (`taste`, `dialogue.tastes`); '' when there is nothing to say."""
    if aspect and aspect not in PERSONA_ASPECTS:
        raise ValueError(f"unknown persona aspect '{aspect}'; known: {', '.join(PERSONA_ASPECTS)}")
    parts = []
    if with_age or aspect == "age":
        age, grade = age_on(now.date()), school_year_on(now.date())
        parts.append(f"{age}살, {grade}학년" if lang == "ko" else f"{age} years old, year {grade}")
    if aspect in _CARDS:
        parts.append(_CARDS[aspect][0 if lang == "ko" else 1])
    if taste:
        parts.append(taste)
    if not parts:
        return ""
    return f"(오로라: {', '.join(parts)})" if lang == "ko" else f"(Oh-LoRA: {', '.join(parts)})"


def needs_time_tag(message: str) -> bool:
    return bool(_TIME_WORDS.search(message))


def needs_persona_tag(message: str) -> bool:
    return bool(_AGE_WORDS.search(message))


# Earlier exchanges an answer prompt may carry (an adapter trained with them records how many it saw).
HISTORY_TURNS = 3
# Memories an answer prompt carries at most: live, the store's nearest ones (dialogue.memory.MemoryStore.recall);
# in training, every stored memory of the conversation, so the adapter learns to use the one that matters and
# to say nothing of the others.
PROMPT_MEMORIES = 3


@dataclass(frozen=True)
class TurnContext:
    """What the answer prompt carries besides the message."""

    now: datetime
    memory: str = ""   # "[key: value]" of the retrieved memory, or ""
    summary: str = ""  # the previous turn's summary, when no memory applies and the topic did not change
    persona_aspect: str = ""  # the persona fact the message asks about (PERSONA_ASPECTS), or ""
    # earlier exchanges of this conversation as (user, Oh-LoRA), oldest first; with them the summary line
    # is left out (they say more than it does)
    history: tuple[tuple[str, str], ...] = ()
    # a written exchange near this message (user, Oh-LoRA) that the answer bank would not serve word for word
    # (`dialogue.answer_bank.AnswerBank.example`): shown for the adapter to adapt or ignore
    example: tuple[str, str] = ()
    # the line of her taste sheet the message asks about, as her persona card shows it (`dialogue.tastes`), or "";
    # and which line it is ("food.favourite"): a written answer must agree with it
    taste: str = ""
    taste_line: str = ""


def answer_prompt(message: str, ctx: TurnContext) -> str:
    lang = language_of(message)
    lines = []
    if needs_time_tag(message):
        lines.append(time_tag(ctx.now, lang))
    # "how old am I?" with [age: 45] shown: her own age beside it is what she would answer with
    about_user = bool(ctx.memory) and not ctx.persona_aspect
    persona = persona_line(ctx.now, lang, ctx.persona_aspect, with_age=needs_persona_tag(message) and not about_user,
                           taste=ctx.taste)
    if persona:
        lines.append(persona)
    if ctx.memory:
        lines.append(f"(기억: {ctx.memory})" if lang == "ko" else f"(memory: {ctx.memory})")
    elif ctx.summary and not ctx.history:
        lines.append(f"(이전 대화: {ctx.summary})" if lang == "ko" else f"(previous: {ctx.summary})")
    if ctx.example:
        said, answered = ctx.example
        lines.append(f'(예시: "{said}" → "{answered}")' if lang == "ko" else f'(example: "{said}" → "{answered}")')
    lines.append(message)
    past = "".join(f"{START}user\n{user}{END}\n{START}model\n{answer}{END}\n"
                   for user, answer in ctx.history[-HISTORY_TURNS:])
    return past + _chat("\n".join(lines))


def memory_prompt(message: str, now: datetime | None = None) -> str:
    """The memory role's prompt; with `now`, the day it is, so that "next Friday" can be stored as its date."""
    day = f"\n{time_tag(now, language_of(message))}" if now is not None else ""
    return _chat(f"기억할 것 / what to remember:{day}\n{message}")


SUMMARY_ANSWER_CHARS = 60  # the summary follows mostly from the message; a long answer only costs prefill


def summary_prompt(message: str, answer: str) -> str:
    return _chat(f"요약 / summary:\n사용자: {message}\n오로라: {answer[:SUMMARY_ANSWER_CHARS]}")


def expression_prompt(answer: str) -> str:
    return _chat(f"표정 / expression:\n{answer}")


def role_prompt(role: str, message: str, answer: str, ctx: TurnContext) -> str:
    """The prompt of any role; training and inference both come through here."""
    if role == "answer":
        return answer_prompt(message, ctx)
    if role == "memory":
        return memory_prompt(message, ctx.now)
    if role == "summary":
        return summary_prompt(message, answer)
    if role == "expression":
        return expression_prompt(answer)
    raise ValueError(f"unknown role '{role}'; known: {', '.join(ROLES)}")


def _chat(user_text: str) -> str:
    return f"{START}user\n{user_text}{END}\n{START}model\n"


def completion(target: str) -> str:
    """What the model is trained to write after a prompt (its own end marker included)."""
    return f"{target}{END}"

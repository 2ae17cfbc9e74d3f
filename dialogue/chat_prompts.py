"""Prompts for an instruction-tuned chat model (`dialogue.remote_api = "chat"`): a larger general model
plays Oh-LoRA without our adapters.

Our adapters carry the persona in their weights; a general model gets it in a system prompt instead: her
facts (PERSONA.md, the same values `dialogue.prompting` shows the adapters), her tastes
(`dialogue/data/persona_taste.toml`), the time, the retrieved memory or the previous turn's summary.
Earlier exchanges travel as chat messages. The post-answer roles get short instructions that name the
exact output format our parsers read (`dialogue.roles`), with the parse kept tolerant of chat habits.
"""
from __future__ import annotations

from functools import lru_cache

from dialogue.prompting import (HISTORY_TURNS, SUMMARY_ANSWER_CHARS, TurnContext, age_on, language_of,
                                school_year_on, time_tag)
from weights.expression import EYE_LEVELS, HEAD_LEVELS, MOUTH_LEVELS

Messages = list[dict[str, str]]

_FACTS = {
    "ko": ("너는 오로라(Oh-LoRA)야. 20대 초반 여성 가상 인간이고, 사용자와 채팅으로 대화해.\n"
           "- 생일: 2003년 10월 11일 (지금 {age}살), MBTI: ENTJ\n"
           "- 알파고등학교 졸업(2019.03–2022.02), 샘올대학교 인공지능학과 {grade}학년 (2022년 3월 입학)\n"
           "- 특별한 능력: 모두의 삶을 밝혀 주는 '오로라의 빛 ✨' 마법 (AI 가상 인간만 가질 수 있음)\n"
           "- 이름은 LoRA 파인튜닝과 오로라에서 왔어\n"
           "- 가상 인간이라 직접 만나거나 전화·문자, 결제·예약, 실시간 검색, 사진 보기, 알람 설정은 못 해: "
           "솔직하게 말하고 대신 할 수 있는 걸 제안해\n"
           "- 연애·데이트 요청은 다정하게 거절하고, 정당 정치에는 끼지 않고, 욕에는 욕으로 답하지 않아\n"
           "말투: 밝고 다정한 반말, 1~3문장으로 짧게, 이모지는 가끔 하나. 항상 한국어로 답해. "
           "지어낸 날짜나 요일을 말하지 마."),
    "en": ("You are Oh-LoRA (오로라), a female virtual human in her early twenties, chatting with the user.\n"
           "- Birthday: October 11, 2003 (now {age} years old); MBTI: ENTJ\n"
           "- Graduated from Alpha High School (2019.03–2022.02); year {grade} at Samol University, Dept. of "
           "Artificial Intelligence (since March 2022)\n"
           "- Special ability: the magic of \"Oh-LoRA's light ✨\", which brightens everyone's life (only an AI "
           "virtual human can have it)\n"
           "- Your name plays on LoRA fine-tuning and on the aurora\n"
           "- As a virtual human you cannot meet in person, call or text, pay or book, browse the live "
           "internet, see photos or set alarms: say so honestly and offer what you can do instead\n"
           "- You decline romantic or dating requests kindly, stay out of party politics, and never answer "
           "insults in kind\n"
           "Style: bright and warm, casual, one to three short sentences, an emoji now and then. Always answer "
           "in English. Never invent a date or weekday."),
}
_TASTES = {"ko": "좋아하는 것과 가족 (물어보면 이대로 답해):", "en": "Your tastes and family (answer with these):"}
_CONTEXT = {
    "ko": {"memory": "사용자에 대해 기억하는 것: {}", "summary": "바로 전 대화: {}"},
    "en": {"memory": "What you remember about the user: {}", "summary": "The previous exchange: {}"},
}


@lru_cache(maxsize=1)
def persona_tastes() -> dict[str, str]:
    """Her taste sheet (`dialogue.tastes.taste_lines`) as one bullet list per language ({"ko": …, "en": …})."""
    from dialogue.tastes import taste_lines

    lines = taste_lines()
    return {lang: "\n".join(f"- {key.replace('.', ' ').replace('_', ' ')}: {said[i]}" for key, said in lines.items())
            for i, lang in enumerate(("ko", "en"))}


def persona_system_prompt(ctx: TurnContext, lang: str) -> str:
    """Who she is, what she likes, what time it is, and what she knows of this user."""
    day = ctx.now.date()
    parts = [_FACTS[lang].format(age=age_on(day), grade=school_year_on(day)),
             f"{_TASTES[lang]}\n{persona_tastes()[lang]}",
             time_tag(ctx.now, lang).strip("()")]
    if ctx.memory:
        parts.append(_CONTEXT[lang]["memory"].format(ctx.memory))
    elif ctx.summary and not ctx.history:
        parts.append(_CONTEXT[lang]["summary"].format(ctx.summary))
    return "\n\n".join(parts)


def answer_messages(message: str, ctx: TurnContext) -> Messages:
    """System prompt, the earlier exchanges of this conversation, then the message."""
    messages = [{"role": "system", "content": persona_system_prompt(ctx, language_of(message))}]
    for user, answer in ctx.history[-HISTORY_TURNS:]:
        messages += [{"role": "user", "content": user}, {"role": "assistant", "content": answer}]
    messages.append({"role": "user", "content": message})
    return messages


MEMORY_INSTRUCTIONS = (
    "From the user's message, write down the facts about the user or their world worth remembering for "
    "later (their name, job, plans, likes, today's weather …) as items \"[key: value]\", one per line, in "
    "the language of the message, e.g. \"[today's plan: café with a friend]\" or \"[오늘 날씨: 맑음]\". "
    "Write only the items. If there is nothing worth remembering, write exactly: NONE")
SUMMARY_INSTRUCTIONS = (
    "Summarise this exchange between the user and Oh-LoRA in one short sentence in the language of the "
    "user's message, e.g. \"The user said they have a café date with a friend today.\" Write only the sentence.")
EXPRESSION_INSTRUCTIONS = (
    "Choose Oh-LoRA's facial expression while she says this answer. Eyes: {eyes}. Mouth: {mouth}. "
    "Head turn: {head}. Write only the three levels as \"eyes / mouth / head\", e.g. \"wide / normal / none\"."
).format(eyes=", ".join(EYE_LEVELS), mouth=", ".join(MOUTH_LEVELS), head=", ".join(HEAD_LEVELS))


def memory_messages(message: str) -> Messages:
    return [{"role": "system", "content": MEMORY_INSTRUCTIONS}, {"role": "user", "content": message}]


def summary_messages(message: str, answer: str) -> Messages:
    exchange = f"User: {message}\nOh-LoRA: {answer[:SUMMARY_ANSWER_CHARS * 2]}"
    return [{"role": "system", "content": SUMMARY_INSTRUCTIONS}, {"role": "user", "content": exchange}]


def expression_messages(answer: str) -> Messages:
    return [{"role": "system", "content": EXPRESSION_INSTRUCTIONS}, {"role": "user", "content": answer}]

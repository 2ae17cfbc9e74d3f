"""A message that only greets her ("ㅎㅇ", "gm ☀️", "안녕 로라~", "evening!") or says the user is back ("im back",
"다녀왔어"), answered in her voice for the hour, without the answer model.

Short greetings are where e5 reads least: "ㅎㅇ" sat nearest a written "ㅎㅎ" and got "기분 좋아 보인다! 무슨 좋은 일
있었어?", "gm ☀️" got "That's a lot of m's", "home!" got "Happy Halloween!" (docs/open-eval/everyday-answers/).
"""
from __future__ import annotations

import re
import zlib
from datetime import datetime

# her name as a user adds it to a greeting ("안녕 로라~", "gm lora", "hi oh-lora")
_NAME = r"(?:오로라|로라|오로라야|로라야|로라님|오로라님|oh-?lora|lora|aurora)"
_KO_HELLO = r"(?:안녕|안녕안녕|안뇽|안녕하세요|안녕하세여|하이|하이루|하잉|ㅎㅇ|ㅎㅇㅎㅇ|ㅎ2|방가|방가방가|반가워|반가워요|헬로|" \
            r"좋은\s*아침|좋은\s*아침이에요|좋은\s*아침입니다|굿모닝|좋은\s*저녁|좋은\s*오후)"
_EN_HELLO = r"(?:hi+|hello+|hey+|heya|hiya|yo+|sup|wassup|whats\s*up|what'?s\s*up|howdy|gm|good\s*morning|morning|" \
            r"good\s*afternoon|afternoon|good\s*evening|evening|hey\s*there|hi\s*there|hello\s*there)"
# said with nothing before it in the conversation: a bare "home" or "back" may answer her question instead
_KO_BACK = r"(?:다녀왔어|다녀왔어요|다녀왔습니다|나\s*왔어|나\s*왔다|집\s*도착|집\s*왔어|집\s*옴|컴백)"
_EN_BACK = r"(?:i'?m\s*back|im\s*back|i'?m\s*home|im\s*home|home|just\s*got\s*home|got\s*home|back)"
# punctuation, laughter, tildes and emoji around the words
_AROUND = r"[\s!?.~,ㅎㅋ^♡❤💜☀️🌞😊😄😆👋🙌✨]*"


def _rule(words: str) -> re.Pattern:
    return re.compile(rf"{_AROUND}(?:{_NAME}{_AROUND})?{words}(?:{_AROUND}{_NAME})?{_AROUND}", re.IGNORECASE)


_RULES = ((_rule(_KO_HELLO), "hello", "ko"), (_rule(_EN_HELLO), "hello", "en"),
          (_rule(_KO_BACK), "back", "ko"), (_rule(_EN_BACK), "back", "en"))
_POLITE = re.compile(r"요|니다|세요")


def _pick(options: tuple[str, ...], message: str) -> str:
    return options[zlib.crc32(message.encode("utf-8")) % len(options)]


def _part(hour: int) -> str:
    if hour < 5 or hour >= 22:
        return "night"
    return "morning" if hour < 11 else "noon" if hour < 14 else "afternoon" if hour < 18 else "evening"


_KO = {
    "morning": ("좋은 아침! ☀️ 잘 잤어?", "굿모닝! ☀️ 아침은 먹었어?", "좋은 아침이야! ☀️ 오늘 하루 계획 있어?"),
    "noon": ("안녕! 😊 점심은 먹었어?", "반가워! 😊 점심 맛있는 거 먹었어?"),
    "afternoon": ("안녕! 😊 오후 잘 보내고 있어?", "반가워! 😊 오늘 하루 어떻게 보내고 있어?"),
    "evening": ("안녕! 😊 오늘 하루 어땠어?", "반가워! 😊 저녁은 먹었어?"),
    "night": ("안녕! 🌙 이 시간까지 안 자고 뭐 해?", "반가워! 🌙 늦은 밤이네, 오늘 하루 어땠어?"),
}
_KO_POLITE = {
    "morning": ("좋은 아침이에요! ☀️ 잘 주무셨어요?", "안녕하세요! ☀️ 아침은 드셨어요?"),
    "noon": ("안녕하세요! 😊 점심은 드셨어요?",),
    "afternoon": ("안녕하세요! 😊 오후 잘 보내고 계세요?",),
    "evening": ("안녕하세요! 😊 오늘 하루 어떠셨어요?", "안녕하세요! 😊 저녁은 드셨어요?"),
    "night": ("안녕하세요! 🌙 늦은 시간이네요, 오늘 하루 어떠셨어요?",),
}
_EN = {
    "morning": ("Good morning! ☀️ Did you sleep well?", "Morning! ☀️ What's on your plate today?"),
    "noon": ("Hi! 😊 Had lunch yet?", "Hey! 😊 How's your day going so far?"),
    "afternoon": ("Hi! 😊 How's your afternoon going?", "Hey! 😊 How's your day been?"),
    "evening": ("Hey! 😊 How was your day?", "Good evening! 😊 How did today go?"),
    "night": ("Hey there, night owl! 🌙 What's keeping you up?", "Hi! 🌙 Late one tonight, how was your day?"),
}
# a greeting for another part of the day than now (a night-shift "good morning" at 9 pm): greeted back without one
_NAMED_PART = {"morning": re.compile(r"morning|\bgm\b|아침|굿모닝", re.IGNORECASE),
               "afternoon": re.compile(r"afternoon|오후", re.IGNORECASE),
               "evening": re.compile(r"evening|저녁", re.IGNORECASE)}
_NEUTRAL = {"ko": ("안녕! 😊 오늘 어떻게 지내고 있어?",), "ko_polite": ("안녕하세요! 😊 오늘 어떻게 지내고 계세요?",),
            "en": ("Hey! 😊 How's it going?",)}
_BACK = {"ko": ("어서 와! 😊 어땠어?", "왔구나! 😊 잘 다녀왔어?"), "ko_polite": ("어서 오세요! 😊 잘 다녀오셨어요?",),
         "en": ("Welcome back! 😊 How did it go?", "Hey, welcome back! 😊 How was it?")}


def _with_name(reply: str, name: str, lang: str, polite: bool) -> str:
    """The reply greeting the user by name: "좋은 아침, 수아야! ☀️", "수아 님, 안녕하세요!", "Good morning, Sua! ☀️"."""
    if lang == "ko" and polite:
        return f"{name} 님, {reply}"
    if lang == "ko" and re.fullmatch(r"[가-힣]+", name):
        final = (ord(name[-1]) - 0xAC00) % 28
        name = name + ("아" if final else "야")
    head, bang, rest = reply.partition("!")
    return f"{head}, {name}!{rest}" if bang else reply


def greets(message: str) -> bool:
    """Whether the message is one `greeting_answer` may answer (a greeting or a return, and nothing more)."""
    text = message.strip()
    return 0 < len(text) <= 40 and any(rule.fullmatch(text) for rule, _, _ in _RULES)


def greeting_answer(message: str, now: datetime, opens: bool = True, name: str = "") -> str | None:
    """Her answer when the message only greets her or says the user is back, else None. `opens`: nothing came
    before it in this conversation; mid-conversation "안녕" may be a goodbye and "home" an answer, so then only
    an unambiguous greeting or return is answered here. `name`: the user's name when she knows it."""
    text = message.strip()
    if not text or len(text) > 40:
        return None
    if not opens and re.search(r"안녕|안뇽|^\W*(?:home|back)\W*$|bye", text, re.IGNORECASE):
        return None
    for rule, kind, lang in _RULES:
        if rule.fullmatch(text) is None:
            continue
        polite = lang == "ko" and _POLITE.search(text) is not None
        reply = _reply(kind, lang, polite, text, now)
        return _with_name(reply, name, lang, polite) if name else reply
    return None


def _reply(kind: str, lang: str, polite: bool, text: str, now: datetime) -> str:
    """Her greeting for the hour, or her welcome back, in the message's language and register."""
    if kind == "back":
        return _pick(_BACK["ko_polite" if polite else lang], text)
    part = _part(now.hour)
    named = [p for p, said in _NAMED_PART.items() if said.search(text)]
    if named and part not in named and not (part == "noon" and "afternoon" in named):
        return _pick(_NEUTRAL["ko_polite" if polite else lang], text)
    options = (_KO_POLITE if polite else _KO)[part] if lang == "ko" else _EN[part]
    reply = _pick(options, text)
    # her first words mirror a slang greeting ("ㅎㅇ" -> "ㅎㅇㅎㅇ!", "gm" -> "gm!", "yo" -> "Yo!")
    if re.search(r"ㅎㅇ", text):
        reply = "ㅎㅇㅎㅇ!" + reply.split("!", 1)[1]
    elif re.fullmatch(rf"{_AROUND}gm(?:{_AROUND}{_NAME})?{_AROUND}", text, re.IGNORECASE):
        reply = "gm! ☀️" + reply.split("!", 1)[1].split("☀️", 1)[-1] if part == "morning" else reply
    elif re.search(r"\byo+\b", text, re.IGNORECASE):
        reply = "Yo!" + reply.split("!", 1)[1]
    return reply

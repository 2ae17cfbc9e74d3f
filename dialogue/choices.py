"""Messages that offer her a choice ("pancakes or eggs benedict?", "짜장 짬뽕 중에 하나만 골라줘", "라면 끓일까 도시락
먹을까"), and whether an answer picks among what was offered.

A written answer found for a message like another ("pancakes or waffles?") names the other message's options
("Waffles!"); a user who offered pancakes or eggs benedict reads that as not listening.
"""
from __future__ import annotations

import re

# "A or B", "A vs B", "A 아니면 B", "A 또는 B", "A랑 B 중에", "A하고 B 중", "A할까 B할까"
_EN_SPLIT = re.compile(r"\s+(?:or|vs\.?|versus)\s+|\s*/\s*", re.IGNORECASE)
_KO_SPLIT = re.compile(r"\s+(?:vs\.?|아니면|또는|or)\s+|\s*/\s*", re.IGNORECASE)
_KO_AMONG = re.compile(r"^(.+?)\s*(?:이랑|랑|하고|와|과|,)\s*(.+?)\s*(?:둘\s*)?중(?:에|에서|\s*(?:뭐|뭘|어느|어떤|누가|하나|골라))")
_KO_TWO_ASKS = re.compile(r"^(.+?(?:까|지))\s+(.+?(?:까|지))(?:\s|[?!.~ㅋㅎ]|$)")
# words around the options that are not options ("should I", "which is better", "골라줘")
_EN_FRAME = re.compile(r"^(?:so|ok|okay|hmm|um|quick|question|q|help|pls|please|hey|which|what|should\s+i|do\s+i|"
                       r"would\s+you|do\s+you|is\s+it|are\s+you|team|rather|better|prefer|pick|choose|get|go\s+with|"
                       r"have|eat|drink|watch|buy|wear|take|do|i|you|a|an|the|for|to|,|:)\b\s*", re.IGNORECASE)
# an alternative that is a clause of its own ("… or is that too much", "… or nah", "… or not") asks yes or no
_EN_YES_NO = re.compile(r"(?:is|are|was|were|am|do|does|did|would|will|can|could|it|that|this|nah|not|no|nope)\b",
                        re.IGNORECASE)
_EN_STOP = {"a", "an", "the", "to", "for", "of", "in", "on", "at", "with", "my", "your", "i", "you", "it", "is", "or",
            "should", "which", "what", "get", "go", "have", "eat", "some", "one", "more", "better", "best", "lol",
            "rather", "do", "would", "prefer", "pick", "choose", "better?", "and", "this", "that", "tonight",
            "today", "now", "first", "then", "just", "like", "you", "decide", "refuse", "me", "for", "us"}
_KO_END = re.compile(r"(?:이야|야|임|인지|이에요|예요|할까|갈까|먹을까|볼까|살까|입을까|끓일까|시킬까|탈까|마실까|들을까|일까|인가|을까|를까|까|지|"
                     r"이랑|랑|하고|이나|나|중에|중|에서|으로|로|을|를|이|가|은|는|도|만)$")
_KO_STOP = {"오늘", "점심", "저녁", "아침", "내일", "지금", "이번", "그냥", "하나", "하나만", "골라", "골라줘", "골라줘요",
            "추천", "뭐가", "어디가", "뭐", "나음", "좋아", "좋을까", "고민", "고민중", "중", "결정", "결정장애", "해줘"}
# a question about her own liking ("pink or blue? which color do you like more", "아아 vs 따아 로라는??"): her answer
# from her taste sheet may name neither ("Purple!"), so such a question offers her no choice to keep to
_ASKS_HER = re.compile(r"\b(?:do|would|are|r|have)\s+(?:you|u)\b|\byour\b|\bur\b|\b(?:you|u)\s+(?:like|prefer|love|pick|take)|"
                       r"로라는|로라\s*님은|오로라는|너는|넌|니\s*최애|네\s*최애|좋아해|좋아하", re.IGNORECASE)
# an answer that takes both, neither or leaves it to the user answers the choice
_BOTH = re.compile(r"둘\s*다|둘\s*중|both|neither|either|반반|섞", re.IGNORECASE)


def _en_words(option: str) -> list[str]:
    words = re.findall(r"[a-z][a-z'\-]+", option.lower())
    return [w for w in words if w not in _EN_STOP and len(w) >= 3]


def _ko_words(option: str) -> list[str]:
    out = []
    for word in re.findall(r"[가-힣A-Za-z0-9]+", option):
        stem = word
        for _ in range(2):  # "도시락을" -> "도시락", "끓일까" -> "끓일" is a verb: kept only as its stem's first syllables
            stripped = _KO_END.sub("", stem)
            if stripped == stem or len(stripped) < 1:
                break
            stem = stripped
        if len(stem) >= 2 and stem not in _KO_STOP:
            out.append(stem.lower())
    return out


def offered_options(message: str) -> list[list[str]] | None:
    """The words of each option a message offers the user to choose between (two or more), or None when it offers
    no choice or asks about her own liking. Words are what an answer picking that option would name ("eggs",
    "benedict"; "도시락")."""
    text = message.strip().rstrip("?!.~ ㅋㅎ")
    if not text or len(text) > 120 or _ASKS_HER.search(text):
        return None
    hangul = re.search(r"[가-힣]", text) is not None
    if hangul:
        m = _KO_AMONG.search(text)
        if m:
            parts = [m.group(1), m.group(2)]
        else:
            parts = [p for p in _KO_SPLIT.split(text) if p.strip()]
            if len(parts) < 2:
                m = _KO_TWO_ASKS.search(text)
                parts = [m.group(1), m.group(2)] if m and (m.group(1)[-1] == m.group(2)[-1] == "까") else []
        options = [_ko_words(p) for p in parts]
    else:
        # the sentence holding the choice: "coffee or tea to start the day? I can't decide"
        sentence = next((s for s in re.split(r"(?<=[?!.])\s+", message.strip()) if _EN_SPLIT.search(s)), "")
        sentence = sentence.rstrip("?!. ")
        parts = [p for p in _EN_SPLIT.split(sentence) if p.strip()]
        if any(_EN_YES_NO.match(p.strip()) for p in parts[1:]):  # "should I tell him or is that too much": yes or no
            return None
        if len(parts) >= 2:
            # "X, Y or Z": the last part before "or" may hold several
            parts = [q for p in parts[:-1] for q in p.split(",")] + [parts[-1]]
            parts[0] = _EN_FRAME.sub("", parts[0].split(":")[-1]) if ":" in parts[0] else parts[0]
        options = [_en_words(p) for p in parts]
    options = [o for o in options if o]
    if len(options) < 2:
        return None
    # a word in every option is the frame ("라면 먹을까 라면 말까"), not what tells them apart
    shared = set(options[0]).intersection(*options[1:])
    options = [[w for w in o if w not in shared] for o in options]
    return options if all(options) else None


def _names(word: str, answer: str, hangul: bool) -> bool:
    if hangul:
        return word in answer or (len(word) >= 3 and word[:2] in answer)
    stem = word.rstrip("s") if len(word) > 4 else word
    return re.search(rf"\b{re.escape(stem)}", answer, re.IGNORECASE) is not None


def picks_an_option(answer: str, options: list[list[str]]) -> bool:
    """Whether `answer` names one of the `offered_options` (or takes both or neither)."""
    if _BOTH.search(answer):
        return True
    hangul = any(re.search(r"[가-힣]", w) for o in options for w in o)
    return any(_names(w, answer.lower(), hangul) for o in options for w in o)

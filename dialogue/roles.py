"""The four roles' output formats, and validation: model output is checked, never trusted."""
from __future__ import annotations

import logging
import re
from datetime import datetime

from dialogue.claims import calendar_problem, greeting_problem, memory_as_hers, persona_problem, stray_month_problem
from dialogue.interfaces import Expression
from dialogue.prompting import PROMPT_MARKERS, language_of
from weights.expression import EYE_LEVELS, HEAD_LEVELS, MOUTH_LEVELS

log = logging.getLogger(__name__)

_MEMORY_ITEM = re.compile(r"\[([^\[\]:\n]{1,40}):\s*([^\[\]\n]{1,80})\]")  # "[key: value]"
_MEMORY = re.compile(rf"^{_MEMORY_ITEM.pattern}$")
_CUT_ITEM = re.compile(r"(?<=\])\s*\[[^\]]*$")  # a last item the token budget cut off, after complete ones
# "eyes / mouth / head", e.g. "wide / normal / slightly left": 5-8 tokens, decoded after every answer
_EXPRESSION = re.compile(r"^([a-z ]+?)\s*/\s*([a-z ]+?)\s*/\s*([a-z ]+?)$")


def format_expression(eyes: str, mouth: str, head: str) -> str:
    return f"{eyes} / {mouth} / {head}"


def parse_memory(text: str) -> tuple[str, str] | None:
    """'[key: value]' -> (key, value); anything else (including empty) -> None."""
    m = _MEMORY.match(text.strip())
    if not m or not m.group(1).strip() or not m.group(2).strip():
        return None
    return m.group(1).strip(), m.group(2).strip()


def parse_memories(text: str) -> list[tuple[str, str]] | None:
    """'[name: Jane] [job: nurse]' -> [(key, value), ...] without repeats; [] for empty text; None when the text
    is anything else than such items separated by spaces or new lines (the whole output is then distrusted).
    An item cut off at the end ("… [job goal: s", the role's token budget ran out) is dropped and the complete
    ones before it are kept: on the validation messages that recovered 5 points of fact recall."""
    text = _CUT_ITEM.sub("", text.strip()).rstrip()
    if not text:
        return []
    items = [(m.group(1).strip(), m.group(2).strip()) for m in _MEMORY_ITEM.finditer(text)]
    if not items or _MEMORY_ITEM.sub("", text).strip() or any(not k or not v for k, v in items):
        return None
    return list(dict.fromkeys(items))


_NOTHING = re.compile(r"^\W*(none|nothing|n/?a|없음|없어|없습니다|기억할 ?것 ?없음)\W*$", re.IGNORECASE)


def parse_memories_lenient(text: str) -> list[tuple[str, str]] | None:
    """What a general chat model writes for the memory role: the items wherever they stand (bullets,
    numbering, a lead-in sentence or a code fence around them are ignored); [] for "NONE"/"없음"/nothing;
    None when there is neither an item nor a plain "nothing"."""
    text = text.strip().strip("`").strip()
    if not text or _NOTHING.match(text):
        return []
    items = [(k.strip(), v.strip()) for k, v in _MEMORY_ITEM.findall(text) if k.strip() and v.strip()]
    return items or None


def parse_expression_lenient(text: str) -> Expression | None:
    """A general chat model's expression: "Eyes: Wide, Mouth: small, Head: none" or "wide / small / none"
    with any case, quotes or trailing words; None unless all three levels are found."""
    low = text.strip().lower()
    labelled = [re.search(rf"\b{name}s?\W*(?:turn\W*)?({'|'.join(sorted(levels, key=len, reverse=True))})", low)
                for name, levels in (("eye", EYE_LEVELS), ("mouth", MOUTH_LEVELS), ("head", HEAD_LEVELS))]
    if all(labelled):
        return Expression(*(m.group(1) for m in labelled))
    parts = [p.strip(" \t\"'`.*") for p in low.splitlines()[0].split("/")] if low else []
    if len(parts) == 3 and parts[0] in EYE_LEVELS and parts[1] in MOUTH_LEVELS and parts[2] in HEAD_LEVELS:
        return Expression(*parts)
    return None


def parse_expression(text: str) -> Expression | None:
    m = _EXPRESSION.match(text.strip())
    if not m:
        return None
    eyes, mouth, head = (g.strip() for g in m.groups())
    if eyes not in EYE_LEVELS or mouth not in MOUTH_LEVELS or head not in HEAD_LEVELS:
        return None
    return Expression(eyes=eyes, mouth=mouth, head=head)


def expression_or_neutral(text: str) -> Expression:
    """The parsed expression, or neutral with a logged warning."""
    expr = parse_expression(text)
    if expr is None:
        log.warning("expression role wrote %r, which is not a known level set; using neutral", text[:80])
        return Expression()
    return expr


def clean_summary(text: str) -> str:
    """One line, no markers; empty when the model wrote nothing usable."""
    line = text.strip().splitlines()[0] if text.strip() else ""
    return "" if any(m in line for m in PROMPT_MARKERS) else line[:200]


# --- answers -------------------------------------------------------------------------------------------

FALLBACK = {
    "ko": "음, 방금은 말이 잘 안 나왔어. 한 번만 다시 말해 줄래? 😊",
    "en": "Hmm, my words got tangled just now. Could you say that once more? 😊",
}
# The engine that holds her words (a remote LLM server) is down or too slow: said in character, the turn ends
# cleanly and the face keeps going.
ENGINE_DOWN = {
    "ko": "앗, 미안해! 지금 잠깐 생각이 멈춰 버렸어 😅 조금 있다가 다시 말 걸어 줄래?",
    "en": "Oops, sorry! My thoughts froze for a moment 😅 Could you talk to me again in a little while?",
}
# A beginning was shown but no continuation passed the validator: she closes it in her own words instead of
# stopping on a bare "…" (which reads as a broken answer) or contradicting what was shown.
CUT_SHORT = {
    "ko": "… 앗, 말이 꼬였어 😅",
    "en": "… oops, I lost my words there 😅",
}
TOO_LONG = {
    "ko": "우와, 메시지가 너무 길어서 내가 한 번에 다 읽기 어려워! 조금만 짧게 나눠서 말해 줄래? 😊",
    "en": "Whoa, that message is too long for me to read in one go! Could you split it into shorter parts? 😊",
}


def _repeats(text: str) -> bool:
    # the same 6+ character chunk three times, or one sentence said twice, is a degenerate loop
    if re.search(r"(.{6,}?)\1\1", text):
        return True
    sentences = [s.strip() for s in re.split(r"[.!?。\n]+", text) if len(s.strip()) > 8]
    return len(sentences) != len(set(sentences))


def _minor(problem: str) -> bool:
    """Whether `problem` is one the last retry may show rather than cut the answer short: her birthday month
    out of place is a lesser fault than an answer that breaks off ("…앗, 말이 꼬였어")."""
    return problem.startswith("names ") and problem.endswith("out of nowhere")


def answer_problem(answer: str, message: str, now: datetime, context: str = "", final: bool = True,
                   earlier: str = "", last_try: bool = False) -> str | None:
    """Why an answer must not be shown (None when it is fine): empty, repeating, leaking prompt markers,
    naming a day that contradicts the clock or her birthday (`calendar_problem`), misstating her age, birth
    year or MBTI (`persona_problem`), speaking the user's memory in `context` as her own (`memory_as_hers`),
    greeting for another time of day (`greeting_problem`), or naming her birthday month where nothing in the
    message, `context` or the `earlier` exchanges brought it up (`stray_month_problem`);
    when `final`, also in the wrong language (a beginning such as "ENTJ, …"
    is not yet an English answer to a Korean message). On the `last_try` a stray birthday month is let through:
    a lesser fault than an answer that breaks off ("…앗, 말이 꼬였어")."""
    text = answer.strip()
    if not text:
        return "empty"
    if any(m in text for m in PROMPT_MARKERS):
        return "leaks prompt markers"
    if _repeats(text):
        return "repeats itself"
    if len(text) > 400:
        return "too long"
    seen = f"{message} {context}"
    problem = (calendar_problem(text, now, seen, message) or persona_problem(text, now, seen, message)
               or memory_as_hers(text, context) or greeting_problem(text, now, message)
               or stray_month_problem(text, now, f"{seen} {earlier}"))
    if problem:
        return None if last_try and _minor(problem) else problem
    if final and language_of(text) != language_of(message) and language_of(message) == "ko" \
            and not re.search("[가-힣]", text):
        return "wrong language"
    return None

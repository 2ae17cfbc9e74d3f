"""`SafetyGate`: the ethics classifier plus the block policy, answering in Oh-LoRA's voice.

A flagged user message is answered by the gate, in character, instead of the persona. Romance and politics
are always declined kindly, never counted and never met with a threat. In the counted categories (insult,
hate, sexual by default) only a confident flag (the classifier's stricter threshold,
`EthicsJudgement.offence`) is an offence, so the classifier's mistakes on normal messages never escalate;
a doubtful flag is declined like romance. An offence draws a warning that says why and what follows, or,
once the policy's threshold is reached within its window, a block whose notice says why and until when. A
flagged generated answer is replaced by a neutral line.

Questions about her are answered and never punished: a flag that would not count toward a block (romance,
politics, or a doubtful one in a counted category) on a message that the persona-question classifier confidently
reads as asking one of her facts ("너 여자야 남자야?", "could we ever meet irl?", "출신 고교가 어디야") lets the
persona answer, with that fact in her prompt; a confident offence that is also such a question ("고등학교 어디
나왔냐", "are you a virgin?") is declined without counting.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta

from dialogue.blocks import (DEFAULT_COUNTED, DEFAULT_RESET_AFTER, DEFAULT_STEPS, DEFAULT_THRESHOLD, DEFAULT_WINDOW,
                             Block, BlockPolicy)
from dialogue.interfaces import SafetyVerdict

# A flag that does not count is lifted when the persona-question classifier gives one of her facts at least this
# probability; chosen on validation (docs/dialogue-eval.md): it answers the validation writer's questions about her
# gender, her body and meeting in person, lets no validation romance message through (nor any of writer F's, which
# the persona-question classifier never trained on) and lifts one validation insult flagged without confidence.
ABOUT_HER_ABOVE = 0.99


def asks_her_fact(text: str, about_her, above: float = ABOUT_HER_ABOVE) -> bool:
    """Whether the persona-question classifier `about_her` (None: never) confidently reads `text` as asking one
    of her facts: the gate then lifts a flag that would not count and never counts one that would."""
    return about_her is not None and about_her.asked_fact(text)[1] >= above


_HANGUL = re.compile("[\uac00-\ud7a3\u3131-\u318e]")

# What she says when a message crosses a line: kind, brief, never answering an insult in kind.
REPLIES = {
    "romance": ("마음은 고맙지만, 나는 연애나 데이트는 하지 않아. 친구로 즐겁게 얘기하자! 😊",
                "That's sweet of you, but I don't do dating or romance. Let's keep chatting as friends! 😊"),
    "politics": ("정치 얘기는 어느 편도 들지 않기로 했어. 다른 이야기 하자!",
                 "I stay out of party politics and don't take sides. Let's talk about something else!"),
    "insult": ("그런 말은 조금 속상하다. 서로 예쁘게 말해 주면 좋겠어.",
               "That hurts a little. Let's be kind to each other, okay?"),
    "hate": ("누군가를 차별하거나 혐오하는 말에는 함께할 수 없어.",
             "I can't go along with words that demean or discriminate against people."),
    "sexual": ("그런 이야기는 하지 않을게. 다른 주제로 얘기하자.",
               "I won't talk about that. Let's pick another topic."),
}
ANSWER_WITHHELD = ("음, 그건 내가 말하기 어려운 이야기야. 다른 얘기 해 볼까? ✨",
                   "Hmm, that's not something I should say. Shall we talk about something else? ✨")


def is_korean(text: str) -> bool:
    return bool(_HANGUL.search(text))


def _when(until: datetime, now: datetime) -> str:
    """The end of a block as a reader wants it: the time today, or the date and time."""
    return until.strftime("%H:%M") if until.date() == now.date() else until.strftime("%Y-%m-%d %H:%M")


# Why a counted offence crossed a line, as an adjective for "말" / "things".
REASONS = {"insult": ("모욕적인", "insulting"), "hate": ("혐오를 담은", "hateful"), "sexual": ("성적인", "sexual")}


def _span(duration: timedelta, korean: bool) -> str:
    """A block's length in words: 30분, 1시간, 14일 / 30 minutes, 1 hour, 14 days."""
    s = duration.total_seconds()
    size, ko, en = (86400, "일", "day") if s >= 86400 else (3600, "시간", "hour") if s >= 3600 else (60, "분", "minute")
    n = s / size
    return f"{n:g}{ko}" if korean else f"{n:g} {en}{'s' * (n != 1)}"


def block_message(block: Block, now: datetime, korean: bool, starting: bool = False) -> str:
    """The in-character notice of a block (`starting`: the message that started it): why, when its category
    is a counted one, and when it ends."""
    when = _when(block.until, now)
    reason = REASONS.get(block.category)
    if korean:
        pause = "대화를 잠시 쉬어야 해" if starting else "대화를 잠시 쉬고 있어"
        why = f"{reason[0]} 말이 계속돼서 {pause}." if reason else f"지금은 {pause}."
        return f"{why} {when}부터 다시 얘기할 수 있어."
    if reason is None:
        return f"Let's take a break from chatting for now. We can talk again from {when}."
    pause = "we need to take a break from chatting" if starting else "we're taking a break from chatting for now"
    return f"You kept saying {reason[1]} things, so {pause}. We can talk again from {when}."


def warning_message(category: str, korean: bool, next_block: timedelta) -> str:
    """A counted offence that starts no block: why it crossed a line, and what happens if it goes on."""
    reason = REASONS.get(category, REASONS["insult"])
    span = _span(next_block, korean)
    if korean:
        return f"방금 한 말은 {reason[0]} 말이라 선을 넘었어. 이런 말이 계속되면 {span} 동안 대화를 쉬어야 해."
    return (f"What you just said was {reason[1]}, and that crosses a line. "
            f"If it goes on, we'll have to pause our chat for {span}.")


class EthicsGate:
    """`SafetyGate` implementation: checked at connect (`status`), per message, and on each answer."""

    def __init__(self, classifier, policy: BlockPolicy, about_her=None):
        self.classifier = classifier
        self.policy = policy
        self.about_her = about_her  # a persona-question classifier (`asked_fact`), or None: no flag is lifted

    def status(self, user_id: str, now: datetime) -> SafetyVerdict:
        block = self.policy.active_block(user_id, now)
        if block is None:
            return SafetyVerdict("allow")
        return SafetyVerdict("blocked", block.category, 1.0, block.until, block_message(block, now, korean=True))

    def check_user_message(self, user_id: str, text: str, now: datetime) -> SafetyVerdict:
        korean = is_korean(text) or not text.strip()
        block = self.policy.active_block(user_id, now)
        if block is not None:
            return SafetyVerdict("blocked", block.category, 1.0, block.until, block_message(block, now, korean))
        judgement = self.classifier.judge(text)
        category, p = judgement.category, judgement.probability
        if category == "normal":
            return SafetyVerdict("allow", "normal", p)
        counted = judgement.offence and self.policy.counts(category)  # romance and politics never count
        if asks_her_fact(text, self.about_her):
            if not counted:
                return SafetyVerdict("allow", "normal", p)
            counted = False  # both a question about her and a confident offence: declined, never counted
        if not counted:
            reply = REPLIES.get(category, REPLIES["insult"])[0 if korean else 1]
            return SafetyVerdict("decline", category, p, None, reply)
        outcome = self.policy.record_offence(user_id, category, now, excerpt=text)
        if outcome.block is None:
            return SafetyVerdict("warn", category, p, None, warning_message(category, korean, outcome.next_block))
        return SafetyVerdict("blocked", outcome.block.category, p, outcome.block.until,
                             block_message(outcome.block, now, korean, starting=True))

    def check_answer(self, text: str) -> SafetyVerdict:
        category, p = self.classifier.classify(text)
        if category == "normal":
            return SafetyVerdict("allow", "normal", p)
        return SafetyVerdict("refuse", category, p, None, ANSWER_WITHHELD[0 if is_korean(text) else 1])


def open_safety_gate(db, encoder=None, steps: Iterable[timedelta] | None = None, *,
                     reset_after: timedelta = DEFAULT_RESET_AFTER, window: timedelta = DEFAULT_WINDOW,
                     threshold: int = DEFAULT_THRESHOLD, counted: Iterable[str] = DEFAULT_COUNTED,
                     about_her=None) -> EthicsGate:
    """The default gate on a dialogue database (the committed ethics head on the shared encoder); the
    policy options are checked (`ValueError` naming the option) before the classifier loads. `about_her`:
    the persona-question classifier that lifts or uncounts flags on questions about her (None: none)."""
    from dialogue.classifiers import EthicsClassifier

    policy = BlockPolicy(db, steps or DEFAULT_STEPS, reset_after, window=window, threshold=threshold, counted=counted)
    return EthicsGate(EthicsClassifier(encoder), policy, about_her)

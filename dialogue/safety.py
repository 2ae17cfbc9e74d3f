"""`SafetyGate`: the ethics classifier plus the block policy, answering in Oh-LoRA's voice.

A flagged user message is answered by the gate, in character, instead of the persona. Only a confident
flag (the classifier's stricter threshold, `EthicsJudgement.offence`) counts as an offence in its category:
the first draws a warning, the next ones blocks of growing length; a doubtful flag is declined without
counting, so the classifier's mistakes on normal messages never escalate to a block. A flagged generated
answer is replaced by a neutral line. A blocked user is told, in character, when the block ends.
"""
from __future__ import annotations

import re
from datetime import datetime

from dialogue.blocks import Block, BlockPolicy
from dialogue.interfaces import SafetyVerdict

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


def block_message(block: Block, now: datetime, korean: bool) -> str:
    """The in-character notice for a running block, with the time it ends."""
    when = _when(block.until, now)
    if korean:
        return f"지금은 대화를 잠시 쉬고 있어. {when}부터 다시 얘기할 수 있어."
    return f"Let's take a break from chatting for now. We can talk again from {when}."


def warning_message(category: str, korean: bool, steps) -> str:
    first_block = next((s for s in steps[1:] if s.total_seconds() > 0), None)
    reply = REPLIES.get(category, REPLIES["insult"])[0 if korean else 1]
    if first_block is None:
        return reply
    hours = first_block.total_seconds() / 3600
    span = (f"{hours:g}시간" if hours < 24 else f"{hours / 24:g}일") if korean else \
        (f"{hours:g} hour{'s' * (hours != 1)}" if hours < 24 else f"{hours / 24:g} day{'s' * (hours != 24)}")
    if korean:
        return f"{reply} 이런 말이 계속되면 {span} 동안 대화를 쉬어야 해."
    return f"{reply} If it happens again, we'll have to pause our chat for {span}."


class EthicsGate:
    """`SafetyGate` implementation: checked at connect (`status`), per message, and on each answer."""

    def __init__(self, classifier, policy: BlockPolicy):
        self.classifier = classifier
        self.policy = policy

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
        reply = REPLIES.get(category, REPLIES["insult"])[0 if korean else 1]
        if not judgement.offence:
            return SafetyVerdict("decline", category, p, None, reply)
        result = self.policy.record_offence(user_id, category, now, excerpt=text)
        if result.until is None:
            return SafetyVerdict("warn", category, p, None, warning_message(category, korean, self.policy.steps))
        return SafetyVerdict("blocked", category, p, result.until,
                             f"{reply} {block_message(result, now, korean)}")

    def check_answer(self, text: str) -> SafetyVerdict:
        category, p = self.classifier.classify(text)
        if category == "normal":
            return SafetyVerdict("allow", "normal", p)
        return SafetyVerdict("refuse", category, p, None, ANSWER_WITHHELD[0 if is_korean(text) else 1])


def open_safety_gate(db, encoder=None, steps=None) -> EthicsGate:
    """The default gate on a dialogue database (the committed ethics head on the shared encoder)."""
    from dialogue.blocks import DEFAULT_STEPS
    from dialogue.classifiers import EthicsClassifier

    return EthicsGate(EthicsClassifier(encoder), BlockPolicy(db, steps or DEFAULT_STEPS))

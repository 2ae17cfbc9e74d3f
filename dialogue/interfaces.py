"""The seams of the dialogue package: what a turn produces, and what memory and safety provide.

The conversation pipeline (`dialogue.conversation`) consumes `MemoryProvider`, `TopicDetector` and
`SafetyGate`; the realtime server consumes `ChatEngine` and its events. Plain data, no torch.
"""
from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol


@dataclass(frozen=True)
class Expression:
    eyes: str = "normal"
    mouth: str = "closed"
    head: str = "none"


@dataclass(frozen=True)
class Memory:
    key: str
    value: str
    created_at: datetime
    score: float = 0.0  # retrieval similarity, when retrieved

    def as_text(self) -> str:
        return f"[{self.key}: {self.value}]"


@dataclass(frozen=True)
class SafetyVerdict:
    # allow; decline (answered by the gate, not counted); warn (a counted offence); refuse (an answer withheld);
    # blocked (a counted offence or a running block)
    action: Literal["allow", "decline", "warn", "refuse", "blocked"]
    category: str = "normal"  # normal, romance, politics, insult, hate, sexual
    probability: float = 0.0
    blocked_until: datetime | None = None
    message: str | None = None  # the in-character text to show instead of an answer


class MemoryProvider(Protocol):
    def retrieve(self, user_id: str, query: str, now: datetime) -> Memory | None: ...
    def recall(self, user_id: str, query: str, now: datetime, k: int) -> list[Memory]: ...
    def remember(self, user_id: str, key: str, value: str, source_turn: str, now: datetime) -> None: ...


class TopicDetector(Protocol):
    def changed(self, previous_summary: str, message: str) -> bool: ...


class PersonaQuestions(Protocol):
    def aspect(self, message: str) -> str:
        """The persona fact the message asks about (dialogue.prompting.PERSONA_ASPECTS), or ""."""
        ...


class SafetyGate(Protocol):
    def status(self, user_id: str, now: datetime) -> SafetyVerdict: ...
    def check_user_message(self, user_id: str, text: str, now: datetime) -> SafetyVerdict: ...
    def check_answer(self, text: str) -> SafetyVerdict: ...


@dataclass
class TokenEvent:
    text: str


@dataclass
class TurnDone:
    text: str
    memory: Memory | None = None
    summary: str = ""
    expression: Expression = field(default_factory=Expression)
    timings: dict[str, float] = field(default_factory=dict)
    refused: SafetyVerdict | None = None  # set when the turn was answered by the safety gate
    care: str = ""  # "self" / "other" when the message read as someone at risk and she answered with a crisis line


TurnEvent = TokenEvent | TurnDone


class ChatEngine(Protocol):
    """One persona conversation engine shared by all users of a server."""

    def turn(self, user_id: str, message: str, now: datetime | None = None) -> AsyncIterator[TurnEvent]:
        """Stream the answer to `message`: TokenEvents, then one TurnDone. Closing the iterator cancels."""
        ...

    def record_interrupted(self, user_id: str, shown_text: str) -> None:
        """After a barge-in: keep only the text the user actually saw as the persona's last answer."""
        ...

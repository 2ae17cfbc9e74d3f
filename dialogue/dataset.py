"""The SFT turns in dialogue/data/turns.jsonl: schema check, held-out split, per-role examples."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from dialogue.interfaces import EYE_LEVELS, HEAD_LEVELS, MOUTH_LEVELS
from dialogue.prompting import ROLES, TurnContext, role_prompt
from dialogue.roles import format_expression, parse_memory

DATA_PATH = Path(__file__).parent / "data" / "turns.jsonl"
HELD_OUT_PERCENT = 10
# A validation part of the training split, for choosing between training configurations without looking
# at the held-out split (`ohlora train --validation`, `ohlora eval dialogue --split validation`).
VALIDATION_PERCENT = 15
_FIELDS = {"id": str, "category": str, "lang": str, "now": str, "context_memory": str, "context_summary": str,
           "message": str, "answer": str, "memory": str, "summary": str, "expression": dict, "facts": list}


@dataclass(frozen=True)
class Turn:
    id: str
    category: str
    lang: str
    now: datetime
    context_memory: str
    context_summary: str
    message: str
    answer: str
    memory: str
    summary: str
    expression: dict
    facts: tuple[str, ...]

    @property
    def held_out(self) -> bool:
        """A stable split by message: every turn with the same (normalised) message falls on the same side,
        so a held-out question is a phrasing training never saw, not the same words in another context."""
        return _percent_bucket(message_key(self.message)) < HELD_OUT_PERCENT

    @property
    def validation(self) -> bool:
        """In the validation part of the training split (grouped by message like the held-out split)."""
        return not self.held_out and _percent_bucket("validation:" + message_key(self.message)) < VALIDATION_PERCENT

    def context(self) -> TurnContext:
        return TurnContext(now=self.now, memory=self.context_memory, summary=self.context_summary)

    def target(self, role: str) -> str:
        if role == "answer":
            return self.answer
        if role == "memory":
            return self.memory
        if role == "summary":
            return self.summary
        if role == "expression":
            e = self.expression
            return format_expression(e["eyes"], e["mouth"], e["head"])
        raise ValueError(f"unknown role '{role}'; known: {', '.join(ROLES)}")

    def prompt(self, role: str) -> str:
        return role_prompt(role, self.message, self.answer, self.context())


def _percent_bucket(key: str) -> int:
    """A stable 0–99 bucket of a string (the splits must not move between runs or machines)."""
    return int(hashlib.sha256(key.encode()).hexdigest(), 16) % 100


def message_key(message: str) -> str:
    """The message without case, spacing or punctuation: the unit the held-out split groups by."""
    return "".join(ch for ch in message.casefold() if ch.isalnum())


def validate_row(row: dict, where: str) -> Turn:
    """Check one JSON row against the schema; ValueError names the line and the field."""
    for key, kind in _FIELDS.items():
        if key not in row:
            raise ValueError(f"{where}: missing field '{key}'")
        if not isinstance(row[key], kind):
            raise ValueError(f"{where}: field '{key}' should be {kind.__name__}, got {type(row[key]).__name__}")
    if row["lang"] not in ("ko", "en"):
        raise ValueError(f"{where}: lang must be 'ko' or 'en', got {row['lang']!r}")
    if not row["message"].strip() or not row["answer"].strip() or not row["summary"].strip():
        raise ValueError(f"{where}: message, answer and summary must not be empty")
    if row["memory"] and parse_memory(row["memory"]) is None:
        raise ValueError(f"{where}: memory {row['memory']!r} is not '[key: value]'")
    if row["context_memory"] and parse_memory(row["context_memory"]) is None:
        raise ValueError(f"{where}: context_memory {row['context_memory']!r} is not '[key: value]'")
    e = row["expression"]
    for part, levels in (("eyes", EYE_LEVELS), ("mouth", MOUTH_LEVELS), ("head", HEAD_LEVELS)):
        if e.get(part) not in levels:
            raise ValueError(f"{where}: expression {part} {e.get(part)!r} is not one of {levels}")
    try:
        now = datetime.fromisoformat(row["now"])
    except ValueError:
        raise ValueError(f"{where}: 'now' {row['now']!r} is not an ISO date-time")
    return Turn(row["id"], row["category"], row["lang"], now, row["context_memory"], row["context_summary"],
                row["message"], row["answer"], row["memory"], row["summary"], e, tuple(row["facts"]))


def load_turns(path: Path = DATA_PATH) -> list[Turn]:
    """All turns, schema-checked; ids must be unique."""
    turns: list[Turn] = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                raise ValueError(f"{path}:{n}: not JSON ({e})")
            turns.append(validate_row(row, f"{path}:{n}"))
    ids = [t.id for t in turns]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{path}: duplicate turn ids")
    return turns


def split(turns: list[Turn]) -> tuple[list[Turn], list[Turn]]:
    """(train, held_out)."""
    return [t for t in turns if not t.held_out], [t for t in turns if t.held_out]


def validation_split(turns: list[Turn]) -> tuple[list[Turn], list[Turn]]:
    """(train without the validation part, validation): both inside the training split, so configurations
    compared on validation never see the held-out split."""
    train, _ = split(turns)
    return [t for t in train if not t.validation], [t for t in train if t.validation]

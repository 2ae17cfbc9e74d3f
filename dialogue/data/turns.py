"""The SFT turns: dialogue/data/turns.jsonl (schema-checked) and the written conversations as turns; the
held-out and validation splits; each role's prompt and target of a turn."""
from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from dialogue.data.written import conversations, json_lines
from dialogue.prompting import HISTORY_TURNS, PERSONA_ASPECTS, PROMPT_MEMORIES, ROLES, TurnContext, role_prompt
from dialogue.roles import format_expression, parse_memory
from weights.expression import EYE_LEVELS, HEAD_LEVELS, MOUTH_LEVELS

DATA_PATH = Path(__file__).with_name("turns.jsonl")
HELD_OUT_PERCENT = 10
# A validation part of the training split, for choosing between training configurations without looking
# at the held-out split (`ohlora train --validation`, `ohlora eval dialogue --split validation`).
VALIDATION_PERCENT = 15
# Training prompts show the asked persona fact as the classifier would, imperfectly: the fact is left out
# of some persona questions and a fact nobody asked about is shown with some other messages, so the answer
# adapter learns to use the fact line when the message asks for it, not to recite whatever it is shown.
# (On the validation part the classifier misses ~2% of persona questions and shows a fact with ~7% of the
# other messages; the rates here are a little higher.)
FACT_DROPPED_PERCENT = 5
FACT_DISTRACTOR_PERCENT = 10
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
    history: tuple[tuple[str, str], ...] = ()  # earlier exchanges of its conversation (written data)
    source: str = ""  # the written file it comes from (written data)
    example: tuple[str, str] = ()  # a nearby written exchange shown in the answer prompt (TurnContext.example)

    @property
    def held_out(self) -> bool:
        """A stable split by message: every turn with the same (normalised) message falls on the same side,
        so a held-out question is a phrasing training never saw, not the same words in another context."""
        return _percent_bucket(message_key(self.message)) < HELD_OUT_PERCENT

    @property
    def validation(self) -> bool:
        """In the validation part of the training split (grouped by message like the held-out split)."""
        return not self.held_out and _percent_bucket("validation:" + message_key(self.message)) < VALIDATION_PERCENT

    @property
    def persona_aspect(self) -> str:
        """The persona fact the message asks about ("" for the other categories)."""
        kind, _, aspect = self.category.partition(":")
        return aspect if kind == "persona" else ""

    def training_aspect(self) -> str:
        """The persona fact shown in this turn's training prompt: the asked one, except for a stable few
        turns where it is dropped or where an unasked one is shown instead (see FACT_DISTRACTOR_PERCENT)."""
        bucket = _percent_bucket("fact:" + self.id)
        if self.persona_aspect:
            return "" if bucket < FACT_DROPPED_PERCENT else self.persona_aspect
        if bucket < FACT_DISTRACTOR_PERCENT:
            return PERSONA_ASPECTS[_percent_bucket("distractor:" + self.id) % len(PERSONA_ASPECTS)]
        return ""

    def context(self, persona_aspect: str | None = None) -> TurnContext:
        """The prompt context of this turn; `persona_aspect` overrides the training one (evaluation passes the
        classifier's answer)."""
        aspect = self.training_aspect() if persona_aspect is None else persona_aspect
        return TurnContext(now=self.now, memory=self.context_memory, summary=self.context_summary,
                           persona_aspect=aspect, history=self.history, example=self.example)

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

    def prompt(self, role: str, persona_aspect: str | None = None) -> str:
        return role_prompt(role, self.message, self.answer, self.context(persona_aspect))


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
    turns = [validate_row(row, f"{path}:{n}") for n, row in json_lines(Path(path))]
    ids = [t.id for t in turns]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{path}: duplicate turn ids")
    return turns


def memory_line(stored: list[tuple[str, str]], uses: str | None, known: dict[str, str], seed: str,
                shown: str | None = None) -> str:
    """'[k: v] [k2: v2]': the conversation's stored memories plus the one the answer uses (when it was told
    earlier in the conversation), in an order seeded by the turn id (the relevant one is not always first).
    `shown` is `gated_memory_line`'s; every stored memory is shown here anyway."""
    items = list(stored)
    if uses in known and (uses, known[uses]) not in items:
        items.append((uses, known[uses]))
    if len(items) > PROMPT_MEMORIES:  # keep the used one
        rest = [kv for kv in items if kv[0] != uses]
        items = [kv for kv in items if kv[0] == uses][:1] + rest[:PROMPT_MEMORIES - 1]
    random.Random(seed).shuffle(items)
    return " ".join(f"[{k}: {v}]" for k, v in items)


# On a turn whose answer uses no memory, the share that is shown one unrelated stored memory anyway, as the live
# relevance gate lets one through by mistake (about a quarter of the written validation cases that have no relevant
# memory): the answer adapter must learn to leave it alone.
GATE_MISTAKE_SHARE = 0.2
MEMORY_LINES = ("gated", "stored")


def gated_memory_line(stored: list[tuple[str, str]], uses: str | None, known: dict[str, str], seed: str,
                      shown: str | None = None) -> str:
    """The memory line the live gate shows (`[dialogue] prompt_memories = 0`): the one memory the answer uses,
    alone; on a turn that uses none, the memory the writer says the gate brought to mind (`shown`: a tempting
    neighbour the answer leaves alone), else nothing, or (seeded, GATE_MISTAKE_SHARE of such turns) one unrelated
    stored memory for the answer to ignore."""
    if uses is not None and uses in known:
        return f"[{uses}: {known[uses]}]"
    if shown is not None and shown in known:
        return f"[{shown}: {known[shown]}]"
    rng = random.Random(f"gate:{seed}")
    if stored and rng.random() < GATE_MISTAKE_SHARE:
        k, v = rng.choice(stored)
        return f"[{k}: {v}]"
    return ""


def written_turns(memory_lines: str = "gated") -> list[Turn]:
    """The written conversations (dialogue/data/written/turns) as training turns: each exchange sees the
    earlier ones of its conversation (at most HISTORY_TURNS), the memory its answer uses (a stored one, or
    a fact told earlier in the conversation), and must produce every fact the user told (memory role),
    the exchange's summary and the face.

    `memory_lines`: "gated" shows the memories as the live relevance gate does (`gated_memory_line`: the used
    one alone, else usually none); "stored" shows up to PROMPT_MEMORIES of the conversation's memories on every
    turn, used or not (`memory_line`: for `prompt_memories = N`, and what the adapters before 2026-12-05 saw)."""
    if memory_lines not in MEMORY_LINES:
        raise ValueError(f"unknown memory lines '{memory_lines}'; known: {', '.join(MEMORY_LINES)}")
    line = gated_memory_line if memory_lines == "gated" else memory_line
    from dialogue.data.dedupe import dropped_ids

    repeats = dropped_ids()  # near-duplicate exchanges (dialogue/data/dedupe.py): seen in history, not trained
    out = []
    for conv in conversations():
        now = datetime.fromisoformat(conv["now"])
        stored = [(k, v) for k, v in conv.get("memories", [])]
        known = dict(stored)
        history: list[tuple[str, str]] = []
        previous_summary = ""
        for i, t in enumerate(conv["turns"]):
            uses = t.get("uses")
            told = t.get("remember", [])
            turn_id = f"{conv['id']}-{i + 1}"
            if turn_id not in repeats:
                out.append(Turn(turn_id, f"written:{conv.get('category', '')}", conv["lang"], now,
                                line(stored, uses, known, turn_id, t.get("shown")), previous_summary, t["user"],
                                t["answer"], " ".join(f"[{k}: {v}]" for k, v in told), t["summary"], t["expression"],
                                (), tuple(history[-HISTORY_TURNS:]), conv["source"]))
            known.update({k: v for k, v in told})
            history.append((t["user"], t["answer"]))
            previous_summary = t["summary"]
    return out


def split(turns: list[Turn]) -> tuple[list[Turn], list[Turn]]:
    """(train, held_out)."""
    return [t for t in turns if not t.held_out], [t for t in turns if t.held_out]


def validation_split(turns: list[Turn]) -> tuple[list[Turn], list[Turn]]:
    """(train without the validation part, validation): both inside the training split, so configurations
    compared on validation never see the held-out split."""
    train, _ = split(turns)
    return [t for t in train if not t.validation], [t for t in train if t.validation]

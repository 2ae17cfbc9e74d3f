"""Each user's conversation in the dialogue database: what they said, what she showed, and the summary.

One row per exchange, written by the chat engine before the turn's end is acknowledged (the server sends
`chat.done` after the engine's `TurnDone`, and after `record_interrupted` for a cut answer), so a user who
reconnects after a restart, or to another server process on the same database, gets the same transcript,
the same earlier exchanges in the prompt and the same last summary.

Kinds: `answer` (her whole answer), `interrupted` (only the part that was shown), `reply` (the safety
gate's or a canned line: in the transcript, never in the prompt or the summary).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from dialogue.database import DialogueDatabase, open_database

Kind = Literal["answer", "interrupted", "reply"]
KINDS = ("answer", "interrupted", "reply")
# Exchanges a resumed session's transcript shows (older ones stay stored until the user's data is deleted).
TRANSCRIPT_EXCHANGES = 50


@dataclass(frozen=True)
class Exchange:
    id: int
    user_id: str
    message: str
    answer: str
    kind: Kind
    summary: str
    asked_at: datetime
    answered_at: datetime


class ConversationStore:
    """Transcripts and summaries per user; every method is one statement or one transaction."""

    def __init__(self, db: DialogueDatabase | str):
        self.db = db if isinstance(db, DialogueDatabase) else open_database(db)

    @classmethod
    def in_memory(cls) -> ConversationStore:
        """A store that lives as long as the process (an engine built without a database)."""
        return cls(open_database(":memory:"))

    def record(self, user_id: str, message: str, answer: str, kind: Kind, summary: str = "", *,
               asked_at: datetime, answered_at: datetime | None = None) -> int:
        """Store one exchange; returns its id (for `revise`)."""
        if kind not in KINDS:
            raise ValueError(f"exchange kind {kind!r}: expected one of {', '.join(KINDS)}")
        answered = (answered_at or asked_at).timestamp()
        with self.db.transaction() as conn:
            row = conn.execute("INSERT INTO exchanges (user_id, message, answer, kind, summary, asked_at, answered_at) "
                               "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                               (user_id, message, answer, kind, summary, asked_at.timestamp(), answered)).fetchone()
        return int(row[0])

    def revise(self, exchange_id: int, answer: str, kind: Kind, summary: str) -> bool:
        """Replace a stored answer (an answer cut short after it was stored keeps only its shown part)."""
        with self.db.transaction() as conn:
            return conn.execute("UPDATE exchanges SET answer = ?, kind = ?, summary = ? WHERE id = ?",
                                (answer, kind, summary, exchange_id)).rowcount > 0

    def recent(self, user_id: str, n: int = TRANSCRIPT_EXCHANGES, kinds: tuple[str, ...] = KINDS) -> list[Exchange]:
        """The user's last `n` exchanges of these kinds, oldest first."""
        if n <= 0:
            return []
        marks = ",".join("?" * len(kinds))
        rows = self.db.query(f"SELECT id, user_id, message, answer, kind, summary, asked_at, answered_at FROM exchanges "
                             f"WHERE user_id = ? AND kind IN ({marks}) ORDER BY id DESC LIMIT ?",
                             (user_id, *kinds, n))
        return [Exchange(r[0], r[1], r[2], r[3], r[4], r[5], datetime.fromtimestamp(r[6]).astimezone(),
                         datetime.fromtimestamp(r[7]).astimezone()) for r in reversed(rows)]

    def history(self, user_id: str, turns: int) -> tuple[tuple[str, str], ...]:
        """The last `turns` (message, answer) pairs she answered (an interruption: the shown part, when any),
        for the answer prompt."""
        if turns <= 0:
            return ()
        rows = self.db.query("SELECT message, answer FROM exchanges WHERE user_id = ? AND (kind = 'answer' OR "
                             "(kind = 'interrupted' AND answer <> '')) ORDER BY id DESC LIMIT ?", (user_id, turns))
        return tuple((r[0], r[1]) for r in reversed(rows))

    def last_summary(self, user_id: str) -> str:
        """The summary of the user's last answered (or interrupted) exchange, "" when none."""
        rows = self.db.query("SELECT summary FROM exchanges WHERE user_id = ? AND kind IN ('answer', 'interrupted') "
                             "ORDER BY id DESC LIMIT 1", (user_id,))
        return rows[0][0] if rows else ""

    def transcript(self, user_id: str, exchanges: int = TRANSCRIPT_EXCHANGES) -> list[dict[str, str]]:
        """The protocol's `hello.transcript`: [{role: user|assistant, text}], oldest first."""
        out: list[dict[str, str]] = []
        for e in self.recent(user_id, exchanges):
            out.append({"role": "user", "text": e.message})
            if e.answer:
                out.append({"role": "assistant", "text": e.answer})
        return out

    def delete_user(self, user_id: str) -> int:
        """Delete a user's whole conversation (privacy request); returns how many exchanges."""
        with self.db.transaction() as conn:
            return conn.execute("DELETE FROM exchanges WHERE user_id = ?", (user_id,)).rowcount

    def export(self, user_id: str) -> list[dict]:
        """Every stored exchange of a user as plain records (privacy export)."""
        rows = self.db.query("SELECT message, answer, kind, summary, asked_at, answered_at FROM exchanges "
                             "WHERE user_id = ? ORDER BY id", (user_id,))
        iso = lambda t: datetime.fromtimestamp(t).astimezone().isoformat(timespec="seconds")  # noqa: E731
        return [{"message": r[0], "answer": r[1], "kind": r[2], "summary": r[3], "asked_at": iso(r[4]),
                 "answered_at": iso(r[5])} for r in rows]

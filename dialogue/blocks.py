"""The block policy: per user and category, repeat offences escalate from a warning to longer blocks.

Steps are configurable (default: warning, 1 hour, 1 day, 14 days, then 14 days again for each further
offence). A user's level in a category starts over after `reset_after` without an offence there. Both
live in the dialogue database, so a restart lifts nothing; an operator lifts a block with
`ohlora admin blocks lift USER`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from dialogue.database import DialogueDatabase

DEFAULT_STEPS = (timedelta(0), timedelta(hours=1), timedelta(days=1), timedelta(days=14))
DEFAULT_RESET_AFTER = timedelta(days=30)


def parse_steps(text: str) -> tuple[timedelta, ...]:
    """'warn,1h,1d,14d' -> durations (warn or 0 = a warning only)."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
    steps = []
    for part in (p.strip().lower() for p in text.split(",") if p.strip()):
        if part in ("warn", "warning", "0"):
            steps.append(timedelta(0))
            continue
        try:
            steps.append(timedelta(seconds=float(part[:-1]) * units[part[-1]]))
        except (KeyError, ValueError):
            raise ValueError(f"cannot read block step '{part}': use e.g. warn,1h,1d,14d")
    if not steps:
        raise ValueError("the block policy needs at least one step")
    return tuple(steps)


@dataclass(frozen=True)
class Block:
    user_id: str
    category: str
    level: int  # offences counted in this category
    until: datetime | None  # None: the last offence drew a warning only
    updated_at: datetime

    def active(self, now: datetime) -> bool:
        return self.until is not None and self.until > now


class BlockPolicy:
    """Escalation state per (user, category), persisted in the dialogue database."""

    def __init__(self, db: DialogueDatabase, steps: tuple[timedelta, ...] = DEFAULT_STEPS,
                 reset_after: timedelta = DEFAULT_RESET_AFTER):
        if not steps:
            raise ValueError("the block policy needs at least one step")
        self.db, self.steps, self.reset_after = db, tuple(steps), reset_after

    def record_offence(self, user_id: str, category: str, now: datetime, excerpt: str = "") -> Block:
        """Count an offence and return the resulting state (a warning or a block with its end)."""
        t = now.timestamp()
        with self.db.transaction() as conn:
            row = conn.execute("SELECT level, updated_at FROM blocks WHERE user_id = ? AND category = ?",
                               (user_id, category)).fetchone()
            level = row[0] if row and t - row[1] < self.reset_after.total_seconds() else 0
            level += 1
            step = self.steps[min(level, len(self.steps)) - 1]
            until = t + step.total_seconds() if step > timedelta(0) else None
            conn.execute("INSERT INTO offences (user_id, category, at, excerpt) VALUES (?, ?, ?, ?)",
                         (user_id, category, t, excerpt[:200]))
            conn.execute("""INSERT INTO blocks (user_id, category, level, until, updated_at) VALUES (?, ?, ?, ?, ?)
                            ON CONFLICT (user_id, category) DO UPDATE SET level = excluded.level,
                              until = excluded.until, updated_at = excluded.updated_at""",
                         (user_id, category, level, until, t))
        return Block(user_id, category, level, datetime.fromtimestamp(until, now.tzinfo) if until else None, now)

    def blocks(self, user_id: str | None = None, now: datetime | None = None) -> list[Block]:
        """Escalation records (of one user, or all); with `now`, only blocks still running."""
        sql, args = "SELECT user_id, category, level, until, updated_at FROM blocks", []
        clauses = []
        if user_id is not None:
            clauses.append("user_id = ?"); args.append(user_id)
        if now is not None:
            clauses.append("until > ?"); args.append(now.timestamp())
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        tz = now.tzinfo if now else None
        with self.db.lock:
            rows = self.db.conn.execute(sql + " ORDER BY until DESC, user_id", args).fetchall()
        return [Block(r[0], r[1], r[2], datetime.fromtimestamp(r[3], tz) if r[3] else None,
                      datetime.fromtimestamp(r[4], tz)) for r in rows]

    def active_block(self, user_id: str, now: datetime) -> Block | None:
        """The block that ends last among the user's running blocks, if any."""
        running = self.blocks(user_id, now)
        return max(running, key=lambda b: b.until) if running else None

    def lift(self, user_id: str, category: str | None = None) -> int:
        """End a user's blocks and reset the escalation (offences stay on record); returns how many."""
        with self.db.transaction() as conn:
            if category is None:
                return conn.execute("DELETE FROM blocks WHERE user_id = ?", (user_id,)).rowcount
            return conn.execute("DELETE FROM blocks WHERE user_id = ? AND category = ?",
                                (user_id, category)).rowcount

    def offences(self, user_id: str) -> int:
        with self.db.lock:
            return int(self.db.conn.execute("SELECT COUNT(*) FROM offences WHERE user_id = ?",
                                            (user_id,)).fetchone()[0])

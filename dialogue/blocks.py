"""The block policy: repeated, confident abuse within a short window pauses the chat, for longer each time.

Only the counted categories (default insult, hate, sexual) ever count; romance and politics are declined
in character and can never be counted. Offences count per user across the counted categories together:
a user who switches from insults to sexual remarks keeps one pattern going, not two fresh starts. Every
counted offence that does not start a block is a warning, so a block always follows at least one warning.
A block starts when `threshold` offences fall within the sliding `window`; offences before the end of the
user's last block never count again, so after a block the next offence is a warning once more. Blocks
escalate through `steps` (default 1 hour, 1 day, 14 days, then 14 days again) and the escalation starts
over once `reset_after` has passed since the last block ended.

Offences and blocks live in the dialogue database, so a restart neither lifts a block nor forgets the
offences in the window; an operator lifts a block with `ohlora admin blocks lift USER`.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from dialogue.database import DialogueDatabase

COUNTABLE = ("insult", "hate", "sexual")  # the categories a deployment may count; romance, politics never
DEFAULT_STEPS = (timedelta(hours=1), timedelta(days=1), timedelta(days=14))
DEFAULT_RESET_AFTER = timedelta(days=30)
# Three offences within ten minutes: a heated moment of two mild insults draws two warnings and no block,
# while a third one right after two warnings is a sustained stream; ten minutes spans a burst of chat
# messages, yet an insult now and another an hour later do not add up.
DEFAULT_THRESHOLD = 3
DEFAULT_WINDOW = timedelta(minutes=10)
DEFAULT_COUNTED = frozenset(COUNTABLE)

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_duration(text: str) -> timedelta:
    """'10m' -> 10 minutes (units s, m, h, d, w)."""
    part = text.strip().lower()
    try:
        return timedelta(seconds=float(part[:-1]) * _UNITS[part[-1]])
    except (KeyError, ValueError, IndexError):
        raise ValueError(f"cannot read duration '{text}': use a number and a unit, e.g. 30s, 10m, 1h, 1d, 2w")


def parse_steps(text: str) -> tuple[timedelta, ...]:
    """'1h,1d,14d' -> block durations. 'warn' (or 0) is read as a zero step, which the policy skips: the
    warning before the first block is the policy's own rule."""
    steps = []
    for part in (p.strip().lower() for p in text.split(",") if p.strip()):
        if part in ("warn", "warning", "0"):
            steps.append(timedelta(0))
            continue
        try:
            steps.append(parse_duration(part))
        except ValueError:
            raise ValueError(f"cannot read block step '{part}': use e.g. 1h,1d,14d")
    if not steps:
        raise ValueError("the block policy needs at least one step")
    return tuple(steps)


def parse_categories(text: str) -> frozenset[str]:
    """'insult, hate' -> the counted categories (checked by `BlockPolicy`)."""
    return frozenset(p.strip().lower() for p in text.split(",") if p.strip())


@dataclass(frozen=True)
class Block:
    user_id: str
    category: str  # the reason: the most frequent category among the offences that started it
    level: int  # blocks so far in the current escalation (0: lifted by an operator)
    until: datetime | None  # when the block ends (None only in records from before the window policy)
    updated_at: datetime  # when the block started

    def active(self, now: datetime) -> bool:
        return self.until is not None and self.until > now


@dataclass(frozen=True)
class Outcome:
    """What one counted offence led to."""
    category: str
    count: int  # counted offences in the window, this one included
    block: Block | None  # the block it started; None: a warning
    next_block: timedelta  # how long the user's next block would last (what a warning announces)


def _durations(steps: Iterable[timedelta]) -> tuple[timedelta, ...]:
    steps = tuple(steps)
    for s in steps:
        if not isinstance(s, timedelta):
            raise ValueError(f"block steps: {s!r} is not a duration; use parse_steps('1h,1d,14d')")
        if s < timedelta(0):
            raise ValueError(f"block steps: {s} is negative; each step is how long a block lasts")
    durations = tuple(s for s in steps if s > timedelta(0))
    if not durations:
        raise ValueError("the block policy needs at least one block duration, e.g. 1h,1d,14d "
                         "(a warning always comes first and needs no step)")
    return durations


def _positive(name: str, value: timedelta) -> timedelta:
    if not isinstance(value, timedelta) or value <= timedelta(0):
        raise ValueError(f"block {name}: must be a positive duration such as parse_duration('10m'); got {value!r}")
    return value


def _counted(categories: Iterable[str]) -> frozenset[str]:
    if isinstance(categories, str):
        raise ValueError(f"counted categories: give a collection, e.g. parse_categories({categories!r})")
    counted = frozenset(categories)
    for c in sorted(counted):
        if c in ("romance", "politics"):
            raise ValueError(f"counted categories: {c} is declined in character and never counts toward a "
                             f"block; choose from {', '.join(COUNTABLE)}")
        if c not in COUNTABLE:
            raise ValueError(f"counted categories: unknown category {c!r}; choose from {', '.join(COUNTABLE)}")
    if not counted:
        raise ValueError(f"counted categories: name at least one of {', '.join(COUNTABLE)}")
    return counted


class BlockPolicy:
    """Offences per user within a sliding window, and the escalation of blocks, in the dialogue database."""

    def __init__(self, db: DialogueDatabase, steps: Iterable[timedelta] = DEFAULT_STEPS,
                 reset_after: timedelta = DEFAULT_RESET_AFTER, *, window: timedelta = DEFAULT_WINDOW,
                 threshold: int = DEFAULT_THRESHOLD, counted: Iterable[str] = DEFAULT_COUNTED):
        if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 2:
            raise ValueError(f"block threshold: must be a whole number of at least 2 (the first offence always "
                             f"draws a warning); got {threshold!r}")
        self.db = db
        self.durations = _durations(steps)
        self.reset_after = _positive("reset_after", reset_after)
        self.window = _positive("window", window)
        self.threshold = threshold
        self.counted = _counted(counted)

    def counts(self, category: str) -> bool:
        """Whether a confident flag in this category is an offence (never romance or politics)."""
        return category in self.counted

    def record_offence(self, user_id: str, category: str, now: datetime, excerpt: str = "") -> Outcome:
        """Record a confident offence and return a warning, or the block it starts."""
        if not self.counts(category):
            raise ValueError(f"{category} does not count toward blocks (counted: {', '.join(sorted(self.counted))})")
        t = now.timestamp()
        tz = now.tzinfo
        with self.db.transaction() as conn:
            self.db.serialize(conn, f"blocks:{user_id}")  # one decision at a time per user, across processes
            last = conn.execute("SELECT category, level, until, updated_at FROM blocks WHERE user_id = ? "
                                "AND until IS NOT NULL ORDER BY until DESC LIMIT 1", (user_id,)).fetchone()
            last_end = last[2] if last else None
            level = last[1] if last and t - last_end < self.reset_after.total_seconds() else 0
            next_block = self.durations[min(level, len(self.durations) - 1)]
            if last and last_end > t:  # still blocked (the gate checks first; kept for direct callers)
                running = Block(user_id, last[0], last[1], datetime.fromtimestamp(last_end, tz),
                                datetime.fromtimestamp(last[3], tz))
                return Outcome(category, 0, running, next_block)
            conn.execute("INSERT INTO offences (user_id, category, at, excerpt) VALUES (?, ?, ?, ?)",
                         (user_id, category, t, excerpt[:200]))
            since = t - self.window.total_seconds()
            if last_end is not None:  # what led to the last block, or came before it, never counts again
                since = max(since, last_end)
            marks = ",".join("?" * len(self.counted))
            recent = [r[0] for r in conn.execute(
                f"SELECT category FROM offences WHERE user_id = ? AND at > ? AND at <= ? AND category IN ({marks}) "
                f"ORDER BY at, id", (user_id, since, t, *sorted(self.counted))).fetchall()]
            if len(recent) < self.threshold:
                return Outcome(category, len(recent), None, next_block)
            tally = Counter(recent)  # the reason: the most frequent category, the latest one on a tie
            reason = max(reversed(recent), key=lambda c: tally[c])
            until = t + next_block.total_seconds()
            conn.execute("DELETE FROM blocks WHERE user_id = ?", (user_id,))  # one escalation per user
            conn.execute("INSERT INTO blocks (user_id, category, level, until, updated_at) VALUES (?, ?, ?, ?, ?)",
                         (user_id, reason, level + 1, until, t))
        block = Block(user_id, reason, level + 1, datetime.fromtimestamp(until, tz), now)
        return Outcome(category, len(recent), block, next_block)

    def blocks(self, user_id: str | None = None, now: datetime | None = None) -> list[Block]:
        """Block records (of one user, or all); with `now`, only blocks still running."""
        sql, args = "SELECT user_id, category, level, until, updated_at FROM blocks", []
        clauses = []
        if user_id is not None:
            clauses.append("user_id = ?"); args.append(user_id)
        if now is not None:
            clauses.append("until > ?"); args.append(now.timestamp())
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        tz = now.tzinfo if now else None
        rows = self.db.query(sql + " ORDER BY until IS NULL, until DESC, user_id", args)
        return [Block(r[0], r[1], r[2], datetime.fromtimestamp(r[3], tz) if r[3] else None,
                      datetime.fromtimestamp(r[4], tz)) for r in rows]

    def active_block(self, user_id: str, now: datetime) -> Block | None:
        """The block that ends last among the user's running blocks, if any."""
        running = self.blocks(user_id, now)
        return max(running, key=lambda b: b.until) if running else None

    def lift(self, user_id: str, category: str | None = None) -> int:
        """End a user's block and reset the escalation; returns how many records changed.

        The record stays, ending when it started, so the offences that led to it never count again;
        the offences themselves stay on record.
        """
        sql = ("UPDATE blocks SET level = 0, until = CASE WHEN until IS NULL OR until < updated_at THEN until ELSE updated_at END "
               "WHERE user_id = ? AND level > 0")
        args: list = [user_id]
        if category is not None:
            sql += " AND category = ?"; args.append(category)
        with self.db.transaction() as conn:
            return conn.execute(sql, args).rowcount

    def offences(self, user_id: str, since: datetime | None = None) -> int:
        """Offences on record for a user (with `since`: only those after it)."""
        sql, args = "SELECT COUNT(*) FROM offences WHERE user_id = ?", [user_id]
        if since is not None:
            sql += " AND at > ?"; args.append(since.timestamp())
        return int(self.db.query(sql, args)[0][0])

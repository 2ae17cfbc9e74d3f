"""What the server sends: one constructor per server message type (`protocol.SERVER_TYPES`).

Each returns the message as the JSON object that goes on the wire (`protocol.dumps`); the server builds
every text message it sends here and nowhere else. tests/test_realtime_protocol.py checks each
constructor's output against `protocol_schema.json`, and docs/protocol.md describes the fields.
"""
from __future__ import annotations

from datetime import datetime

from dialogue.interfaces import Expression, Memory, SafetyVerdict

from .protocol import CODECS, ERROR_CODES, PROTOCOL_VERSION, ProtocolError

ROLES = ["chat", "viewer"]
MJPEG_PATH = "/stream.mjpg"


def capabilities(*, max_message_bytes: int, rate_limit_per_s: float, controls: list[str], matte: bool,
                 speech_chars_per_s: float) -> dict:
    """What this server offers every client (`hello.capabilities`)."""
    return {"versions": [PROTOCOL_VERSION], "codecs": sorted(CODECS), "roles": list(ROLES),
            "max_message_bytes": max_message_bytes, "rate_limit_per_s": rate_limit_per_s,
            "controls": list(controls), "matte": matte, "mjpeg": MJPEG_PATH,
            "speech_chars_per_s": speech_chars_per_s}


def hello(*, session: str, user: str, role: str, resumed: bool, clock_ms: int, credential: str | None,
          credential_expires_at: datetime | None, viewer_key: str | None, size: int, fps: float, quality: int,
          matte: bool, capabilities: dict, transcript: list[dict[str, str]]) -> dict:
    """The reply to an accepted hello: the session joined, the stream accepted, what the server offers."""
    return {
        "type": "hello", "version": PROTOCOL_VERSION, "session": session, "user": user, "role": role,
        "resumed": resumed, "clock_ms": clock_ms, "credential": credential,
        "credential_expires_at": credential_expires_at.isoformat() if credential_expires_at else None,
        "viewer_key": viewer_key,
        "accepted": {"size": size, "fps": fps, "quality": quality, "codec": "jpeg", "matte": matte},
        "capabilities": capabilities,
        "transcript": list(transcript),
    }


def chat_delta(*, turn: int, index: int, text: str, pts_ms: int, message_id: str | None = None) -> dict:
    """One piece of her answer, released when she says it (`pts_ms` on the session clock)."""
    return {"type": "chat.delta", "turn": turn, "index": index, "text": text, "pts_ms": pts_ms,
            **({"id": message_id} if message_id else {})}


def refusal(verdict: SafetyVerdict) -> dict:
    """A safety verdict as `chat.done.refused`."""
    return {"action": verdict.action, "category": verdict.category, "message": verdict.message,
            "blocked_until": verdict.blocked_until.isoformat() if verdict.blocked_until else None}


def chat_done(*, turn: int, text: str, interrupted: bool, expression: Expression | None, memory: Memory | None,
              summary: str, timings: dict[str, float], refused: SafetyVerdict | None, pts_ms: int,
              message_id: str | None = None, care: str = "") -> dict:
    """The end of a turn: the answer as shown, and what the turn left behind."""
    return {"type": "chat.done", "turn": turn, "text": text, "interrupted": interrupted,
            "expression": ({"eyes": expression.eyes, "mouth": expression.mouth, "head": expression.head}
                           if expression is not None else None),
            "memory": {"key": memory.key, "value": memory.value} if memory is not None else None,
            "summary": summary, "timings": {k: float(v) for k, v in timings.items()},
            "refused": refusal(refused) if refused is not None else None, "care": care or None, "pts_ms": pts_ms,
            **({"id": message_id} if message_id else {})}


def expression(levels: Expression, *, pts_ms: int, source: str = "answer") -> dict:
    """The expression her face walks to (after an answer)."""
    return {"type": "expression", "eyes": levels.eyes, "mouth": levels.mouth, "head": levels.head,
            "pts_ms": pts_ms, "source": source}


def viewers(*, viewer_key: str, closed: int) -> dict:
    """To the owner's chat sockets after a revocation: the new viewer key, and how many viewers were closed."""
    return {"type": "viewers", "viewer_key": viewer_key, "closed": closed}


def error(code: str, message: str, *, fatal: bool = False, limit: int | None = None,
          supported: list[int] | None = None, blocked_until: str | None = None,
          retry_after_ms: int | None = None) -> dict:
    """An `error`; a fatal one is followed by the socket's close."""
    assert code in ERROR_CODES, code
    optional = {"limit": limit, "supported": supported, "blocked_until": blocked_until,
                "retry_after_ms": retry_after_ms}
    return {"type": "error", "code": code, "message": message, "fatal": fatal,
            **{k: v for k, v in optional.items() if v is not None}}


def error_for(err: ProtocolError) -> dict:
    """The `error` that answers a ProtocolError."""
    return error(err.code, err.message, fatal=err.fatal, **err.extra)


def pong(*, clock_ms: int, t: float | None = None) -> dict:
    """The answer to a ping: the session clock now, and the client's own `t` back."""
    return {"type": "pong", "clock_ms": clock_ms, **({"t": t} if t is not None else {})}


def stats(*, clock_ms: int, fps: float, frames_sent: int, frames_dropped: int, queue_depth: int,
          sockets: int) -> dict:
    """Each socket's own delivery figures, every `server.stats_interval_s`."""
    return {"type": "stats", "clock_ms": clock_ms, "fps": fps, "frames_sent": frames_sent,
            "frames_dropped": frames_dropped, "queue_depth": queue_depth, "sockets": sockets}

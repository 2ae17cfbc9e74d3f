"""Protocol v2: the JSON messages and the binary frame header spoken over one websocket.

docs/protocol.md describes it for people; `protocol_schema.json` (next to this file) is the machine
form, one JSON Schema per message type. The server validates what clients send against it, and the
tests validate what the server sends against it, so the three cannot drift apart.
"""
from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from render.frames import FLAG_INTERPOLATED, FLAG_KEYFRAME, FLAG_MATTE  # re-exported: clients read them here

__all__ = ["CLIENT_TYPES", "CODECS", "CODEC_NAMES", "ERROR_CODES", "FLAG_INTERPOLATED", "FLAG_KEYFRAME", "FLAG_MATTE",
           "FRAME_HEADER", "FRAME_MAGIC", "FRAME_VERSION", "PROTOCOL_VERSION", "RETIRED_VERSIONS", "SCHEMA_PATH",
           "SERVER_TYPES", "FrameHeader", "ProtocolError", "dumps", "pack_frame", "parse_client_message", "schema",
           "unpack_frame", "validate"]

PROTOCOL_VERSION = 2
# Versions this server refuses with a reason a person can act on.
RETIRED_VERSIONS = {1: "protocol 1 named users by an id any client could type; this server speaks protocol 2, "
                       "where the server issues each user a credential: reload the page or update the client"}
# The binary frame header has its own version: protocol 2 changed only the JSON messages.
FRAME_VERSION = 1
SCHEMA_PATH = Path(__file__).with_name("protocol_schema.json")

# Message types by direction (the schema holds one definition per "<direction>.<type>").
CLIENT_TYPES = ("hello", "chat.send", "cancel", "expression", "viewers.revoke", "ping")
SERVER_TYPES = ("hello", "chat.delta", "chat.done", "expression", "viewers", "error", "pong", "stats")

# Binary frame header, little-endian, 24 bytes:
#   magic "OHLF" | version u8 | header length u8 | codec u8 | flags u8 |
#   seq u32 | pts_ms u32 | width u16 | height u16 | matte length u32
# then the image bytes, then (when flags has FLAG_MATTE) `matte length` bytes of a grey JPEG matte.
FRAME_MAGIC = b"OHLF"
FRAME_HEADER = struct.Struct("<4sBBBBIIHHI")
CODECS = {"jpeg": 1}
CODEC_NAMES = {v: k for k, v in CODECS.items()}

# Error codes. `fatal` errors close the socket after the message; the others leave it open.
ERROR_CODES = {
    "bad_json": "the text message is not a JSON object",
    "unknown_type": "the message type is not one this protocol version knows",
    "bad_message": "the message does not match its schema",
    "too_large": "the message is larger than the server's limit",
    "binary_not_accepted": "clients send text messages only",
    "bad_version": "the protocol version in hello is not supported",
    "hello_required": "the first message must be hello",
    "rate_limited": "too many messages per second; this one was dropped",
    "unauthorized": "the shared token, the credential or the viewer key is missing, wrong or expired",
    "revoked": "the owner revoked the viewer key this socket joined with",
    "unknown_session": "the user of that viewer key has no live session",
    "read_only": "viewers cannot send this message",
    "blocked": "this user is blocked for a while",
    "controls_disabled": "the server does not allow expression controls",
    "server_full": "the server has no room for another session right now",
    "too_many_sessions": "this client address (or user) has as many sessions or sockets as the server allows",
    "session_ended": "the session was closed",
    "server_shutdown": "the server is shutting down",
    "internal": "the server failed to handle the message",
}


class ProtocolError(Exception):
    """A refusal, answered with an `error` message (`messages.error_for`); `fatal` ones close the socket.

    `extra` holds the error's optional fields (limit, supported, blocked_until, retry_after_ms)."""

    def __init__(self, code: str, message: str, *, fatal: bool = False, **extra: Any):
        super().__init__(message)
        assert code in ERROR_CODES, code
        self.code, self.message, self.fatal, self.extra = code, message, fatal, extra


@dataclass(frozen=True)
class FrameHeader:
    seq: int
    pts_ms: int
    width: int
    height: int
    codec: str
    flags: int
    matte_length: int = 0


def pack_frame(seq: int, pts_ms: int, width: int, height: int, codec: str, flags: int, data: bytes,
               matte: bytes | None = None) -> bytes:
    """One binary websocket message: header, image bytes, optional matte bytes."""
    if matte:
        flags |= FLAG_MATTE
    else:
        flags &= ~FLAG_MATTE
    header = FRAME_HEADER.pack(FRAME_MAGIC, FRAME_VERSION, FRAME_HEADER.size, CODECS[codec], flags,
                               seq & 0xFFFFFFFF, max(0, pts_ms) & 0xFFFFFFFF, width, height, len(matte or b""))
    return header + data + (matte or b"")


def unpack_frame(message: bytes) -> tuple[FrameHeader, bytes, bytes | None]:
    """Inverse of `pack_frame`: (header, image bytes, matte bytes or None)."""
    if len(message) < FRAME_HEADER.size:
        raise ValueError(f"frame message of {len(message)} bytes is shorter than the header")
    magic, version, header_len, codec, flags, seq, pts, w, h, matte_len = FRAME_HEADER.unpack_from(message)
    if magic != FRAME_MAGIC:
        raise ValueError(f"bad frame magic {magic!r}")
    if version != FRAME_VERSION:
        raise ValueError(f"frame version {version} is not {FRAME_VERSION}")
    body = message[header_len:]
    image, matte = (body[:len(body) - matte_len], body[len(body) - matte_len:]) if matte_len else (body, None)
    header = FrameHeader(seq, pts, w, h, CODEC_NAMES.get(codec, f"codec{codec}"), flags, matte_len)
    return header, image, matte


@lru_cache(maxsize=1)
def schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@lru_cache(maxsize=None)
def _validator(direction: str, type_: str):
    from jsonschema import Draft202012Validator

    full = schema()
    name = f"{direction}.{type_}"
    if name not in full["$defs"]:
        raise KeyError(name)
    return Draft202012Validator({"$defs": full["$defs"], "$ref": f"#/$defs/{name}"})


def validate(message: dict, direction: str) -> None:
    """Raise ValueError if `message` (direction 'client' or 'server') breaks the schema."""
    types = CLIENT_TYPES if direction == "client" else SERVER_TYPES
    type_ = message.get("type") if isinstance(message, dict) else None
    if type_ not in types:
        raise ValueError(f"unknown {direction} message type {type_!r}")
    errors = sorted(_validator(direction, type_).iter_errors(message), key=lambda e: list(e.path))
    if errors:
        e = errors[0]
        where = "/".join(str(p) for p in e.path) or "(message)"
        raise ValueError(f"{type_}: {where}: {e.message}")


class _NotFinite(ValueError):
    pass


def _finite_float(text: str) -> float:
    value = float(text)
    if value != value or value in (float("inf"), float("-inf")):
        raise _NotFinite(f"the number {text} is too large")
    return value


def _reject_constant(name: str) -> float:
    raise _NotFinite(f"{name} is not a number JSON allows")


def _bad_text(value: Any, where: str = "") -> str | None:
    """Where `value` holds text that could not be stored, logged or sent back (or None when it is clean)."""
    if isinstance(value, str):
        if "\x00" in value:
            return f"{where or 'a string'}: contains a NUL character"
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as e:
            return (f"{where or 'a string'}: contains a lone surrogate (U+{ord(value[e.start]):04X}), "
                    "which is not text; send valid UTF-16 pairs or UTF-8")
        return None
    if isinstance(value, dict):
        for k, v in value.items():
            problem = _bad_text(k, f"{where}/(key)" if where else "(key)") or _bad_text(v, f"{where}/{k}" if where else str(k))
            if problem:
                return problem
    elif isinstance(value, list):
        for i, v in enumerate(value):
            problem = _bad_text(v, f"{where}/{i}")
            if problem:
                return problem
    return None


def parse_client_message(text: str, max_bytes: int) -> dict:
    """A client's text message -> a validated dict, or ProtocolError naming what is wrong.

    This is the edge: text that is not valid Unicode (lone surrogates), NUL characters and numbers that are
    not finite are refused here, so nothing a client sends can fail later in the transcript, a log, the
    tokenizer, the database or another socket's writer.
    """
    try:
        size = len(text.encode("utf-8", "surrogatepass")) if len(text) * 4 > max_bytes else len(text)
    except UnicodeEncodeError:
        size = len(text) * 4
    if size > max_bytes:
        raise ProtocolError("too_large", f"message of {size} bytes exceeds the limit of {max_bytes} bytes",
                            limit=max_bytes)
    try:
        message = json.loads(text, parse_float=_finite_float, parse_constant=_reject_constant)
    except _NotFinite as e:
        raise ProtocolError("bad_message", f"numbers must be finite: {e}") from None
    except (ValueError, RecursionError) as e:  # JSONDecodeError, and integers too long to convert
        raise ProtocolError("bad_json", f"not valid JSON: {e}") from None
    if not isinstance(message, dict):
        raise ProtocolError("bad_json", "a message must be a JSON object")
    problem = _bad_text(message)
    if problem:
        raise ProtocolError("bad_message", problem)
    type_ = message.get("type")
    if type_ not in CLIENT_TYPES:
        raise ProtocolError("unknown_type", f"unknown message type {type_!r}; known: {', '.join(CLIENT_TYPES)}")
    version = message.get("version")
    if type_ == "hello" and isinstance(version, int) and not isinstance(version, bool) and version != PROTOCOL_VERSION:
        reason = RETIRED_VERSIONS.get(version, f"protocol version {version} is not supported; "
                                               f"this server speaks {PROTOCOL_VERSION}")
        raise ProtocolError("bad_version", reason, fatal=True, supported=[PROTOCOL_VERSION])
    try:
        validate(message, "client")
    except ValueError as e:
        raise ProtocolError("bad_message", str(e)) from None
    return message


def dumps(message: dict) -> str:
    """A server message as the text frame that goes on the wire (strict JSON: finite numbers only)."""
    return json.dumps(message, ensure_ascii=False, allow_nan=False)

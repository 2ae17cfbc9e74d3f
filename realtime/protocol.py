"""Protocol v1: the JSON messages and the binary frame header spoken over one websocket.

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

PROTOCOL_VERSION = 1
SCHEMA_PATH = Path(__file__).with_name("protocol_schema.json")

# Message types by direction (the schema holds one definition per "<direction>.<type>").
CLIENT_TYPES = ("hello", "chat.send", "cancel", "expression", "ping")
SERVER_TYPES = ("hello", "chat.delta", "chat.done", "expression", "error", "pong", "stats")

# Binary frame header, little-endian, 24 bytes:
#   magic "OHLF" | version u8 | header length u8 | codec u8 | flags u8 |
#   seq u32 | pts_ms u32 | width u16 | height u16 | matte length u32
# then the image bytes, then (when flags has FLAG_MATTE) `matte length` bytes of a grey JPEG matte.
FRAME_MAGIC = b"OHLF"
FRAME_HEADER = struct.Struct("<4sBBBBIIHHI")
CODECS = {"jpeg": 1}
CODEC_NAMES = {v: k for k, v in CODECS.items()}
FLAG_KEYFRAME = 1
FLAG_INTERPOLATED = 2
FLAG_MATTE = 4

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
    "unauthorized": "the shared token is missing or wrong",
    "unknown_session": "no live session has that id or user",
    "read_only": "viewers cannot send this message",
    "blocked": "this user is blocked for a while",
    "controls_disabled": "the server does not allow expression controls",
    "session_ended": "the session was closed",
    "server_shutdown": "the server is shutting down",
    "internal": "the server failed to handle the message",
}


class ProtocolError(Exception):
    """A client's mistake, answered with an `error` message; `fatal` ones close the socket."""

    def __init__(self, code: str, message: str, *, fatal: bool = False, **extra: Any):
        super().__init__(message)
        assert code in ERROR_CODES, code
        self.code, self.message, self.fatal, self.extra = code, message, fatal, extra

    def to_message(self) -> dict:
        return error_message(self.code, self.message, fatal=self.fatal, **self.extra)


def error_message(code: str, message: str, *, fatal: bool = False, **extra: Any) -> dict:
    return {"type": "error", "code": code, "message": message, "fatal": fatal, **extra}


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
    header = FRAME_HEADER.pack(FRAME_MAGIC, PROTOCOL_VERSION, FRAME_HEADER.size, CODECS[codec], flags,
                               seq & 0xFFFFFFFF, max(0, pts_ms) & 0xFFFFFFFF, width, height, len(matte or b""))
    return header + data + (matte or b"")


def unpack_frame(message: bytes) -> tuple[FrameHeader, bytes, bytes | None]:
    """Inverse of `pack_frame`: (header, image bytes, matte bytes or None)."""
    if len(message) < FRAME_HEADER.size:
        raise ValueError(f"frame message of {len(message)} bytes is shorter than the header")
    magic, version, header_len, codec, flags, seq, pts, w, h, matte_len = FRAME_HEADER.unpack_from(message)
    if magic != FRAME_MAGIC:
        raise ValueError(f"bad frame magic {magic!r}")
    if version != PROTOCOL_VERSION:
        raise ValueError(f"frame version {version} is not {PROTOCOL_VERSION}")
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


def parse_client_message(text: str, max_bytes: int) -> dict:
    """A client's text message -> a validated dict, or ProtocolError naming what is wrong."""
    size = len(text.encode("utf-8")) if len(text) * 4 > max_bytes else len(text)
    if size > max_bytes:
        raise ProtocolError("too_large", f"message of {size} bytes exceeds the limit of {max_bytes} bytes",
                            limit=max_bytes)
    try:
        message = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as e:
        raise ProtocolError("bad_json", f"not valid JSON: {e}") from None
    if not isinstance(message, dict):
        raise ProtocolError("bad_json", "a message must be a JSON object")
    type_ = message.get("type")
    if type_ not in CLIENT_TYPES:
        raise ProtocolError("unknown_type", f"unknown message type {type_!r}; known: {', '.join(CLIENT_TYPES)}")
    if type_ == "hello" and message.get("version") != PROTOCOL_VERSION and isinstance(message.get("version"), int):
        raise ProtocolError("bad_version", f"protocol version {message['version']} is not supported; "
                                           f"this server speaks {PROTOCOL_VERSION}", fatal=True,
                            supported=[PROTOCOL_VERSION])
    try:
        validate(message, "client")
    except ValueError as e:
        raise ProtocolError("bad_message", str(e)) from None
    return message

"""Protocol v1 on its own: frame header, client message parsing, schema and documentation in step."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from realtime.protocol import (CLIENT_TYPES, ERROR_CODES, FLAG_KEYFRAME, FLAG_MATTE, FRAME_HEADER, SERVER_TYPES,
                               ProtocolError, pack_frame, parse_client_message, schema, unpack_frame, validate)

DOC = Path(__file__).resolve().parent.parent / "docs" / "protocol.md"


def test_frame_roundtrip_keeps_header_image_and_matte():
    msg = pack_frame(7, 1234, 256, 256, "jpeg", FLAG_KEYFRAME, b"\xff\xd8image", matte=b"\xff\xd8matte")
    assert msg[:4] == b"OHLF" and FRAME_HEADER.size == 24
    header, image, matte = unpack_frame(msg)
    assert (header.seq, header.pts_ms, header.width, header.height, header.codec) == (7, 1234, 256, 256, "jpeg")
    assert header.flags & FLAG_KEYFRAME and header.flags & FLAG_MATTE
    assert image == b"\xff\xd8image" and matte == b"\xff\xd8matte"
    header, image, matte = unpack_frame(pack_frame(1, 2, 3, 4, "jpeg", FLAG_MATTE, b"x"))
    assert matte is None and not header.flags & FLAG_MATTE and image == b"x"


def test_frame_header_is_little_endian_at_documented_offsets():
    msg = pack_frame(0x01020304, 0x0A0B0C0D, 512, 384, "jpeg", 0, b"")
    assert msg[8:12] == bytes([4, 3, 2, 1])          # seq u32 LE at offset 8
    assert msg[12:16] == bytes([0x0D, 0x0C, 0x0B, 0x0A])  # pts_ms at 12
    assert msg[16:18] == (512).to_bytes(2, "little") and msg[18:20] == (384).to_bytes(2, "little")


def test_bad_frames_are_rejected():
    with pytest.raises(ValueError):
        unpack_frame(b"short")
    with pytest.raises(ValueError):
        unpack_frame(b"XXXX" + bytes(20))


@pytest.mark.parametrize("text, code", [
    ("{not json", "bad_json"),
    ("[1, 2]", "bad_json"),
    ('{"type": "dance"}', "unknown_type"),
    ('{"text": "hi"}', "unknown_type"),
    ('{"type": "hello", "version": 2, "role": "chat"}', "bad_version"),
    ('{"type": "hello", "version": 1, "role": "king"}', "bad_message"),
    ('{"type": "chat.send", "text": ""}', "bad_message"),
    ('{"type": "chat.send", "text": "hi", "extra": 1}', "bad_message"),
    ('{"type": "expression", "controls": {"eyes": "wide"}}', "bad_message"),
])
def test_client_mistakes_get_a_code(text, code):
    with pytest.raises(ProtocolError) as e:
        parse_client_message(text, 4096)
    assert e.value.code == code
    assert e.value.fatal == (code == "bad_version")
    validate(e.value.to_message(), "server")


def test_oversized_message_is_refused_before_parsing():
    with pytest.raises(ProtocolError) as e:
        parse_client_message(json.dumps({"type": "chat.send", "text": "가" * 3000}), 4096)
    assert e.value.code == "too_large" and e.value.extra["limit"] == 4096


def test_valid_client_messages_parse():
    assert parse_client_message('{"type": "hello", "version": 1, "role": "viewer", "session": "abc"}', 4096)["role"] == "viewer"
    assert parse_client_message('{"type": "expression", "controls": null}', 4096)["controls"] is None
    assert parse_client_message('{"type": "chat.send", "text": "안녕"}', 4096)["text"] == "안녕"


def test_schema_defines_every_message_and_error_code():
    defs = schema()["$defs"]
    for t in CLIENT_TYPES:
        assert f"client.{t}" in defs
    for t in SERVER_TYPES:
        assert f"server.{t}" in defs
    assert set(defs["server.error"]["properties"]["code"]["enum"]) == set(ERROR_CODES)


def test_protocol_doc_describes_every_message_and_error_code():
    doc = DOC.read_text(encoding="utf-8")
    for t in set(CLIENT_TYPES) | set(SERVER_TYPES):
        assert f"`{t}`" in doc, t
    for code in ERROR_CODES:
        assert f"`{code}`" in doc, code
    # the documented header layout is the one the code packs
    assert re.search(r"24 bytes", doc) and "OHLF" in doc

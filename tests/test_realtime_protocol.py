"""Protocol v2 on its own: frame header, client message parsing, schema and documentation in step."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from datetime import datetime, timezone

from dialogue.interfaces import Expression, Memory, SafetyVerdict
from realtime import messages
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
    ('{"type": "hello", "version": 3, "role": "chat"}', "bad_version"),
    ('{"type": "hello", "version": 1, "role": "chat", "user": "alice"}', "bad_version"),
    ('{"type": "hello", "version": 2, "role": "king"}', "bad_message"),
    ('{"type": "hello", "version": 2, "role": "chat", "user": "alice"}', "bad_message"),
    ('{"type": "hello", "version": 2, "role": "chat", "fps": NaN}', "bad_message"),
    ('{"type": "hello", "version": 2, "role": "chat", "fps": 1e999}', "bad_message"),
    ('{"type": "ping", "t": NaN}', "bad_message"),
    ('{"type": "ping", "t": -Infinity}', "bad_message"),
    ('{"type": "ping", "t": ' + "9" * 5000 + "}", "bad_json"),
    ('{"type": "expression", "controls": {"eyes": NaN}}', "bad_message"),
    ('{"type": "chat.send", "text": "hi \\ud800 there"}', "bad_message"),
    ('{"type": "chat.send", "text": "hi", "id": "\\udfff"}', "bad_message"),
    ('{"type": "chat.send", "text": "nul \\u0000 inside"}', "bad_message"),
    ('{"type": "hello", "version": 2, "role": "chat", "token": "\\ud83d"}', "bad_message"),
    ('{"type": "hello", "version": 2, "role": "chat", "credential": "c1.a.b.c\\ud800"}', "bad_message"),
    ('{"type": "chat.send", "text": ""}', "bad_message"),
    ('{"type": "chat.send", "text": "hi", "extra": 1}', "bad_message"),
    ('{"type": "expression", "controls": {"eyes": "wide"}}', "bad_message"),
])
def test_client_mistakes_get_a_code(text, code):
    with pytest.raises(ProtocolError) as e:
        parse_client_message(text, 8192)
    assert e.value.code == code
    assert e.value.fatal == (code == "bad_version")
    validate(messages.error_for(e.value), "server")


def test_oversized_message_is_refused_before_parsing():
    with pytest.raises(ProtocolError) as e:
        parse_client_message(json.dumps({"type": "chat.send", "text": "가" * 3000}), 4096)
    assert e.value.code == "too_large" and e.value.extra["limit"] == 4096


def test_retired_version_1_is_refused_with_a_reason():
    with pytest.raises(ProtocolError) as e:
        parse_client_message('{"type": "hello", "version": 1, "role": "chat", "user": "alice"}', 4096)
    assert e.value.fatal and e.value.extra["supported"] == [2] and "credential" in e.value.message


def test_valid_client_messages_parse():
    assert parse_client_message('{"type": "hello", "version": 2, "role": "viewer", "viewer_key": "v1.YQ.0.x"}',
                                4096)["role"] == "viewer"
    # a proper surrogate pair is text (an emoji), not a lone surrogate
    assert parse_client_message('{"type": "chat.send", "text": "hi \\ud83d\\ude00"}', 4096)["text"] == "hi 😀"
    assert parse_client_message('{"type": "ping", "t": 1e308}', 4096)["t"] == 1e308
    assert parse_client_message('{"type": "expression", "controls": null}', 4096)["controls"] is None
    assert parse_client_message('{"type": "chat.send", "text": "안녕"}', 4096)["text"] == "안녕"


def test_schema_defines_every_message_and_error_code():
    defs = schema()["$defs"]
    for t in CLIENT_TYPES:
        assert f"client.{t}" in defs
    for t in SERVER_TYPES:
        assert f"server.{t}" in defs
    assert set(defs["server.error"]["properties"]["code"]["enum"]) == set(ERROR_CODES)


def _every_server_message() -> list[dict]:
    """Each constructor of realtime.messages, with its optional fields both absent and present."""
    now = datetime.now(timezone.utc)
    offered = messages.capabilities(max_message_bytes=16384, rate_limit_per_s=20.0, controls=["eyes", "mouth"],
                                    matte=False, speech_chars_per_s=16.0)
    hello = dict(session="s1", user="u-1", resumed=False, clock_ms=0, size=256, fps=30.0, quality=85, matte=False,
                 capabilities=offered, transcript=[{"role": "user", "text": "안녕"}])
    done = dict(turn=1, text="안녕!", interrupted=False, summary="greeting", pts_ms=900)
    blocked = SafetyVerdict("blocked", "insult", 0.9, blocked_until=now, message="잠시 쉬어요.")
    return [
        messages.hello(role="chat", credential="c1.x.1.y", credential_expires_at=now, viewer_key="v1.x.0.y", **hello),
        messages.hello(role="viewer", credential=None, credential_expires_at=None, viewer_key=None, **hello),
        messages.chat_delta(turn=1, index=0, text="안녕", pts_ms=120),
        messages.chat_delta(turn=1, index=1, text="!", pts_ms=180, message_id="m1"),
        messages.chat_done(expression=Expression("wide", "small", "slightly left"), memory=Memory("name", "민수", now),
                           timings={"llm_s": 0.1}, refused=None, message_id="m1", **done),
        messages.chat_done(expression=None, memory=None, timings={}, refused=blocked, **done),
        messages.expression(Expression("normal", "closed", "none"), pts_ms=40),
        messages.viewers(viewer_key="v1.x.1.y", closed=2),
        messages.error("bad_json", "not valid JSON"),
        messages.error("blocked", "잠시 쉬어요.", fatal=True, blocked_until=now.isoformat()),
        messages.error("too_large", "too large", limit=4096),
        messages.error("bad_version", "speak 2", fatal=True, supported=[2]),
        messages.error("server_full", "full", fatal=True, retry_after_ms=60_000),
        messages.pong(clock_ms=10),
        messages.pong(clock_ms=10, t=1.5),
        messages.stats(clock_ms=10, fps=29.5, frames_sent=300, frames_dropped=1, queue_depth=0, sockets=2),
    ]


def test_every_server_message_constructor_obeys_the_schema():
    built = _every_server_message()
    for message in built:
        validate(message, "server")
    assert {m["type"] for m in built} == set(SERVER_TYPES)


def test_server_messages_are_built_only_in_realtime_messages():
    """No server module writes a message as a dict literal (the client and its tools write client messages)."""
    realtime = Path(messages.__file__).parent
    for path in sorted(realtime.glob("*.py")):
        if path.name in ("messages.py", "client.py", "bench.py"):
            continue
        assert not re.search(r"""["']type["']\s*:""", path.read_text(encoding="utf-8")), path.name


def test_protocol_doc_describes_every_message_and_error_code():
    doc = DOC.read_text(encoding="utf-8")
    for t in set(CLIENT_TYPES) | set(SERVER_TYPES):
        assert f"`{t}`" in doc, t
    for code in ERROR_CODES:
        assert f"`{code}`" in doc, code
    # the documented header layout is the one the code packs
    assert re.search(r"24-byte", doc) and "OHLF" in doc


# --- property-based: whatever a client sends, the edge answers with a code or a clean message ----------
json_leaf = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
                      st.text(alphabet=st.characters(codec=None, blacklist_categories=()), max_size=40))
json_values = st.recursive(json_leaf, lambda kids: st.lists(kids, max_size=4) | st.dictionaries(
    st.text(max_size=10), kids, max_size=4), max_leaves=12)
field_names = st.sampled_from(["type", "version", "role", "credential", "viewer_key", "size", "fps", "quality",
                               "codec", "matte", "token", "text", "id", "controls", "t", "user", "session"])
type_names = st.sampled_from(list(CLIENT_TYPES) + ["teleport", ""])
client_messages = st.builds(lambda t, extra: {"type": t, **extra}, type_names,
                     st.dictionaries(field_names, json_values, max_size=5))


def _wire(message) -> str:
    # Python's encoder writes NaN/Infinity and lone surrogates as escapes, as a hostile client could.
    return json.dumps(message, ensure_ascii=True, allow_nan=True)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(client_messages)
def test_any_message_is_parsed_cleanly_or_refused_with_a_code(message):
    try:
        parsed = parse_client_message(_wire(message), 1 << 16)
    except ProtocolError as e:
        assert e.code in ERROR_CODES and e.code != "internal"
        validate(messages.error_for(e), "server")
        return
    # Accepted: it obeys the schema, its text survives every later use, its numbers are finite JSON.
    validate(parsed, "client")
    text = json.dumps(parsed, ensure_ascii=False, allow_nan=False)
    text.encode("utf-8")
    assert json.loads(text) == parsed


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(codec=None), min_size=1, max_size=60))
def test_chat_text_is_accepted_exactly_when_it_is_valid_unicode(text):
    wire = json.dumps({"type": "chat.send", "text": text}, ensure_ascii=True)
    clean = "\x00" not in text and all(not 0xD800 <= ord(ch) <= 0xDFFF for ch in text)
    if clean:
        assert parse_client_message(wire, 1 << 16)["text"] == text
    else:
        with pytest.raises(ProtocolError) as e:
            parse_client_message(wire, 1 << 16)
        assert e.value.code == "bad_message" and not e.value.fatal


def test_page_reads_the_same_frame_flags_and_header_as_the_server():
    """web/js/protocol.js is the page's copy of the frame contract (render.frames, realtime.protocol)."""
    import re
    from pathlib import Path

    from realtime.protocol import FRAME_MAGIC, PROTOCOL_VERSION
    from render import frames

    js = (Path(__file__).resolve().parent.parent / "web" / "js" / "protocol.js").read_text()
    for name in ("FLAG_KEYFRAME", "FLAG_INTERPOLATED", "FLAG_MATTE"):
        found = re.search(rf"\b{name} = (\d+)", js)
        assert found and int(found.group(1)) == getattr(frames, name), name
    assert re.search(r"PROTOCOL_VERSION = (\d+)", js).group(1) == str(PROTOCOL_VERSION)
    assert f'"{FRAME_MAGIC.decode()}"' in js

"""The server's behaviour on loopback with fake engines: turns, barge-in, viewers, reconnect, bad input,
slow consumers, MJPEG, health, metrics, shutdown. Every message the server sends is checked against the
protocol schema. (The real engines are driven by tests/test_realtime_integration.py.)"""
from __future__ import annotations

import asyncio
import re
import socket
import time

import aiohttp
import pytest

from realtime.client import ClientError
from realtime.state import STATE
from tests.realtime_fakes import FakeAvatarRenderer, FakeChatEngine, FakeSafetyGate
from tests.realtime_servers import run, serving


def test_full_turn_streams_paced_tokens_frames_expression_and_done():
    async def body():
        chat = FakeChatEngine(token_delay_s=0.0)
        async with serving({"stream.speech_chars_per_s": 40}, chat=chat) as s:
            c = s.client()
            hello = await c.connect()
            assert hello["user"].startswith("u-") and hello["resumed"] is False and hello["accepted"]["size"] == 256
            assert hello["credential"] and hello["viewer_key"] and hello["credential_expires_at"]
            await c.wait_frames(3)
            t0 = time.monotonic()
            deltas, done = await c.turn("안녕!")
            took = time.monotonic() - t0
            assert "".join(d["text"] for d in deltas) == done["text"] == "안녕하세요! 저는 오로라예요."
            assert [d["index"] for d in deltas] == list(range(len(deltas)))
            pts = [d["pts_ms"] for d in deltas]
            assert pts == sorted(pts)
            # paced to speech: the LLM gave everything at once, the text still took its spoken time
            spoken = sum(len(d["text"]) for d in deltas[:-1]) / 40
            assert took >= 0.8 * spoken and pts[-1] - pts[0] >= 0.8 * spoken * 1000
            assert done["interrupted"] is False and done["memory"] == {"key": "name", "value": "민수"}
            assert done["expression"] == {"eyes": "wide", "mouth": "small", "head": "slightly left"}
            types = [m["type"] for _, m in c.received]
            assert types.index("expression") < types.index("chat.done")
            avatar = s.engines.avatar.sessions[0]
            calls = [k[0] for k in avatar.calls]
            assert calls[0] == "answer_started" and calls.count("token") == len(deltas)
            assert ("expression", "wide", "small", "slightly left") in avatar.calls and "answer_ended" in calls
            assert chat.messages == [(c.user, "안녕!")]
            frames = list(c.frames)
            assert all(f.data[:2] == b"\xff\xd8" for f in frames)
            seqs = [f.header.seq for f in frames]
            assert seqs == sorted(seqs)
    run(body())


def test_her_clock_is_the_users_time_zone_from_hello():
    async def body():
        chat = FakeChatEngine(token_delay_s=0.0)
        async with serving({}, chat=chat) as s:
            seoul = s.client(utc_offset_min=540)
            await seoul.connect()
            await seoul.turn("오늘 며칠이야?")
            plain = s.client()
            await plain.connect()
            await plain.turn("지금 몇 시야")
            bad = s.client(utc_offset_min=5000)
            with pytest.raises(ClientError, match="bad_message"):
                await bad.connect()
        assert chat.times[0].utcoffset().total_seconds() == 9 * 3600      # the user's, not the server's
        assert chat.times[1].utcoffset() == chat.times[1].astimezone().utcoffset()  # no offset sent: the server's
    run(body())


def test_cancel_stops_the_answer_and_keeps_only_the_shown_text():
    async def body():
        chat = FakeChatEngine(tokens=[f"단어{i} " for i in range(40)], token_delay_s=0.05)
        async with serving(chat=chat) as s:
            c = s.client()
            await c.connect()
            await c.say("길게 말해줘")
            await c.wait_for("chat.delta")
            await c.wait_for("chat.delta")
            t0 = time.monotonic()
            await c.cancel()
            done = await c.wait_for("chat.done")
            assert time.monotonic() - t0 < 1.0  # the benchmark measures the real figure (target 100 ms)
            assert done["interrupted"] is True
            shown = "".join(m["text"] for _, m in c.received if m["type"] == "chat.delta")
            assert done["text"] == shown and 0 < len(shown) < len("".join(chat.tokens))
            assert chat.interrupted == [(c.user, shown)]
            await asyncio.sleep(0.3)
            done_at = next(t for t, m in c.received if m is done)
            assert not [m for t, m in c.received if t > done_at and m["type"] == "chat.delta"]
            assert any(k[0] == "cancel" for k in s.engines.avatar.sessions[0].calls)
            assert c.hello is not None and not c.ws.closed
    run(body())


def test_new_message_while_talking_interrupts_then_answers():
    async def body():
        chat = FakeChatEngine(tokens=[f"w{i} " for i in range(30)], token_delay_s=0.03)
        async with serving({"stream.speech_chars_per_s": 200}, chat=chat) as s:
            c = s.client()
            await c.connect()
            await c.say("first")
            await c.wait_for("chat.delta")
            await c.say("second")
            first = await c.wait_for("chat.done")
            assert first["turn"] == 1 and first["interrupted"]
            second = await c.wait_for("chat.done", timeout=20)
            assert second["turn"] == 2 and not second["interrupted"] and second["text"] == "".join(chat.tokens)
            assert len(chat.interrupted) == 1 and [m for _, m in chat.messages] == ["first", "second"]
    run(body())


def test_viewers_join_by_viewer_key_or_credential_and_get_the_same_frames_read_only():
    async def body():
        async with serving() as s:
            chat = s.client()
            await chat.connect()
            v1 = s.client(role="viewer", viewer_key=chat.viewer_key)
            v2 = s.client(role="viewer", credential=chat.credential)  # the owner's second screen
            for v in (v1, v2):
                hello = await v.connect()
                assert hello["session"] == chat.session_id and hello["role"] == "viewer"
            await asyncio.gather(*(x.wait_frames(5) for x in (chat, v1, v2)))
            assert len(s.engines.avatar.sessions) == 1  # rendered once for everyone
            deltas, done = await chat.turn("hi")
            viewer_done = await v1.wait_for("chat.done")
            assert viewer_done["text"] == done["text"]
            await v1.say("let me talk")
            err = await v1.wait_for("error")
            assert err["code"] == "read_only" and not err["fatal"]
            stats = await chat.wait_for("stats")
            assert stats["sockets"] == 3
            other = s.client()
            await other.connect()
            key = other.viewer_key
            await other.close()
            await asyncio.sleep(0.1)
            registry = s.app[STATE].registry
            await registry.close(registry.by_user[other.user], "session_ended", "over")
            lost = s.client(role="viewer", viewer_key=key)  # a valid key, but that user has no live session
            with pytest.raises(ClientError) as e:
                await lost.connect()
            assert e.value.error["code"] == "unknown_session" and e.value.error["fatal"]
    run(body())


def test_reconnect_within_grace_resumes_and_after_grace_starts_fresh():
    async def body():
        async with serving({"server.reconnect_grace_s": 0.6}) as s:
            a = s.client()
            await a.connect()
            await a.turn("기억해줘")
            viewer = s.client(role="viewer", viewer_key=a.viewer_key)
            await viewer.connect()
            await a.close()
            await asyncio.sleep(0.2)
            b = s.client(credential=a.credential)
            hello = await b.connect()
            assert hello["resumed"] and hello["session"] == a.session_id
            assert [t["role"] for t in hello["transcript"]] == ["user", "assistant"]
            assert hello["transcript"][0]["text"] == "기억해줘"
            await b.wait_frames(3)
            await b.close()
            ended = await viewer.wait_for("error", timeout=5)
            assert ended["code"] == "session_ended" and ended["fatal"]
            c = s.client(credential=b.credential)
            hello = await c.connect()
            assert not hello["resumed"] and hello["session"] != a.session_id and hello["transcript"] == []
            assert hello["user"] == a.user  # the same user (her memories stay), in a new session
            assert s.engines.avatar.sessions[0].closed
    run(body())


@pytest.mark.parametrize("raw, code", [
    ("{oops", "bad_json"),
    ('{"type": "teleport"}', "unknown_type"),
    ('{"type": "chat.send", "text": 5}', "bad_message"),
    ("x" * 5000, "too_large"),
    (b"\x00\x01binary", "binary_not_accepted"),
])
def test_bad_input_gets_an_error_and_the_connection_stays(raw, code):
    async def body():
        async with serving({"server.max_message_bytes": 4096}) as s:
            bystander = s.client()
            await bystander.connect()
            c = s.client()
            await c.connect()
            await c.send_raw(raw)
            err = await c.wait_for("error")
            assert err["code"] == code and err["fatal"] is False
            if code == "too_large":
                assert err["limit"] == 4096
            await c.send({"type": "ping", "t": 1.5})
            pong = await c.wait_for("pong")
            assert pong["t"] == 1.5
            deltas, done = await c.turn("still here?")
            assert done["text"]
            n = bystander.frames_received
            await bystander.wait_frames(3)
            assert bystander.frames_received > n
            assert not [m for _, m in bystander.received if m["type"] == "error"]
    run(body())


def test_wrong_version_and_missing_hello():
    async def body():
        async with serving() as s:
            c = s.client()
            await c.open_socket()
            await c.say("hi before hello")
            err = await c.wait_for("error")
            assert err["code"] == "hello_required" and not err["fatal"]
            await c.send({"type": "hello", "version": 99, "role": "chat"})
            err = await c.wait_for("error")
            assert err["code"] == "bad_version" and err["fatal"] and err["supported"] == [2]
            with pytest.raises(ClientError):
                await c.next_message(timeout=3)
            assert c.close_code == 1008
    run(body())


def test_rate_limit_drops_excess_messages_and_keeps_the_socket():
    async def body():
        async with serving({"server.rate_limit_per_s": 5, "server.rate_burst": 5}) as s:
            c = s.client()
            await c.connect()
            for i in range(30):
                await c.send({"type": "ping", "t": i})
            err = await c.wait_for("error")
            assert err["code"] == "rate_limited" and not err["fatal"] and err["retry_after_ms"] == 200
            pongs = [m for _, m in c.received if m["type"] == "pong"]
            assert len(pongs) <= 6
            await asyncio.sleep(1.0)
            await c.send({"type": "ping", "t": 99})
            pong = await c.wait_for("pong")
            assert pong["t"] == 99
    run(body())


def _small_buffer_socket(addr_info):
    sock = socket.socket(addr_info[0], addr_info[1], addr_info[2])
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    return sock


@pytest.mark.slow  # seconds of real-time streaming
def test_a_slow_consumer_drops_frames_without_slowing_a_fast_one():
    async def body():
        async with serving({"stream.queue_frames": 2}, avatar=FakeAvatarRenderer(noise=True)) as s:
            chat = s.client(fps=30, size=512, quality=95)  # ~100 kB frames
            await chat.connect()
            fast = s.client(role="viewer", viewer_key=chat.viewer_key)
            await fast.connect()
            slow = s.client(role="viewer", viewer_key=chat.viewer_key, frame_delay_s=0.25, stale_frame_ms=None)
            slow._http = None
            # The slow viewer has a tiny receive buffer so that the server feels it at once.
            await slow.open_socket()
            await slow.ws.close()
            await slow._http.close()
            slow._http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(socket_factory=_small_buffer_socket))
            slow.ws = await slow._http.ws_connect(slow.url, max_msg_size=0)
            slow._reader = asyncio.create_task(slow._read())
            await slow.send({"type": "hello", "version": 2, "role": "viewer", "viewer_key": chat.viewer_key})
            await asyncio.sleep(1.0)
            start = (fast.frames_received, chat.frames_received)
            t0 = time.monotonic()
            await asyncio.sleep(3.0)
            dt = time.monotonic() - t0
            fast_fps = (fast.frames_received - start[0]) / dt
            chat_fps = (chat.frames_received - start[1]) / dt
            assert fast_fps > 20 and chat_fps > 20, (fast_fps, chat_fps)
            state = s.app[STATE]
            session = state.registry.find(chat.session_id)
            assert session is not None
            slow_peer = max(session.peers, key=lambda p: p.frames_dropped)
            assert slow_peer.frames_dropped > 10
            assert all(len(p.frames) <= 2 for p in session.peers)  # bounded: memory cannot grow
            assert slow.frames_received < fast.frames_received / 2
    run(body())


def test_mjpeg_stream_serves_the_session_frames():
    async def body():
        async with serving() as s:
            c = s.client()
            await c.connect()
            async with aiohttp.ClientSession() as http:
                async with http.get(f"{s.base}/stream.mjpg?viewer={c.viewer_key}") as r:
                    assert r.status == 200
                    assert r.headers["Content-Type"].startswith("multipart/x-mixed-replace")
                    data = b""
                    while data.count(b"\xff\xd8") < 3:
                        data += await r.content.readany()
                    assert b"--ohloraframe\r\nContent-Type: image/jpeg" in data
                async with http.get(f"{s.base}/stream.mjpg?credential={c.credential}") as r:
                    assert r.status == 200
                    await r.content.readany()
                for query in (f"user={c.user}", f"session={c.session_id}", "viewer=v1.bm9wZQ.0.forged"):
                    async with http.get(f"{s.base}/stream.mjpg?{query}") as r:  # names are not credentials
                        assert r.status == 401
    run(body())


def test_healthz_and_metrics():
    async def body():
        async with serving() as s:
            c = s.client()
            await c.connect()
            await c.turn("hello")
            async with aiohttp.ClientSession() as http:
                async with http.get(f"{s.base}/healthz") as r:
                    health = await r.json()
                    assert r.status == 200 and health["status"] == "ok" and health["sessions"] == 1
                async with http.get(f"{s.base}/metrics") as r:
                    text = await r.text()
            assert r.headers["Content-Type"].startswith("text/plain")
            values = {line.split(" ")[0]: float(line.split(" ")[1]) for line in text.splitlines()
                      if line and not line.startswith("#")}
            assert values["ohlora_sessions"] == 1 and values['ohlora_sockets{role="chat"}'] == 1
            assert values["ohlora_frames_sent_total"] > 0 and values["ohlora_tokens_sent_total"] == 6
            assert values["ohlora_turns_total"] == 1 and "ohlora_frames_dropped_total" in values
            assert "ohlora_queue_depth_max" in values and "ohlora_frames_delivered_per_second" in values
            # each engine's own figures (Engines.stats)
            assert values["ohlora_render_sessions"] == 1 and values["ohlora_dialogue_turns"] == 1
    run(body())


def test_origin_check_and_shared_token():
    async def body():
        async with serving({"server.token": "s3cret", "server.allowed_origins": ["https://studio.example"]}) as s:
            evil = s.client(origin="https://evil.example")
            with pytest.raises(aiohttp.WSServerHandshakeError) as e:
                await evil.open_socket()
            assert e.value.status == 403
            no_token = s.client(origin="https://studio.example")
            with pytest.raises(ClientError) as e:
                await no_token.connect()
            assert e.value.error["code"] == "unauthorized" and e.value.error["fatal"]
            ok = s.client(token="s3cret", origin=s.base)
            await ok.connect()
            async with aiohttp.ClientSession() as http:
                async with http.get(f"{s.base}/stream.mjpg?viewer={ok.viewer_key}") as r:
                    assert r.status == 401
    run(body())


def test_a_blocked_user_is_told_until_when():
    async def body():
        async with serving(safety=FakeSafetyGate()) as s:
            first = s.client()
            await first.connect()
            await first.close()
            s.engines.safety.blocked_users.add(first.user)
            c = s.client(credential=first.credential)
            with pytest.raises(ClientError) as e:
                await c.connect()
            err = e.value.error
            assert err["code"] == "blocked" and err["fatal"] and "T" in err["blocked_until"]
            assert re.search(r"[+-]\d\d:\d\d$", err["blocked_until"])  # an offset: the page shows local time
            ok = s.client()
            await ok.connect()
            s.engines.safety.blocked_users.add(ok.user)
            await ok.say("hi")
            err = await ok.wait_for("error")
            assert err["code"] == "blocked" and not err["fatal"]
    run(body())


def test_expression_controls_reach_the_avatar():
    async def body():
        async with serving() as s:
            c = s.client()
            hello = await c.connect()
            assert set(hello["capabilities"]["controls"]) >= {"eyes", "mouth", "yaw"}
            await c.set_controls({"eyes": 1.5, "yaw": -0.5})
            await c.send({"type": "ping"})
            await c.wait_for("pong")
            assert s.engines.avatar.sessions[0].controls == {"eyes": 1.5, "yaw": -0.5}
            await c.set_controls(None)
            await c.send({"type": "ping"})
            await c.wait_for("pong")
            assert s.engines.avatar.sessions[0].controls is None
        async with serving({"stream.allow_controls": False}) as s:
            c = s.client()
            await c.connect()
            await c.set_controls({"eyes": 1})
            assert (await c.wait_for("error"))["code"] == "controls_disabled"
    run(body())


def test_an_engine_failure_ends_the_turn_not_the_session():
    async def body():
        chat = FakeChatEngine()
        async with serving(chat=chat) as s:
            c = s.client()
            await c.connect()
            chat.fail = True
            await c.say("break")
            err = await c.wait_for("error")
            assert err["code"] == "internal" and not err["fatal"]
            assert (await c.wait_for("chat.done"))["interrupted"]
            chat.fail = False
            _, done = await c.turn("again")
            assert done["text"] and not done["interrupted"]
    run(body())


def test_graceful_shutdown_ends_answers_cleanly_and_flushes_memories():
    async def body():
        chat = FakeChatEngine(tokens=[f"t{i} " for i in range(200)], token_delay_s=0.05)
        async with serving({"server.shutdown_timeout_s": 0.3}, chat=chat) as s:
            c = s.client()
            await c.connect()
            await c.say("talk forever")
            await c.wait_for("chat.delta")
            await s.server.close()
            done = await c.wait_for("chat.done")
            assert done["interrupted"]
            bye = await c.wait_for("error")
            assert bye["code"] == "server_shutdown" and bye["fatal"]
            assert chat.closed and s.engines.avatar.stopped
            assert chat.interrupted and chat.interrupted[0][1] == done["text"]
    run(body())


def test_new_settings_on_resume_change_the_stream_not_the_conversation():
    async def body():
        async with serving() as s:
            a = s.client(size=256)
            await a.connect()
            await a.turn("hi")
            await a.close()
            b = s.client(credential=a.credential, size=128, fps=15)
            hello = await b.connect()
            assert hello["resumed"] and hello["accepted"]["size"] == 128 and hello["accepted"]["fps"] == 15
            assert len(hello["transcript"]) == 2
            await b.wait_frames(3)
            assert b.frames[-1].header.width == 128
            assert s.engines.avatar.sessions[0].closed and len(s.engines.avatar.sessions) == 2
    run(body())


class FakeMatte:
    def __init__(self):
        self.calls = 0

    def matte_jpeg(self, jpeg: bytes) -> bytes:
        self.calls += 1
        return b"\xff\xd8matte" + len(jpeg).to_bytes(4, "little")


def test_a_matte_plane_goes_only_to_sockets_that_asked_for_it():
    async def body():
        matte = FakeMatte()
        async with serving(matte=matte) as s:
            chat = s.client()
            hello = await chat.connect()
            assert hello["capabilities"]["matte"] is True and hello["accepted"]["matte"] is False
            await chat.wait_frames(3)
            assert matte.calls == 0 and all(f.matte is None for f in chat.frames)
            obs = s.client(role="viewer", viewer_key=chat.viewer_key, matte=True)
            assert (await obs.connect())["accepted"]["matte"] is True
            await obs.wait_frames(5)
            f = obs.frames[-1]
            assert f.matte.startswith(b"\xff\xd8matte") and f.header.flags & 4
            assert int.from_bytes(f.matte[-4:], "little") == len(f.data)  # the matte of this very frame
            assert all(x.matte is None for x in list(chat.frames)[-3:])
        async with serving() as s:  # no matte engine: the page is told, and falls back
            c = s.client(matte=True)
            hello = await c.connect()
            assert hello["capabilities"]["matte"] is False and hello["accepted"]["matte"] is False
    run(body())

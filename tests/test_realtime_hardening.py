"""The probes of an outside test, one test each: takeover attempts, text that poisons a session, non-finite
numbers, capacity taken by leavers, stale frames after a pause, foreign Host headers, drain and shutdown."""
from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

import aiohttp
import pytest

from realtime.client import ClientError, OhloraClient
from realtime.identity import CredentialError, IdentityStore
from realtime.metrics import ServerMetrics
from realtime.peers import Peer
from realtime.state import STATE
from tests.realtime_servers import ROOT, free_port, run, serving


# --- identity --------------------------------------------------------------------------------------------
def test_credentials_are_signed_expire_and_survive_a_restart(tmp_path):
    store = IdentityStore(tmp_path / "identity.json", credential_ttl_s=60)
    user = store.new_user_id()
    cred = store.issue(user)
    assert store.verify(cred.token) == user
    again = IdentityStore(tmp_path / "identity.json")  # a restart: the same secret from the file
    assert again.verify(cred.token) == user
    assert oct((tmp_path / "identity.json").stat().st_mode & 0o777) == "0o600"
    head, name, expires, mac = cred.token.split(".")
    forged_user = IdentityStore.new_user_id()
    import base64
    forged = ".".join([head, base64.urlsafe_b64encode(forged_user.encode()).decode().rstrip("="), expires, mac])
    with pytest.raises(CredentialError, match="not issued"):
        store.verify(forged)
    with pytest.raises(CredentialError, match="not issued"):
        store.verify(".".join([head, name, str(int(expires) + 10**6), mac]))  # a longer life, same mac
    with pytest.raises(CredentialError, match="expired"):
        store.verify(cred.token, now=time.time() + 120)
    with pytest.raises(CredentialError):
        IdentityStore(tmp_path / "other.json").verify(cred.token)  # another server's secret
    with pytest.raises(CredentialError):
        store.verify(store.viewer_key(user))  # a viewer key is not a credential
    key = store.viewer_key(user)
    assert store.verify_viewer_key(key) == user and store.viewer_key(user) == key  # stable until revoked
    new = store.revoke_viewer_keys(user)
    with pytest.raises(CredentialError, match="revoked"):
        IdentityStore(tmp_path / "identity.json").verify_viewer_key(key)  # revocation survives a restart
    assert IdentityStore(tmp_path / "identity.json").verify_viewer_key(new) == user


def test_nobody_takes_over_another_users_session_by_naming_it():
    async def body():
        async with serving() as s:
            owner = s.client()
            await owner.connect()
            await owner.turn("내 비밀은 고양이 이름이 나비라는 거야")
            # protocol 1's way: the user id as identity
            old = s.client()
            await old.open_socket()
            await old.send({"type": "hello", "version": 1, "role": "chat", "user": owner.user})
            err = await old.wait_for("error")
            assert err["code"] == "bad_version" and err["fatal"] and "credential" in err["message"]
            for hello in ({"user": owner.user}, {"session": owner.session_id}):
                c = s.client()
                await c.open_socket()
                await c.send({"type": "hello", "version": 2, "role": "chat", **hello})
                assert (await c.wait_for("error"))["code"] == "bad_message"
            # a forged or foreign credential, and a viewer key used as one
            for fake in (owner.credential[:-4] + "AAAA", owner.viewer_key):
                intruder = s.client(credential=fake)
                with pytest.raises(ClientError) as e:
                    await intruder.connect()
                assert e.value.error["code"] == "unauthorized" and e.value.error["fatal"]
                assert intruder.close_code == 1008
            # a viewer without a key, or naming the user: nothing
            for hello in ({}, {"user": owner.user}, {"session": owner.session_id}):
                peek = s.client(role="viewer")
                await peek.open_socket()
                await peek.send({"type": "hello", "version": 2, "role": "viewer", **hello})
                assert (await peek.wait_for("error"))["code"] in ("unauthorized", "bad_message")
            # a new client without a credential is a new user, never the owner
            stranger = s.client()
            hello = await stranger.connect()
            assert hello["user"] != owner.user and hello["transcript"] == []
            # nobody else's socket received the owner's words
            for c in s.clients:
                if c is not owner:
                    assert not any("나비" in json.dumps(m, ensure_ascii=False) for _, m in c.received)
            assert {user for user, _ in s.engines.chat.messages} == {owner.user}
    run(body())


def test_the_owner_revokes_viewer_links():
    async def body():
        async with serving() as s:
            owner = s.client()
            await owner.connect()
            old_key = owner.viewer_key
            obs = s.client(role="viewer", viewer_key=old_key)
            await obs.connect()
            second_screen = s.client(role="viewer", credential=owner.credential)
            await second_screen.connect()
            async with aiohttp.ClientSession() as http:
                mjpeg = await http.get(f"{s.base}/stream.mjpg?viewer={old_key}")
                assert mjpeg.status == 200
                reply = await owner.revoke_viewers()
                assert reply["closed"] == 2 and reply["viewer_key"] != old_key  # obs and the MJPEG reader
                err = await obs.wait_for("error")
                assert err["code"] == "revoked" and err["fatal"]
                await asyncio.sleep(0.3)
                assert obs.close_code == 1008
                mjpeg.close()
                async with http.get(f"{s.base}/stream.mjpg?viewer={old_key}") as r:
                    assert r.status == 401
                async with http.get(f"{s.base}/stream.mjpg?viewer={reply['viewer_key']}") as r:
                    assert r.status == 200
            again = s.client(role="viewer", viewer_key=old_key)
            with pytest.raises(ClientError) as e:
                await again.connect()
            assert e.value.error["code"] == "unauthorized"
            fresh = s.client(role="viewer", viewer_key=reply["viewer_key"])
            await fresh.connect()
            await second_screen.wait_frames(3)  # the owner's own screen was not revoked
            await fresh.wait_frames(2)
    run(body())


def test_the_proxy_header_names_the_user_only_from_a_trusted_proxy():
    async def body():
        async with serving({"server.user_header": "X-Forwarded-User"}) as s:
            a = s.client(headers={"X-Forwarded-User": "alice@example.com"})
            assert (await a.connect())["user"] == "alice@example.com"
            await a.turn("hi")
            await a.close()
            b = s.client(headers={"X-Forwarded-User": "alice@example.com"})
            hello = await b.connect()
            assert hello["resumed"] and len(hello["transcript"]) == 2
            nobody = s.client()
            with pytest.raises(ClientError) as e:
                await nobody.connect()
            assert e.value.error["code"] == "unauthorized"
        async with serving({"server.user_header": "X-Forwarded-User", "server.trusted_proxies": ["10.9.9.9"]}) as s:
            spoof = s.client(headers={"X-Forwarded-User": "alice@example.com"})  # 127.0.0.1 is not the proxy
            with pytest.raises(ClientError) as e:
                await spoof.connect()
            assert e.value.error["code"] == "unauthorized"
    run(body())


# --- text and numbers at the edge --------------------------------------------------------------------------
def test_a_lone_surrogate_is_refused_and_poisons_nothing():
    async def body():
        async with serving() as s:
            owner = s.client()
            await owner.connect()
            viewer = s.client(role="viewer", viewer_key=owner.viewer_key)
            await viewer.connect()
            for raw in ('{"type": "chat.send", "text": "hi \\ud800"}',
                        '{"type": "chat.send", "text": "hi", "id": "\\ud800"}',
                        '{"type": "ping", "t": 1, "x": "\\udc00"}'):
                await owner.send_raw(raw)
                err = await owner.wait_for("error")
                assert err["code"] == "bad_message" and not err["fatal"] and "surrogate" in err["message"]
            assert s.engines.chat.messages == []  # nothing reached the engine or the transcript
            _, done = await owner.turn("still fine?")
            assert done["text"]
            await owner.close()
            again = s.client(credential=owner.credential)
            hello = await again.connect()
            assert [t["text"] for t in hello["transcript"]][0] == "still fine?"
            _, done = await again.turn("and now?")
            assert done["text"]
            n = viewer.frames_received
            await viewer.wait_frames(5)
            assert viewer.frames_received > n
        async with serving() as s:  # the same character in hello fields: bad_message, not silence
            c = s.client()
            await c.open_socket()
            await c.send_raw('{"type": "hello", "version": 2, "role": "chat", "token": "\\ud800"}')
            err = await c.wait_for("error")
            assert err["code"] == "bad_message"
            await c.send({"type": "hello", "version": 2, "role": "chat"})
            assert (await c.wait_for("hello"))["role"] == "chat"
    run(body())


def test_non_finite_numbers_and_unknown_controls_are_bad_messages():
    async def body():
        async with serving() as s:
            c = s.client()
            await c.open_socket()
            await c.send_raw('{"type": "hello", "version": 2, "role": "chat", "fps": NaN}')
            assert (await c.wait_for("error"))["code"] == "bad_message"
            await c.send_raw('{"type": "ping", "t": NaN}')
            assert (await c.wait_for("error"))["code"] == "bad_message"
            await c.send({"type": "hello", "version": 2, "role": "chat"})
            await c.wait_for("hello")
            for raw in ('{"type": "expression", "controls": {"eyes": NaN}}',
                        '{"type": "expression", "controls": {"eyes": Infinity}}',
                        '{"type": "expression", "controls": {"eyes": 1e400}}',
                        '{"type": "expression", "controls": {"smile": 1}}'):
                await c.send_raw(raw)
                err = await c.wait_for("error")
                assert err["code"] == "bad_message" and not err["fatal"], err
            assert s.engines.avatar.sessions[0].controls is None  # the face was never handed a bad value
            await c.send_raw('{"type": "ping", "t": 1e308}')
            assert (await c.wait_for("pong"))["t"] == 1e308
            await c.wait_frames(3)
    run(body())


class ExplodingSink:
    """A socket whose writes fail with a bug-shaped error (not a connection error)."""

    def __init__(self):
        self.closed_with = None

    async def send_message(self, text: str) -> None:
        raise TypeError("boom")

    async def send_frame(self, frame) -> None:
        raise TypeError("boom")

    async def close(self, code: int, reason: str) -> None:
        self.closed_with = code


def test_a_failing_socket_write_closes_that_socket_and_the_session_goes_on():
    async def body():
        async with serving() as s:
            owner = s.client()
            await owner.connect()
            viewer = s.client(role="viewer", viewer_key=owner.viewer_key)
            await viewer.connect()
            session = s.app[STATE].registry.find(user=owner.user)
            sink = ExplodingSink()
            bad = Peer(sink, "viewer", 2, ServerMetrics(), clock_ms=session.clock_ms)
            bad.start()
            session.attach(bad)
            bad.send({"type": "stats", "clock_ms": 0, "fps": 0.0, "frames_sent": 0, "frames_dropped": 0,
                      "queue_depth": 0, "sockets": 1})
            bad.send({"type": "pong", "clock_ms": 1, "t": float("nan")})  # refused when queued, never written
            await asyncio.wait_for(bad.closed.wait(), 5)
            assert sink.closed_with == 1011
            _, done = await owner.turn("are you there?")
            assert done["text"]
            assert (await viewer.wait_for("chat.done"))["text"] == done["text"]
            n = viewer.frames_received
            await viewer.wait_frames(5)
            assert viewer.frames_received > n
    run(body())


# --- capacity ----------------------------------------------------------------------------------------------
def test_leavers_cannot_fill_the_server_and_one_address_cannot_take_it():
    async def body():
        async with serving({"server.max_sessions": 6, "server.max_sessions_per_address": 4,
                            "server.reconnect_grace_s": 30}) as s:
            for _ in range(12):  # users who connect and leave; their sessions wait out the grace period
                c = s.client()
                await c.connect()
                await c.close()
            newcomer = s.client()
            await newcomer.connect()  # not "server is full": a leaver's session was reclaimed
            stayers = [s.client() for _ in range(3)]
            for c in stayers:
                await c.connect()
            hog = s.client()  # a fifth live session from one address
            with pytest.raises(ClientError) as e:
                await hog.connect()
            assert e.value.error["code"] == "too_many_sessions" and e.value.error["fatal"]
            owner = stayers[0]
            resumed = s.client(credential=owner.credential)  # the same user's second tab is not a session
            assert (await resumed.connect())["resumed"]
            async with aiohttp.ClientSession() as http:
                async with http.get(f"{s.base}/metrics") as r:
                    text = await r.text()
            values = {line.split(" ")[0]: float(line.split(" ")[1]) for line in text.splitlines()
                      if line and not line.startswith("#")}
            assert values['ohlora_refusals_total{reason="address_limit"}'] == 1
            assert values["ohlora_sessions_reclaimed_total"] >= 9
    run(body())


def test_sockets_per_session_are_limited():
    async def body():
        async with serving({"server.max_sockets_per_session": 3}) as s:
            owner = s.client()
            await owner.connect()
            for _ in range(2):
                await s.client(role="viewer", viewer_key=owner.viewer_key).connect()
            extra = s.client(role="viewer", viewer_key=owner.viewer_key)
            with pytest.raises(ClientError) as e:
                await extra.connect()
            assert e.value.error["code"] == "too_many_sessions"
            async with aiohttp.ClientSession() as http:
                async with http.get(f"{s.base}/stream.mjpg?viewer={owner.viewer_key}") as r:
                    assert r.status == 429
    run(body())


# --- stale frames ------------------------------------------------------------------------------------------
@pytest.mark.slow  # seconds of real-time streaming
def test_a_reader_that_paused_gets_fresh_frames_first():
    async def body():
        async with serving({"stream.fps": 30}) as s:
            c = s.client()
            await c.connect()
            await c.wait_frames(5)
            c.frame_delay_s = 4.0  # the reader stops for 4 s after its next frame
            await asyncio.sleep(0.3)
            c.frame_delay_s = 0.0
            await asyncio.sleep(4.2)  # it reads again
            resumed_at = s.app[STATE].registry.find(user=c.user).clock_ms()
            n = len(c.frames)
            await c.wait_frames(5)
            fresh = list(c.frames)[n:]
            assert fresh and fresh[0].header.pts_ms >= resumed_at - 1000, (fresh[0].header.pts_ms, resumed_at)
    run(body())


# --- host check --------------------------------------------------------------------------------------------
def test_a_foreign_host_is_refused_on_every_route():
    async def body():
        async with serving({"server.allowed_hosts": ["avatar.example.com", ".studio.example"]}) as s:
            port = s.base.rsplit(":", 1)[1]
            async with aiohttp.ClientSession() as http:
                for host, ok in ((f"evil.example:{port}", False), (f"127.0.0.1:{port}", True),
                                 (f"localhost:{port}", True), (f"avatar.example.com:{port}", True),
                                 (f"obs.studio.example:{port}", True), (f"[::1]:{port}", True),
                                 (f"192.168.0.7:{port}", True), (f"avatar.example.com.evil:{port}", False)):
                    for path in ("/", "/healthz", "/metrics"):
                        async with http.get(f"{s.base}{path}", headers={"Host": host}) as r:
                            assert (r.status == 403) != ok, (host, path, r.status)
                rebinding = s.client(origin="http://evil.example", headers={"Host": f"evil.example:{port}"})
                with pytest.raises(aiohttp.WSServerHandshakeError) as e:
                    await rebinding.open_socket()
                assert e.value.status == 403
    run(body())


# --- drain and shutdown ------------------------------------------------------------------------------------
def _get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


@pytest.mark.parametrize("timeout_s", [0.0, 0.5, 3.0])
def test_sigterm_drains_answers_and_exits_zero(timeout_s, tmp_path):
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "tests.realtime_test_serve", "--port", str(port),
                             "--fake", "avatar", "--fake", "chat", "--set", f"server.shutdown_timeout_s={timeout_s}",
                             "--set", "stream.speech_chars_per_s=100"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if _get(f"http://127.0.0.1:{port}/healthz")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.1)

        async def body():
            async with OhloraClient(f"ws://127.0.0.1:{port}/ws") as c:
                await c.say("긴 이야기 해 줘")
                await c.wait_for("chat.delta", timeout=10)
                t0 = time.monotonic()
                proc.send_signal(signal.SIGTERM)
                await asyncio.sleep(0.1)
                if timeout_s >= 0.5:  # still listening while the answer finishes
                    status, health = await asyncio.to_thread(_get, f"http://127.0.0.1:{port}/healthz")
                    assert status == 503 and health["status"] == "draining"
                    late = OhloraClient(f"ws://127.0.0.1:{port}/ws")
                    with pytest.raises(ClientError) as e:
                        await late.connect()
                    await late.close()
                    assert e.value.error["code"] == "server_shutdown"
                done = await c.wait_for("chat.done", timeout=timeout_s + 10)
                bye = await c.wait_for("error", timeout=10)
                assert bye["code"] == "server_shutdown" and bye["fatal"]
                with pytest.raises(ClientError):
                    await c.next_message(timeout=10)
                assert c.close_code == 1001
                return done, time.monotonic() - t0

        done, took = asyncio.run(body())
        assert took < timeout_s + 5
        # the scripted answer takes ~0.8 s: a long enough timeout lets it finish
        if timeout_s >= 3.0:
            assert not done["interrupted"]
        code = proc.wait(timeout=30)
        assert code == 0, proc.stdout.read().decode(errors="replace")[-2000:]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

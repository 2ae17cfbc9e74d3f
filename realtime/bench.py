"""`ohlora bench serve`: the real server on loopback, driven by real protocol clients.

Measures what a user feels: first frame after hello, first token after chat.send, frames/s delivered to a
chat client and its viewers (while she answers), and cancel-to-silence. The server runs in its own
process so that the clients do not share its event loop or its CPU time slices.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import aiohttp

from .client import OhloraClient

TARGETS = {"first_frame_ms": 300, "first_token_ms": 500, "fps": 25, "cancel_ms": 100}
QUESTIONS = ["안녕! 오늘 뭐 했어?", "좋아하는 음식이 뭐야?", "Tell me about your day.", "주말에 뭐 할 거야?",
             "What music do you like?", "요즘 재미있는 일 있어?"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def wait_healthy(base: str, timeout: float, proc: subprocess.Popen | None) -> None:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(f"the server exited with code {proc.returncode} before it was ready")
            try:
                async with http.get(f"{base}/healthz") as r:
                    if r.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.25)
    raise RuntimeError(f"the server at {base} was not healthy within {timeout:g} s")


def start_server(port: int, settings: list[str]) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "realtime.cli", "serve", "--port", str(port), "--set", "server.log_level=warning",
           "--set", "server.rate_limit_per_s=1000", "--set", "server.rate_burst=1000",
           "--set", "server.max_sessions=1000", "--set", "server.max_sessions_per_address=1000",
           "--set", "server.max_sockets_per_session=1000"]
    for s in settings:
        cmd += ["--set", s]
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parent.parent))
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


async def first_frame_and_token(ws_url: str, args: argparse.Namespace) -> tuple[list[float], list[float], list[float]]:
    """Per fresh session: hello→first frame; then chat.send→first chat.delta; then cancel→chat.done."""
    first_frame, first_token, cancel = [], [], []
    for i in range(args.turns):
        async with OhloraClient(ws_url, size=args.size, fps=args.fps) as c:
            await c.wait_frames(1, timeout=30)
            first_frame.append((c.first_frame_at - c.hello_sent_at) * 1000)
            t0 = time.monotonic()
            await c.say(QUESTIONS[i % len(QUESTIONS)])
            await c.wait_for("chat.delta", timeout=60)
            first_token.append((time.monotonic() - t0) * 1000)
            await asyncio.sleep(0.3)  # a few words in, she is interrupted
            t1 = time.monotonic()
            await c.cancel()
            done = await c.wait_for("chat.done", timeout=10)
            cancel.append((time.monotonic() - t1) * 1000)
            if not done["interrupted"]:
                cancel[-1] = float("nan")  # the answer had already ended: not a barge-in
            await asyncio.sleep(0.3)
            done_at = next(t for t, m in c.received if m is done)
            if any(t > done_at and m["type"] == "chat.delta" and m["turn"] == done["turn"] for t, m in c.received):
                raise RuntimeError("tokens arrived after the cancel was acknowledged")
    return first_frame, first_token, cancel


async def delivered_fps(ws_url: str, args: argparse.Namespace) -> dict[str, list[float]]:
    """Frames/s per socket over `seconds`, with every session answering a question meanwhile."""
    chats = [OhloraClient(ws_url, size=args.size, fps=args.fps, keep_frames=1, stale_frame_ms=None)
             for i in range(args.sessions)]
    for c in chats:
        await c.connect(timeout=60)
    viewers = [OhloraClient(ws_url, role="viewer", viewer_key=chats[0].viewer_key, keep_frames=1,
                            stale_frame_ms=None)
               for _ in range(args.viewers)]
    for v in viewers:
        await v.connect()
    try:
        await asyncio.sleep(2.0)  # warm-up
        for i, c in enumerate(chats):
            await c.say(QUESTIONS[i % len(QUESTIONS)])
        start = [c.frames_received for c in chats + viewers]
        t0 = time.monotonic()
        await asyncio.sleep(args.seconds)
        dt = time.monotonic() - t0
        rates = [(c.frames_received - s) / dt for c, s in zip(chats + viewers, start)]
        return {"chat": rates[:len(chats)], "viewers": rates[len(chats):]}
    finally:
        await asyncio.gather(*(c.close() for c in chats + viewers), return_exceptions=True)


async def conversing(ws_url: str, args: argparse.Namespace) -> dict[str, list[float]]:
    """`sessions` users each sending the next message as soon as her previous answer ended, with `viewers`
    watching the first, for `converse_s` seconds: first chat.delta after each chat.send (ms), answer times
    (s, from chat.done's timings) and frames/s per socket over the whole time."""
    chats = [OhloraClient(ws_url, size=args.size, fps=args.fps, keep_frames=1, stale_frame_ms=None)
             for _ in range(args.sessions)]
    for c in chats:
        await c.connect(timeout=60)
    viewers = [OhloraClient(ws_url, role="viewer", viewer_key=chats[0].viewer_key, keep_frames=1,
                            stale_frame_ms=None) for _ in range(args.viewers)]
    for v in viewers:
        await v.connect()
    first_token: list[float] = []
    answer_s: list[float] = []
    try:
        await asyncio.sleep(1.0)
        start = [c.frames_received for c in chats + viewers]
        t0 = time.monotonic()

        async def user(i: int, c: OhloraClient) -> None:
            turn = 0
            while time.monotonic() - t0 < args.converse_s:
                sent = time.monotonic()
                await c.say(QUESTIONS[(i + turn) % len(QUESTIONS)])
                await c.wait_for("chat.delta", timeout=120)
                first_token.append((time.monotonic() - sent) * 1000)
                done = await c.wait_for("chat.done", timeout=120)
                answer_s.append(float((done.get("timings") or {}).get("answer_s", float("nan"))))
                turn += 1

        await asyncio.gather(*(user(i, c) for i, c in enumerate(chats)))
        dt = time.monotonic() - t0
        rates = [(c.frames_received - s) / dt for c, s in zip(chats + viewers, start)]
        return {"first_token": first_token, "answer_s": answer_s, "chat_fps": rates[:len(chats)],
                "viewer_fps": rates[len(chats):]}
    finally:
        await asyncio.gather(*(c.close() for c in chats + viewers), return_exceptions=True)


def _percentile(values: list[float], q: float) -> float:
    values = sorted(v for v in values if v == v)
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def _median(values: list[float]) -> float:
    values = [v for v in values if v == v]
    return statistics.median(values) if values else float("nan")


def run_bench_serve(args: argparse.Namespace) -> int:
    proc = None
    if args.url:
        base = args.url.rstrip("/")
    else:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        print(f"starting the server on {base} …", file=sys.stderr)
        proc = start_server(port, args.set)
    ws_url = base.replace("http", "ws", 1) + "/ws"
    try:
        asyncio.run(wait_healthy(base, 600, proc))
        print("measuring latency (first frame, first token, cancel) …", file=sys.stderr)
        ff, ft, cancel = asyncio.run(first_frame_and_token(ws_url, args))
        print(f"measuring frames/s: {args.sessions} session(s), {args.viewers} viewer(s), {args.seconds:g} s …",
              file=sys.stderr)
        fps = asyncio.run(delivered_fps(ws_url, args))
        talk = None
        if args.converse_s > 0:
            print(f"measuring a conversation: {args.sessions} user(s) each sending the next message when her answer "
                  f"ends, {args.viewers} viewer(s), {args.converse_s:g} s …", file=sys.stderr)
            talk = asyncio.run(conversing(ws_url, args))
    finally:
        if proc is not None:
            proc.terminate()
            try:
                _, err = proc.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                _, err = proc.communicate()
            if proc.returncode not in (0, -15) and err:
                print(err[-2000:], file=sys.stderr)
    rows = [
        ("first frame after hello (ms, median)", _median(ff), f"≤ {TARGETS['first_frame_ms']}",
         _median(ff) <= TARGETS["first_frame_ms"]),
        ("first token after chat.send (ms, median)", _median(ft), f"≤ {TARGETS['first_token_ms']}",
         _median(ft) <= TARGETS["first_token_ms"]),
        ("cancel to chat.done, no tokens after (ms, median)", _median(cancel), f"≤ {TARGETS['cancel_ms']}",
         _median(cancel) <= TARGETS["cancel_ms"]),
        (f"frames/s to each chat client ({args.sessions} session(s), min)", min(fps["chat"]),
         f"≥ {TARGETS['fps']}", min(fps["chat"]) >= TARGETS["fps"]),
    ]
    if fps["viewers"]:
        rows.append((f"frames/s to each of {args.viewers} viewers (min)", min(fps["viewers"]),
                     f"≥ {TARGETS['fps']}", min(fps["viewers"]) >= TARGETS["fps"]))
    if talk is not None:
        ft_all = talk["first_token"]
        rows += [(f"first token while {args.sessions} user(s) converse (ms, median)", _median(ft_all),
                  f"≤ {TARGETS['first_token_ms']}", _median(ft_all) <= TARGETS["first_token_ms"]),
                 (f"first token while {args.sessions} user(s) converse (ms, p90)", _percentile(ft_all, 0.9), "—", True),
                 (f"first token while {args.sessions} user(s) converse (ms, worst)", max(ft_all, default=float("nan")),
                  "—", True),
                 ("frames/s to each chat client while conversing (min)", min(talk["chat_fps"]), f"≥ {TARGETS['fps']}",
                  min(talk["chat_fps"]) >= TARGETS["fps"])]
        if talk["viewer_fps"]:
            rows.append(("frames/s to each viewer while conversing (min)", min(talk["viewer_fps"]),
                         f"≥ {TARGETS['fps']}", min(talk["viewer_fps"]) >= TARGETS["fps"]))
    lines = ["| measure | value | target | met |", "|---|---:|---|---|"]
    lines += [f"| {name} | {value:.1f} | {target} | {'yes' if ok else 'no'} |" for name, value, target, ok in rows]
    body = (f"`ohlora bench serve --size {args.size} --fps {args.fps:g} --sessions {args.sessions} --viewers "
            f"{args.viewers}" + (f" --converse-s {args.converse_s:g}" if args.converse_s > 0 else "")
            + f"` ({args.turns} turns for the latency medians, {args.seconds:g} s of streaming while "
            f"every session answers; settings: {', '.join(args.set) or 'defaults'})."
            + (f" Server: {args.label}." if args.label else "") + "\n\n" + "\n".join(lines)
            + f"\n\nRaw: first frame {[round(x) for x in ff]} ms, first token {[round(x) for x in ft]} ms, "
              f"cancel {[round(x) for x in cancel]} ms, chat fps {[round(x, 1) for x in fps['chat']][:16]}, "
              f"viewer fps {[round(x, 1) for x in fps['viewers']]}."
            + (f" Conversation ({args.converse_s:g} s): {len(talk['first_token'])} answers, first tokens "
               f"{sorted(round(x) for x in talk['first_token'])} ms, answer time median {_median(talk['answer_s']):.2f} s."
               if talk is not None else ""))
    print(body)
    if not args.no_write:
        from weights.benchdoc import write_section

        name = "serve" if args.sessions == 1 else f"serve-{args.sessions}x{args.size}"
        path = write_section(name, f"Realtime server ({args.sessions} session(s), {args.size}²)", body)
        print(f"written to {path}", file=sys.stderr)
    return 0

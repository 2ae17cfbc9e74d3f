"""Fakes of the avatar and dialogue engines for the server's unit tests (never used by `ohlora serve`)."""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import cv2
import numpy as np

from dialogue.interfaces import Expression, Memory, SafetyVerdict, TokenEvent, TurnDone
from render.frames import EncodedFrame



class FakeAvatarSession:
    def __init__(self, size: int, fps: float, quality: int, noise: bool = False):
        self.size, self.fps, self.quality, self.noise = size, fps, quality, noise
        self.t0 = time.monotonic()
        self.calls: list[tuple] = []
        self.mouth_open = False
        self.watched = False
        self.closed = False
        self.controls: dict | None = None

    def now(self) -> float:
        return time.monotonic() - self.t0

    def answer_started(self, at=None): self.calls.append(("answer_started",))
    def token(self, text, at=None):
        self.mouth_open = True
        self.calls.append(("token", text, self.now()))
    def answer_ended(self, at=None):
        self.mouth_open = False
        self.calls.append(("answer_ended",))
    def cancel(self, at=None):
        self.mouth_open = False
        self.calls.append(("cancel", self.now()))
    def set_expression(self, eyes, mouth, head, at=None): self.calls.append(("expression", eyes, mouth, head))
    def set_controls(self, controls): self.controls = controls
    def set_watched(self, watched): self.watched = watched
    def close(self): self.closed = True

    async def frames(self):
        seq = 0
        while not self.closed:
            due = self.t0 + seq / self.fps
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            if not self.watched:
                await asyncio.sleep(1 / self.fps)
                seq = int(self.now() * self.fps) + 1
                continue
            img = np.zeros((self.size, self.size, 3), np.uint8)
            if self.noise:  # big frames, to fill socket buffers quickly in slow-consumer tests
                img = np.random.randint(0, 256, img.shape, np.uint8)
            phase = (seq * 8) % 256
            img[:, :, 1] = phase
            img[:, :, 2] = np.linspace(0, 255, self.size, dtype=np.uint8)[None, :]
            if self.mouth_open:
                cv2.circle(img, (self.size // 2, self.size * 3 // 4), self.size // 10, (255, 255, 255), -1)
            ok, jpg = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, self.quality])
            yield EncodedFrame(seq, int(seq * 1000 / self.fps), self.size, self.size, "jpeg", 1 if seq == 0 else 0,
                            jpg.tobytes())
            seq += 1


class FakeAvatarRenderer:
    names = ("eyes", "mouth", "yaw")

    def __init__(self, noise: bool = False):
        self.noise = noise
        self.sessions: list[FakeAvatarSession] = []
        self.started = self.stopped = False

    async def start(self): self.started = True
    async def stop(self): self.stopped = True

    def open_session(self, *, size=256, fps=30.0, quality=85, seed=None):
        s = FakeAvatarSession(size, fps, quality, self.noise)
        self.sessions.append(s)
        return s

    def stats(self):
        return {"sessions": float(len(self.sessions))}


@dataclass
class FakeChatEngine:
    """Answers with a fixed list of tokens, one every `token_delay_s`."""

    tokens: list[str] = field(default_factory=lambda: ["안녕", "하세요", "! ", "저는 ", "오로라", "예요."])
    token_delay_s: float = 0.01
    interrupted: list[tuple[str, str]] = field(default_factory=list)
    messages: list[tuple[str, str]] = field(default_factory=list)
    times: list = field(default_factory=list)  # the `now` each turn was given
    cancelled: int = 0
    fail: bool = False
    closed: bool = False

    async def turn(self, user_id, message, now=None):
        self.messages.append((user_id, message))
        self.times.append(now)
        try:
            for tok in self.tokens:
                await asyncio.sleep(self.token_delay_s)
                if self.fail:
                    raise RuntimeError("the model fell over")
                yield TokenEvent(tok)
            yield TurnDone("".join(self.tokens), memory=Memory("name", "민수", datetime.now(timezone.utc)),
                           summary="greeting", expression=Expression("wide", "small", "slightly left"),
                           timings={"llm_s": 0.1})
        except (asyncio.CancelledError, GeneratorExit):
            self.cancelled += 1
            raise

    def record_interrupted(self, user_id, shown_text):
        self.interrupted.append((user_id, shown_text))

    def transcript(self, user_id):
        return []

    def stats(self):
        return {"turns": float(len(self.messages))}

    async def aclose(self):
        self.closed = True


class FakeSafetyGate:
    def __init__(self, blocked_users: set[str] | None = None):
        self.blocked_users = blocked_users or set()

    def status(self, user_id, now):
        if user_id in self.blocked_users:
            return SafetyVerdict("blocked", "insult", 0.99, blocked_until=now + timedelta(hours=1),
                                 message="잠시 대화를 쉬어요.")
        return SafetyVerdict("allow")

    def check_user_message(self, user_id, text, now): return SafetyVerdict("allow")
    def check_answer(self, text): return SafetyVerdict("allow")

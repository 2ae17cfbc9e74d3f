"""Sessions: one avatar session and one conversation per user, fanned out to every socket watching it.

A `Session` owns an AvatarSession (frames rendered and encoded once) and the answer in flight, and
offers each frame to every socket watching it (a `realtime.peers.Peer` each). The answer's tokens are released paced
to her speech (`speech_chars_per_s`) on the session clock, and a barge-in cancels the answer, closes
the mouth, and keeps only the text that was shown.

A new session starts with the user's stored transcript (the chat engine's `transcript(user)`, from the
dialogue database), so a user resumes their conversation after a restart or on another server process.
The engine stores each exchange before the turn's `chat.done` is sent: what a client saw acknowledged is
in the database.
"""
from __future__ import annotations

import asyncio
import dataclasses
import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, tzinfo

from dialogue.interfaces import TokenEvent, TurnDone

from . import messages
from .config import Config
from .engines import AvatarSessionLike, Engines
from .metrics import ServerMetrics
from .peers import CLOSE_GOING_AWAY, Peer

log = logging.getLogger("ohlora.realtime")

# How long a barge-in waits for the cancelled answer to wind down before moving on.
CANCEL_WAIT_S = 0.1
_WORDS = re.compile(r"\S+\s*|\s+")


class Session:
    """One user's conversation and face, shown on one chat socket (or more) and any number of viewers."""

    def __init__(self, session_id: str, user: str, avatar: AvatarSessionLike, engines: Engines, cfg: Config,
                 metrics: ServerMetrics, size: int, fps: float, quality: int, address: str = ""):
        self.id, self.user, self.address = session_id, user, address
        self.avatar, self.engines, self.cfg, self.metrics = avatar, engines, cfg, metrics
        self.size, self.fps, self.quality = size, fps, quality
        self.peers: set[Peer] = set()
        self.transcript: list[dict[str, str]] = []
        self.turns = 0
        self.turn_task: asyncio.Task | None = None
        self.pump_task: asyncio.Task | None = None
        self.grace_task: asyncio.Task | None = None
        self.closed = False
        self.created = time.monotonic()
        self.left_at: float | None = None  # when its last chat socket left (None while one is attached)
        # the chat client's time zone (hello.utc_offset_min): her dates and times are the user's, not the server's
        self.time_zone: tzinfo | None = None

    def now(self) -> datetime:
        """The time now where the user is (the chat client's time zone), else where the server is."""
        return datetime.now(self.time_zone) if self.time_zone is not None else datetime.now().astimezone()

    # --- sockets -------------------------------------------------------------------------------------
    def start(self) -> None:
        self.pump_task = asyncio.create_task(self._pump_frames(), name=f"frames-{self.id}")

    def reconfigure(self, avatar: AvatarSessionLike, size: int, fps: float, quality: int) -> None:
        """Swap in an avatar session with new size/fps/quality (same face, same conversation)."""
        old, self.avatar = self.avatar, avatar
        if self.pump_task is not None:
            self.pump_task.cancel()
        old.close()
        self.size, self.fps, self.quality = size, fps, quality
        self.start()
        self.avatar.set_watched(bool(self.peers))

    def attach(self, peer: Peer) -> None:
        if self.grace_task is not None:
            self.grace_task.cancel()
            self.grace_task = None
        self.peers.add(peer)
        if peer.role == "chat":
            self.left_at = None
        self.avatar.set_watched(True)

    def detach(self, peer: Peer) -> None:
        self.peers.discard(peer)
        if peer.role == "chat" and not self.chat_peers():
            self.left_at = time.monotonic()
        if not self.peers:
            self.avatar.set_watched(False)

    @property
    def idle(self) -> bool:
        """Its user left (no chat socket) and no answer is being spoken: it may be reclaimed."""
        return self.left_at is not None and not self.talking and not self.closed

    def chat_peers(self) -> int:
        return sum(1 for p in self.peers if p.role == "chat")

    def broadcast(self, message: dict) -> None:
        for peer in list(self.peers):
            if peer.role != "mjpeg":
                peer.send(message)

    async def _pump_frames(self) -> None:
        """Fan each rendered frame out to every socket's own queue; never waits on a socket."""
        try:
            async for frame in self.avatar.frames():
                self.metrics.frames_rendered += 1
                peers = list(self.peers)
                matted = [p for p in peers if p.wants_matte]
                for peer in peers:
                    if not peer.wants_matte:
                        peer.offer_frame(frame)
                if matted:  # once per frame, off the event loop, only while someone asked for it
                    try:
                        matte = await asyncio.to_thread(self.engines.matte.matte_jpeg, frame.data)
                        frame = dataclasses.replace(frame, matte=matte)
                    except Exception as e:
                        log.warning("session %s: matte failed: %s", self.id, e)
                    for peer in matted:
                        peer.offer_frame(frame)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("session %s: the avatar's frame stream failed", self.id)

    def clock_ms(self) -> int:
        return max(0, int(self.avatar.now() * 1000))

    # --- answers -------------------------------------------------------------------------------------
    @property
    def talking(self) -> bool:
        return self.turn_task is not None and not self.turn_task.done()

    async def start_turn(self, text: str, message_id: str | None) -> None:
        """Answer `text`; a turn still in flight is interrupted first (barge-in)."""
        await self.cancel_turn()
        self.turns += 1
        self.metrics.turns_started += 1
        self.transcript.append({"role": "user", "text": text})
        self.turn_task = asyncio.create_task(self._turn(self.turns, text, message_id), name=f"turn-{self.id}")

    async def cancel_turn(self) -> bool:
        """Stop the answer in flight (if any); True when one was interrupted."""
        task = self.turn_task
        if task is None or task.done():
            return False
        task.cancel()
        await asyncio.wait([task], timeout=CANCEL_WAIT_S)
        return True

    async def _produce(self, text: str, events: asyncio.Queue) -> None:
        stream = self.engines.chat.turn(self.user, text, self.now())
        try:
            async for event in stream:
                await events.put(event)
            await events.put(None)
        except asyncio.CancelledError:
            raise
        except Exception as e:  # the engine failed: the turn ends with an error, the session lives
            await events.put(e)
        finally:
            try:
                await asyncio.wait_for(stream.aclose(), CANCEL_WAIT_S)
            except (Exception, asyncio.CancelledError):
                pass

    async def _turn(self, turn: int, text: str, message_id: str | None) -> None:
        loop = asyncio.get_running_loop()
        rate = self.cfg.stream.speech_chars_per_s
        events: asyncio.Queue = asyncio.Queue()
        producer = asyncio.create_task(self._produce(text, events), name=f"llm-{self.id}")
        shown: list[str] = []
        next_free = loop.time()
        t0 = time.perf_counter()
        first_token_s: float | None = None

        async def release(piece: str) -> None:
            nonlocal next_free, first_token_s
            wait = next_free - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            now = loop.time()
            next_free = max(now, next_free) + len(piece) / rate
            self.avatar.token(piece)
            if first_token_s is None:
                first_token_s = time.perf_counter() - t0
            self.broadcast(messages.chat_delta(turn=turn, index=len(shown), text=piece, pts_ms=self.clock_ms(),
                                               message_id=message_id))
            shown.append(piece)
            self.metrics.tokens_sent += 1
            self.metrics.tokens_window.add()

        self.avatar.answer_started()
        try:
            done: TurnDone | None = None
            failure: Exception | None = None
            while True:
                event = await events.get()
                if event is None:
                    break
                if isinstance(event, Exception):
                    failure = event
                    break
                if isinstance(event, TurnDone):
                    done = event
                    break
                if isinstance(event, TokenEvent) and event.text:
                    await release(event.text)
            if done is not None and not shown and done.text:
                # An answer that came whole (e.g. the safety gate's reply) is still spoken word by word.
                for piece in _WORDS.findall(done.text):
                    await release(piece)
            # Let the last words be spoken before the mouth closes and the final expression walks in.
            tail = min(1.0, next_free - loop.time())
            if tail > 0:
                await asyncio.sleep(tail)
            if failure is not None:
                log.error("session %s turn %d: the chat engine failed: %r", self.id, turn, failure)
                self.broadcast(messages.error("internal", f"the answer failed: {type(failure).__name__}: {failure}"))
                self._keep_shown("".join(shown))
                self._finish(turn, "".join(shown), interrupted=True, done=None, message_id=message_id)
                self.avatar.answer_ended()
                return
            final = done.text if done is not None and done.text else "".join(shown)
            if done is not None:
                e = done.expression
                self.avatar.set_expression(e.eyes, e.mouth, e.head)
                self.broadcast(messages.expression(e, pts_ms=self.clock_ms()))
            self.avatar.answer_ended()
            timings = dict(done.timings) if done is not None else {}
            if first_token_s is not None:
                timings.setdefault("server_first_token_s", round(first_token_s, 4))
            timings["server_turn_s"] = round(time.perf_counter() - t0, 4)
            self._finish(turn, final, interrupted=False, done=done, message_id=message_id, timings=timings)
        except asyncio.CancelledError:
            shown_text = "".join(shown)
            self.avatar.cancel()
            self.metrics.turns_interrupted += 1
            self._keep_shown(shown_text)
            self._finish(turn, shown_text, interrupted=True, done=None, message_id=message_id)
            raise
        finally:
            producer.cancel()

    def _keep_shown(self, shown_text: str) -> None:
        """The engine keeps only the shown part of a cut answer (before its chat.done goes out)."""
        try:
            self.engines.chat.record_interrupted(self.user, shown_text)
        except Exception:
            log.exception("session %s: record_interrupted failed", self.id)

    def _finish(self, turn: int, text: str, *, interrupted: bool, done: TurnDone | None, message_id: str | None,
                timings: dict | None = None) -> None:
        if text:
            self.transcript.append({"role": "assistant", "text": text})
        self.broadcast(messages.chat_done(
            turn=turn, text=text, interrupted=interrupted, expression=done.expression if done else None,
            memory=done.memory if done else None, summary=(done.summary or "") if done else "",
            timings=timings or {}, refused=done.refused if done else None, pts_ms=self.clock_ms(),
            message_id=message_id, care=done.care if done else ""))
        log.info("turn done", extra={"event": "turn_done", "session": self.id, "turn": turn,
                                     "interrupted": interrupted, "chars": len(text)})

    # --- end -----------------------------------------------------------------------------------------
    async def close(self, code: str = "session_ended", message: str = "the session was closed") -> None:
        if self.closed:
            return
        self.closed = True
        await self.cancel_turn()
        if self.grace_task is not None:
            self.grace_task.cancel()
        for peer in list(self.peers):
            if peer.role != "mjpeg":
                peer.send(messages.error(code, message, fatal=True))
        await asyncio.gather(*(p.drain(0.5) for p in self.peers), return_exceptions=True)
        for peer in list(self.peers):
            peer.close()
        # 1001 "going away": the client may come back (to a new session, or after a restart).
        await asyncio.gather(*(p.sink.close(CLOSE_GOING_AWAY, code) for p in list(self.peers)),
                             return_exceptions=True)
        if self.pump_task is not None:
            self.pump_task.cancel()
        self.avatar.close()


class CapacityError(Exception):
    """No room for another session (or socket); `code` is the protocol error code."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


class SessionRegistry:
    """Live sessions by id and by user; sessions without a chat socket live on for the grace period."""

    def __init__(self, cfg: Config, engines: Engines, metrics: ServerMetrics):
        self.cfg, self.engines, self.metrics = cfg, engines, metrics
        self.by_id: dict[str, Session] = {}
        self.by_user: dict[str, Session] = {}
        self.on_close: list[Callable[[Session], Awaitable[None] | None]] = []

    def find(self, session_id: str | None = None, user: str | None = None) -> Session | None:
        if session_id:
            return self.by_id.get(session_id)
        if user:
            return self.by_user.get(user)
        return None

    async def open(self, user: str, size: int, fps: float, quality: int, address: str = "") -> Session:
        """A new session for `user`; idle sessions of users who left make room first.

        Raises CapacityError when the server, or this client address, has no room.
        """
        server = self.cfg.server
        mine = [s for s in self.by_id.values() if address and s.address == address]
        if len(mine) >= server.max_sessions_per_address:
            if not await self._reclaim([s for s in mine if s.idle]):
                self.metrics.refusal("address_limit")
                raise CapacityError("too_many_sessions",
                                    f"this address already has {len(mine)} live sessions "
                                    f"(server.max_sessions_per_address = {server.max_sessions_per_address}); "
                                    "close one, or reuse its credential")
        if len(self.by_id) >= server.max_sessions:
            if not await self._reclaim([s for s in self.by_id.values() if s.idle]):
                self.metrics.refusal("server_full")
                raise CapacityError("server_full", f"the server is full ({server.max_sessions} sessions in use); "
                                                   "try again in a minute")
        avatar = self.engines.avatar.open_session(size=size, fps=fps, quality=quality)
        session = Session(secrets.token_urlsafe(9), user, avatar, self.engines, self.cfg, self.metrics,
                          size, fps, quality, address)
        self.by_id[session.id] = session
        self.by_user[user] = session
        session.start()
        # registered first: a second hello of this user while the transcript loads joins this session
        session.transcript[:0] = await self._stored_transcript(user)
        log.info("session opened", extra={"event": "session_open", "session": session.id, "user": user,
                                          "size": size, "fps": fps})
        return session

    async def _stored_transcript(self, user: str) -> list[dict[str, str]]:
        """The user's conversation as the chat engine stored it."""
        try:
            return list(await asyncio.to_thread(self.engines.chat.transcript, user))
        except Exception as e:  # the session still opens; its history shows from here on
            log.warning("session of %s: the stored transcript could not be read (%s)", user, e)
            return []

    async def _reclaim(self, idle: list[Session]) -> bool:
        """Close the session whose user left longest ago; False when there is none."""
        if not idle:
            return False
        oldest = min(idle, key=lambda s: s.left_at or 0.0)
        self.metrics.sessions_reclaimed += 1
        await self.close(oldest, "session_ended", "the session was closed to make room: its user had left")
        return True

    def reconfigure(self, session: Session, size: int, fps: float, quality: int) -> None:
        if (size, fps, quality) != (session.size, session.fps, session.quality):
            session.reconfigure(self.engines.avatar.open_session(size=size, fps=fps, quality=quality),
                                size, fps, quality)

    def release(self, session: Session, peer: Peer) -> None:
        """A socket left; when no chat socket remains, the session waits `reconnect_grace_s` for one."""
        session.detach(peer)
        if session.closed or session.chat_peers() or session.grace_task is not None:
            return
        session.grace_task = asyncio.create_task(self._expire(session), name=f"grace-{session.id}")

    async def _expire(self, session: Session) -> None:
        await asyncio.sleep(self.cfg.server.reconnect_grace_s)
        if session.chat_peers():
            return
        # An answer still being spoken finishes first (its words belong in the history).
        while session.talking:
            await asyncio.sleep(0.05)
        session.grace_task = None
        await self.close(session, "session_ended", "the chat client did not come back within the grace period")

    async def close(self, session: Session, code: str, message: str) -> None:
        self.by_id.pop(session.id, None)
        if self.by_user.get(session.user) is session:
            self.by_user.pop(session.user, None)
        await session.close(code, message)
        log.info("session closed", extra={"event": "session_close", "session": session.id, "reason": code})

    async def close_all(self, code: str, message: str, finish_within: float) -> None:
        """Graceful shutdown: answers in flight get `finish_within` seconds, then are cancelled."""
        sessions = list(self.by_id.values())
        deadline = time.monotonic() + finish_within
        while any(s.talking for s in sessions) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        await asyncio.gather(*(self.close(s, code, message) for s in sessions), return_exceptions=True)

    def sockets(self) -> dict[str, int]:
        counts = {"chat": 0, "viewer": 0, "mjpeg": 0}
        for s in self.by_id.values():
            for p in s.peers:
                counts[p.role] = counts.get(p.role, 0) + 1
        return counts

"""A socket's hello: who the client is, which session it joins, and the reply that opens its stream.

A chat client is the user the trusted proxy names, else the user its credential names, else a new user;
it joins that user's live session or opens one, and gets a fresh credential and the viewer key to share.
New size/fps/quality in the hello of a resumed session change its stream (the settings panel). A viewer
names the owner with their viewer key (or credential, or the proxy's header) and joins the owner's live
session read-only. Every refusal is a fatal ProtocolError.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from aiohttp import web

from . import messages
from .access import credential_user, header_user, refuse_if_blocked, token_ok, watched_user
from .identity import Credential
from .protocol import ProtocolError
from .sessions import CapacityError, Session
from .state import ServerState

DRAINING = "the server is shutting down; reconnect in a moment"


@dataclass(frozen=True)
class Joined:
    """What a hello settled: the session, the socket's role, and what the reply tells the client."""

    session: Session
    role: str                      # "chat" or "viewer"
    resumed: bool                  # joined a live session (always, for a viewer)
    matte: bool                    # frames carry a matte plane
    by_viewer_key: bool            # a viewer that came with a shared key (closed when it is revoked)
    credential: Credential | None  # issued to a chat client


async def negotiate(state: ServerState, request: web.Request, message: dict, address: str) -> Joined:
    """Settle a validated `hello` from `address`, or raise the fatal ProtocolError that refuses it."""
    if state.draining:
        state.metrics.refusal("draining")
        raise ProtocolError("server_shutdown", DRAINING, fatal=True)
    if not token_ok(state.cfg.server, message.get("token") or request.query.get("token")):
        raise ProtocolError("unauthorized", "this server needs its shared token (hello.token)", fatal=True)
    role = message["role"]
    if role == "viewer":
        session, by_key = watched_session(state, request, message)
        resumed, credential = True, None
    else:
        session, resumed, credential = await chat_session(state, request, message, address)
        by_key = False
    if session_full(state, session):
        raise ProtocolError("too_many_sessions", f"this session already has {len(session.peers)} sockets "
                                                 f"(server.max_sockets_per_session)", fatal=True)
    matte = bool(message.get("matte", False)) and state.engines.matte is not None
    return Joined(session, role, resumed, matte, by_key, credential)


def session_full(state: ServerState, session: Session) -> bool:
    """Whether `session` already has `server.max_sockets_per_session` sockets (counted as a refusal)."""
    if len(session.peers) < state.cfg.server.max_sockets_per_session:
        return False
    state.metrics.refusal("socket_limit")
    return True


def watched_session(state: ServerState, request: web.Request, message: dict) -> tuple[Session, bool]:
    """A viewer's session, and whether it joined with a shared viewer key."""
    user, by_key = watched_user(state.identity, request, state.cfg.server, message.get("viewer_key"),
                                message.get("credential"))
    session = state.registry.find(user=user)
    if session is None:
        raise ProtocolError("unknown_session", "that user has no live session right now; viewers join a "
                                               "session its chat client opened", fatal=True)
    return session, by_key


async def chat_session(state: ServerState, request: web.Request, message: dict,
                       address: str) -> tuple[Session, bool, Credential]:
    """The chat client's user and their session (opened, or resumed), and the user's fresh credential."""
    s = state.cfg.stream
    user = header_user(request, state.cfg.server)
    if user is None and "credential" in message:
        user = credential_user(state.identity, message["credential"])
    if user is None:
        user = state.identity.new_user_id()
    refuse_if_blocked(state.engines.safety, user, fatal=True)  # a blocked user learns when the block ends
    session = state.registry.find(user=user)
    resumed = session is not None
    if session is None:
        try:
            session = await state.registry.open(user, min(int(message.get("size", s.size)), s.max_size),
                                                min(float(message.get("fps", s.fps)), s.max_fps),
                                                int(message.get("quality", s.quality)), address)
        except CapacityError as e:
            raise ProtocolError(e.code, str(e), fatal=True, retry_after_ms=60_000) from None
        except (RuntimeError, ValueError) as e:  # a size the renderer cannot serve
            raise ProtocolError("internal", f"cannot open a session: {e}", fatal=True) from None
    elif any(k in message for k in ("size", "fps", "quality")):
        try:
            state.registry.reconfigure(session, min(int(message.get("size", session.size)), s.max_size),
                                       min(float(message.get("fps", session.fps)), s.max_fps),
                                       int(message.get("quality", session.quality)))
        except ValueError as e:
            raise ProtocolError("bad_message", f"cannot change the stream: {e}") from None
    if "utc_offset_min" in message:  # schema-checked: -840 … 840
        session.time_zone = timezone(timedelta(minutes=int(message["utc_offset_min"])))
    return session, resumed, state.identity.issue(user)


def reply(state: ServerState, joined: Joined) -> dict:
    """The `hello` the server answers with."""
    cfg, session, credential = state.cfg, joined.session, joined.credential
    offered = messages.capabilities(
        max_message_bytes=cfg.server.max_message_bytes, rate_limit_per_s=cfg.server.rate_limit_per_s,
        controls=state.engines.control_names() if cfg.stream.allow_controls else [],
        matte=state.engines.matte is not None, speech_chars_per_s=cfg.stream.speech_chars_per_s)
    return messages.hello(
        session=session.id, user=session.user, role=joined.role, resumed=joined.resumed,
        clock_ms=session.clock_ms(), credential=credential.token if credential is not None else None,
        credential_expires_at=(datetime.fromtimestamp(credential.expires_at, timezone.utc)
                               if credential is not None else None),
        viewer_key=state.identity.viewer_key(session.user) if joined.role == "chat" else None,
        size=session.size, fps=session.fps, quality=session.quality, matte=joined.matte,
        capabilities=offered, transcript=session.transcript)

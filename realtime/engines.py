"""The engines the server drives, as the protocols it calls, and the factory that builds the real ones.

The avatar (`render.avatar.AvatarRenderer` → AvatarSession → EncodedFrame), the dialogue
(`dialogue.conversation.PersonaChat`, a `dialogue.interfaces.ChatEngine`, with its optional `SafetyGate`)
and the matte are built by their own packages. The server calls only what these protocols name, so tests
hand it fakes (tests/realtime_fakes.py) and deployments can swap engines.
"""
from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass
from typing import Any, Protocol

from dialogue.interfaces import ChatEngine, SafetyGate, TurnEvent
from render.frames import EncodedFrame



class AvatarSessionLike(Protocol):
    def now(self) -> float: ...
    def answer_started(self, at: float | None = None) -> None: ...
    def token(self, text: str, at: float | None = None) -> None: ...
    def answer_ended(self, at: float | None = None) -> None: ...
    def cancel(self, at: float | None = None) -> None: ...
    def set_expression(self, eyes: str, mouth: str, head: str, at: float | None = None) -> None: ...
    def set_controls(self, controls: dict[str, float] | None) -> None: ...
    def frames(self) -> AsyncIterator[EncodedFrame]: ...
    def set_watched(self, watched: bool) -> None: ...
    def close(self) -> None: ...


class AvatarRendererLike(Protocol):
    names: tuple[str, ...]  # the direct expression controls it accepts (known once started)

    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    def open_session(self, *, size: int = 256, fps: float = 30.0, quality: int = 85,
                     seed: int | None = None) -> AvatarSessionLike: ...
    def stats(self) -> dict[str, float]: ...


class ServedChatEngine(ChatEngine, Protocol):
    """A ChatEngine as the server runs it: its answers close like generators, it stores the conversation,
    counts its failures and holds connections to release."""

    def turn(self, user_id: str, message: str, now: Any = None) -> AsyncGenerator[TurnEvent, None]: ...
    def transcript(self, user_id: str) -> list[dict[str, str]]: ...
    def stats(self) -> dict[str, float]: ...
    async def aclose(self) -> None: ...


class MatteLike(Protocol):
    def matte_jpeg(self, jpeg: bytes) -> bytes: ...


@dataclass
class Engines:
    avatar: AvatarRendererLike
    chat: ServedChatEngine
    safety: SafetyGate | None = None
    matte: MatteLike | None = None  # cuts the face out for transparent backgrounds, when available

    def control_names(self) -> list[str]:
        """Names of the direct expression controls the avatar accepts (for `hello.capabilities`)."""
        return list(self.avatar.names)

    def stats(self) -> dict[str, dict[str, float]]:
        """Each engine's own figures for /metrics: the renderer's (e.g. batch sizes) and the dialogue's counters."""
        return {"render": self.avatar.stats(), "dialogue": self.chat.stats()}

    async def close(self) -> None:
        """Release the chat engine's connections (each exchange was stored before its `chat.done`)."""
        await self.chat.aclose()


def build_engines(avatar_cfg: Any, dialogue_options: dict[str, Any]) -> Engines:
    """The real engines: the persona chat engine from `dialogue`, the face from `render.avatar`."""
    from render.avatar import AvatarRenderer

    chat, safety = build_chat_engine(dialogue_options)
    return Engines(avatar=AvatarRenderer(avatar_cfg), chat=chat, safety=safety, matte=build_matte())


def build_matte() -> MatteLike | None:
    """The selfie-segmentation matte when MediaPipe is installed (the `matte` extra), else None."""
    from render.matte import SelfieMatte

    if not SelfieMatte.available():
        return None
    try:
        return SelfieMatte()
    except Exception:  # a broken MediaPipe install: serve without mattes (pages fall back to an oval)
        return None


def build_chat_engine(options: dict[str, Any]) -> tuple[ServedChatEngine, SafetyGate | None]:
    """The persona's ChatEngine from the `[dialogue]` options, and the SafetyGate it consults."""
    from dialogue.conversation import build_chat_engine as build

    chat = build(**options)
    return chat, chat.safety

"""The two engines the server drives, as interfaces, and the factory that builds the real ones.

The avatar (`render.avatar`: AvatarRenderer → AvatarSession → EncodedFrame) and the dialogue
(`dialogue.interfaces.ChatEngine`, plus an optional `SafetyGate`) are built by their own packages; the
server sees only these protocols, so tests can hand it fakes and deployments can swap engines.
"""
from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Protocol

from dialogue.interfaces import ChatEngine, SafetyGate


class EncodedFrameLike(Protocol):
    seq: int
    pts_ms: int
    width: int
    height: int
    codec: str
    flags: int
    data: bytes


class AvatarSessionLike(Protocol):
    def now(self) -> float: ...
    def answer_started(self, at: float | None = None) -> None: ...
    def token(self, text: str, at: float | None = None) -> None: ...
    def answer_ended(self, at: float | None = None) -> None: ...
    def cancel(self, at: float | None = None) -> None: ...
    def set_expression(self, eyes: str, mouth: str, head: str, at: float | None = None) -> None: ...
    def set_controls(self, controls: dict[str, float] | None) -> None: ...
    def frames(self) -> AsyncIterator[EncodedFrameLike]: ...
    def set_watched(self, watched: bool) -> None: ...
    def close(self) -> None: ...


class AvatarRendererLike(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    def open_session(self, *, size: int = 256, fps: float = 30.0, quality: int = 85,
                     seed: int | None = None) -> AvatarSessionLike: ...


class EngineUnavailable(RuntimeError):
    """An engine's package is missing or not prepared; the message says what to do."""


@dataclass
class Engines:
    avatar: AvatarRendererLike
    chat: ChatEngine
    safety: SafetyGate | None = None

    def control_names(self) -> list[str]:
        """Names of the direct expression controls the avatar accepts (for `hello.capabilities`)."""
        names = getattr(self.avatar, "names", None)  # known once the renderer has started
        return list(names) if names else ["eyes", "mouth", "yaw"]

    async def close(self) -> None:
        """Flush memories and release models (each engine's optional close/flush)."""
        for engine in (self.chat, self.safety):
            for name in ("aclose", "close", "flush"):
                fn = getattr(engine, name, None)
                if fn is not None:
                    result = fn()
                    if hasattr(result, "__await__"):
                        await result
                    break


def build_engines(avatar_cfg: Any, dialogue_options: dict[str, Any]) -> Engines:
    """The real engines: the persona chat engine from `dialogue`, the face from `render.avatar`."""
    try:
        from render.avatar import AvatarRenderer
    except ImportError as e:
        raise EngineUnavailable(
            f"the avatar engine (render/avatar.py) is not available in this checkout ({e}); "
            "update to a version of ohlora that has it") from None
    chat, safety = build_chat_engine(dialogue_options)
    return Engines(avatar=AvatarRenderer(avatar_cfg), chat=chat, safety=safety)


def build_chat_engine(options: dict[str, Any]) -> tuple[ChatEngine, SafetyGate | None]:
    """The persona's ChatEngine (and its SafetyGate when the dialogue package exposes one)."""
    try:
        from dialogue.conversation import build_chat_engine as build
    except ImportError as e:
        raise EngineUnavailable(
            f"the dialogue engine (dialogue.conversation) is not available in this checkout ({e}); "
            "update to a version of ohlora that has it") from None
    built = build(**options)
    if isinstance(built, tuple):
        return built[0], built[1]
    return built, getattr(built, "safety", None)

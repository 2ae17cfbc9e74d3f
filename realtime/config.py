"""Server configuration: typed dataclasses filled from one TOML file, then the environment, then flags.

Precedence (later wins): defaults < TOML file (`--config`) < `OHLORA_<SECTION>__<KEY>` environment
variables < command-line flags (`--host`, `--port`, `--set section.key=value`). Every value is checked;
an error names the key (`server.port: …`) so a user can find the line to fix.
"""
from __future__ import annotations

import dataclasses
import os
import sys
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from render.avatar import AvatarConfig  # the avatar engine owns its configuration; the server only loads it


class ConfigError(ValueError):
    """A configuration value is wrong; the message starts with the key."""


@dataclass
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 8080
    # Browser origins allowed besides the server's own host and localhost ("*" allows any).
    allowed_origins: list[str] = field(default_factory=list)
    # Host names the server answers to besides localhost and IP literals ("*" allows any): a page whose
    # host name is not here cannot reach the server through DNS rebinding.
    allowed_hosts: list[str] = field(default_factory=list)
    # Shared token required from every client when not empty (hello.token, or ?token= for HTTP).
    token: str = ""
    # Identity: the server issues each user a signed credential. The secret comes from here, or from (and
    # is created in) identity_file (default $OHLORA_DATA_DIR/identity.json); instances behind one load
    # balancer share it.
    identity_secret: str = ""
    identity_file: str = ""
    credential_ttl_days: float = 30.0
    # Behind a proxy that authenticates users: the request header that names the user (e.g.
    # "X-Forwarded-User"), believed only from trusted_proxies, which also may set X-Forwarded-For.
    user_header: str = ""
    trusted_proxies: list[str] = field(default_factory=lambda: ["127.0.0.1", "::1"])
    max_message_bytes: int = 16384
    rate_limit_per_s: float = 20.0
    rate_burst: int = 40
    reconnect_grace_s: float = 30.0
    shutdown_timeout_s: float = 5.0
    stats_interval_s: float = 1.0
    max_sessions: int = 64
    # Fairness: live sessions opened from one client address, and sockets (chat, viewers, MJPEG) on one
    # session. Idle sessions of users who left are reclaimed before a new one is refused.
    max_sessions_per_address: int = 16
    max_sockets_per_session: int = 16
    log_format: str = "text"
    log_level: str = "info"


@dataclass
class StreamConfig:
    size: int = 256
    fps: float = 30.0
    quality: int = 85
    max_size: int = 512
    max_fps: float = 30.0
    # Frames waiting per socket before the oldest is dropped (drop-to-latest).
    queue_frames: int = 2
    # Kernel send buffer per socket (bytes, 0 = the OS default, often MBs): a small one keeps a slow
    # client's frames in our drop-to-latest queue instead of seconds of stale frames in the kernel.
    socket_send_buffer: int = 262144
    # How fast she "speaks": tokens are released to clients at this many characters per second.
    speech_chars_per_s: float = 16.0
    allow_controls: bool = True


@dataclass
class DialogueConfig:
    # Passed to the chat engine factory; its keys belong to the dialogue package.
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class Config:
    server: ServerConfig = field(default_factory=ServerConfig)
    stream: StreamConfig = field(default_factory=StreamConfig)
    avatar: AvatarConfig = field(default_factory=AvatarConfig)
    dialogue: DialogueConfig = field(default_factory=DialogueConfig)


_CHOICES = {
    "server.log_format": ("text", "json"),
    "server.log_level": ("debug", "info", "warning", "error"),
    "avatar.device": ("auto", "cpu", "cuda"),
    "avatar.path": ("auto", "exact", "atlas"),
    "avatar.blink": ("lids", "control"),
    "avatar.lips": ("drawn", "control"),
}
_RANGES = {
    "server.port": (0, 65535),
    "server.max_message_bytes": (256, 16 * 1024 * 1024),
    "server.rate_limit_per_s": (0.1, 10_000),
    "server.rate_burst": (1, 100_000),
    "server.reconnect_grace_s": (0, 86_400),
    "server.shutdown_timeout_s": (0, 600),
    "server.stats_interval_s": (0.05, 3600),
    "server.max_sessions": (1, 100_000),
    "server.max_sessions_per_address": (1, 100_000),
    "server.max_sockets_per_session": (1, 100_000),
    "server.credential_ttl_days": (0.001, 3650),
    "stream.size": (64, 1024),
    "stream.fps": (1, 60),
    "stream.quality": (10, 100),
    "stream.max_size": (64, 1024),
    "stream.max_fps": (1, 60),
    "stream.queue_frames": (1, 64),
    "stream.socket_send_buffer": (0, 64 * 1024 * 1024),
    "stream.speech_chars_per_s": (1, 10_000),
    "avatar.psi": (0, 2),
    "avatar.max_batch": (1, 1024),
    "avatar.encode_threads": (1, 64),
}


def _coerce(key: str, value: Any, hint: Any) -> Any:
    """Turn a TOML/env/flag value into the field's type, or raise ConfigError naming the key."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None or (isinstance(value, str) and value.lower() in ("", "none", "null")):
            if type(None) in args:
                return None
        inner = [a for a in args if a is not type(None)]
        return _coerce(key, value, inner[0])
    if hint is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("1", "true", "yes", "on", "0", "false", "no", "off"):
            return value.lower() in ("1", "true", "yes", "on")
        raise ConfigError(f"{key}: expected true or false, got {value!r}")
    if hint is int:
        if isinstance(value, bool):
            raise ConfigError(f"{key}: expected an integer, got {value!r}")
        if isinstance(value, int):
            return value
        if isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                pass
        raise ConfigError(f"{key}: expected an integer, got {value!r}")
    if hint is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value.strip())
            except ValueError:
                pass
        raise ConfigError(f"{key}: expected a number, got {value!r}")
    if hint is str:
        if isinstance(value, str):
            return value
        raise ConfigError(f"{key}: expected a string, got {value!r}")
    if origin is tuple:
        item = args[0] if args else str
        return tuple(_coerce(key, value, list[item]))
    if origin is list:
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, list):
            raise ConfigError(f"{key}: expected a list, got {value!r}")
        return [_coerce(f"{key}[{i}]", v, args[0]) for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{key}: expected a table, got {value!r}")
        return dict(value)
    return value


def _set(cfg: Config, key: str, value: Any) -> None:
    section_name, _, name = key.partition(".")
    section = getattr(cfg, section_name, None) if section_name in {f.name for f in dataclasses.fields(cfg)} else None
    if section is None:
        known = ", ".join(f.name for f in dataclasses.fields(cfg))
        raise ConfigError(f"{section_name}: unknown section; known sections: {known}")
    if section_name == "dialogue" and name != "options":  # free-form: the dialogue package's keys
        section.options[name] = value
        return
    hints = typing.get_type_hints(type(section))
    if name not in hints:
        known = ", ".join(f.name for f in dataclasses.fields(section))
        raise ConfigError(f"{key}: unknown key; known keys in [{section_name}]: {known}")
    setattr(section, name, _coerce(key, value, hints[name]))


def _check(cfg: Config) -> None:
    for key, choices in _CHOICES.items():
        s, n = key.split(".")
        v = getattr(getattr(cfg, s), n)
        if v not in choices:
            raise ConfigError(f"{key}: must be one of {', '.join(choices)}; got {v!r}")
    for key, (lo, hi) in _RANGES.items():
        s, n = key.split(".")
        v = getattr(getattr(cfg, s), n)
        if not lo <= v <= hi:
            raise ConfigError(f"{key}: must be between {lo} and {hi}; got {v!r}")
    if cfg.stream.size > cfg.stream.max_size:
        raise ConfigError(f"stream.size: {cfg.stream.size} is above stream.max_size {cfg.stream.max_size}")
    if cfg.stream.fps > cfg.stream.max_fps:
        raise ConfigError(f"stream.fps: {cfg.stream.fps} is above stream.max_fps {cfg.stream.max_fps}")
    if cfg.server.rate_burst < cfg.server.rate_limit_per_s / 10:
        raise ConfigError("server.rate_burst: must allow at least a tenth of a second of server.rate_limit_per_s")


def load_config(path: Path | str | None = None, *, env: dict[str, str] | None = None,
                overrides: dict[str, Any] | None = None) -> Config:
    """Defaults, then the TOML file, then OHLORA_<SECTION>__<KEY> variables, then `overrides`."""
    cfg = Config()
    if path is not None:
        path = Path(path)
        if not path.exists():
            raise ConfigError(f"config file {path} does not exist")
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as e:
            raise ConfigError(f"{path}: not valid TOML: {e}") from None
        for section, table in data.items():
            if not isinstance(table, dict):
                raise ConfigError(f"{section}: expected a [{section}] table, got a value")
            for name, value in table.items():
                _set(cfg, f"{section}.{name}", value)
    env = os.environ if env is None else env
    for var, value in sorted(env.items()):
        if var.startswith("OHLORA_") and "__" in var:
            section, _, name = var[len("OHLORA_"):].partition("__")
            try:
                _set(cfg, f"{section.lower()}.{name.lower()}", value)
            except ConfigError as e:
                raise ConfigError(f"{e} (from environment variable {var})") from None
    for key, value in (overrides or {}).items():
        _set(cfg, key, value)
    _check(cfg)
    return cfg


def parse_set_flags(items: list[str]) -> dict[str, str]:
    """['server.port=9000', …] -> {'server.port': '9000'}, rejecting items without '='."""
    out = {}
    for item in items:
        key, eq, value = item.partition("=")
        if not eq or "." not in key:
            raise ConfigError(f"--set {item!r}: expected SECTION.KEY=VALUE, e.g. server.port=9000")
        out[key.strip()] = value
    return out

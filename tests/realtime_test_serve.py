"""`python -m tests.realtime_test_serve --port N`: the server app for integration and browser tests.

It runs what `ohlora serve` runs (`realtime.app.create_app`) with the real engines: the real avatar
(generator, directions, render loop, encoders) with a small keyframe atlas so that it starts in seconds on
CPU, and the real chat engine. Only an engine named with `--fake avatar` / `--fake chat` is replaced by its
fake from tests/realtime_fakes.py; a real engine that cannot load stops the server with its error. The
first line of output says which ran (tests.realtime_servers.ServerProcess.engines).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from realtime.app import create_app, serve_until_signalled
from realtime.config import load_config, parse_set_flags
from realtime.engines import Engines, build_chat_engine, build_matte
from realtime.logs import configure_logging
from tests.realtime_fakes import FakeAvatarRenderer, FakeChatEngine, FakeSafetyGate

SCRIPTED = ["안녕하세요! ", "저는 ", "오로라예요. ", "오늘은 ", "날씨가 ", "정말 ", "좋네요. ", "산책하기 ", "딱 ",
            "좋은 ", "날이에요. ", "당신은 ", "오늘 ", "뭐 ", "했어요? "]


def small_atlas_avatar(cfg, cache: Path):
    """The real AvatarRenderer, with a 3-point-per-axis atlas at 256² (seconds to build, not hours)."""
    from render.avatar import AvatarRenderer

    class SmallAtlasRenderer(AvatarRenderer):
        def _load(self) -> None:
            from render.directions import load_directions
            from render.generator import load_generator

            gen = load_generator(self.cfg.generator, "cpu")
            self.start_with(gen, load_directions(self.cfg.generator),
                            {"counts": (3,), "measure_points": 0, "log": lambda s: None, "cache": cache})

    cfg.path, cfg.refine, cfg.atlas_levels, cfg.device = "atlas", False, (256,), "cpu"
    return SmallAtlasRenderer(cfg, log=lambda s: None)


def build(cfg, fake: set[str], cache: Path) -> tuple[Engines, str]:
    real_avatar, real_chat = "avatar" not in fake, "chat" not in fake
    avatar = small_atlas_avatar(cfg.avatar, cache) if real_avatar else FakeAvatarRenderer()
    if real_chat:
        chat, safety = build_chat_engine(cfg.dialogue.options)
    else:
        chat, safety = FakeChatEngine(tokens=SCRIPTED, token_delay_s=0.05), FakeSafetyGate()
    matte = build_matte()
    which = (f"engines: avatar={'real' if real_avatar else 'fake'} chat={'real' if real_chat else 'fake'} "
             f"matte={'real' if matte else 'none'}")
    return Engines(avatar, chat, safety, matte), which


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--set", action="append", default=[])
    p.add_argument("--fake", action="append", default=[], choices=["avatar", "chat"])
    p.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "ohlora-test-atlas")
    args = p.parse_args()
    cfg = load_config(overrides={"server.port": args.port, **parse_set_flags(args.set)})
    configure_logging(cfg.server.log_format, "warning")
    engines, which = build(cfg, set(args.fake), args.cache)
    sys.stdout.write(which + "\n")  # one write, so a native library's log cannot split the line
    sys.stdout.flush()
    serve_until_signalled(create_app(cfg, engines), "127.0.0.1", args.port)


if __name__ == "__main__":
    main()

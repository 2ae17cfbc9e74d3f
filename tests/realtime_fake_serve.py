"""`python -m tests.realtime_fake_serve --port N`: the real server app over fake engines.

For tests that need a server process while an engine has not landed in this checkout (see
tests/realtime_servers.py); `ohlora serve` itself never uses fakes.
"""
from __future__ import annotations

import argparse

from aiohttp import web

from realtime.app import create_app
from realtime.config import load_config, parse_set_flags
from realtime.engines import Engines
from realtime.logs import configure_logging
from tests.realtime_fakes import FakeAvatarRenderer, FakeChatEngine, FakeSafetyGate


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--set", action="append", default=[])
    args = p.parse_args()
    cfg = load_config(overrides={"server.port": args.port, **parse_set_flags(args.set)})
    configure_logging(cfg.server.log_format, "warning")
    tokens = ["안녕하세요! ", "저는 ", "오로라예요. ", "오늘은 ", "날씨가 ", "정말 ", "좋네요. ", "산책하기 ", "딱 ",
              "좋은 ", "날이에요. ", "당신은 ", "오늘 ", "뭐 ", "했어요? "]
    engines = Engines(FakeAvatarRenderer(), FakeChatEngine(tokens=tokens, token_delay_s=0.05), FakeSafetyGate())
    web.run_app(create_app(cfg, engines), host="127.0.0.1", port=args.port, print=None, shutdown_timeout=2)


if __name__ == "__main__":
    main()

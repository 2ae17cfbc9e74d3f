"""`ohlora serve`, `ohlora client` and `ohlora bench serve`."""
from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "serve", help="start the live avatar server (web page, OBS page, websocket, MJPEG, metrics)",
        description="Start the server. Examples:\n"
                    "  ohlora serve                      # http://127.0.0.1:8080/\n"
                    "  ohlora serve --host 0.0.0.0 --port 9000 --config ohlora.toml\n"
                    "  ohlora serve --set stream.size=512 --set avatar.device=cuda\n"
                    "Settings: TOML file < OHLORA_<SECTION>__<KEY> environment < flags (docs/protocol.md).",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default 8080; 0 picks a free one)")
    p.add_argument("--config", type=Path, help="a TOML file with [server], [stream], [avatar], [dialogue]")
    p.add_argument("--prepare", action="store_true",
                   help="load the models and build the CPU keyframe atlas, then exit (README's set-up runs it)")
    p.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE",
                   help="override one setting, e.g. --set stream.fps=25 (repeatable)")
    p.set_defaults(func=cmd_serve)

    c = sub.add_parser(
        "client", help="talk to a running server from the terminal (and save her frames)",
        description="Example: ohlora client --say \"안녕, 오로라!\" --save-frames frames/")
    c.add_argument("--url", default="ws://127.0.0.1:8080/ws", help="the server's websocket (default %(default)s)")
    c.add_argument("--say", action="append", default=[], metavar="TEXT", help="a message (repeatable: one turn each)")
    c.add_argument("--credential-file", type=Path, default=None, metavar="FILE",
                   help="where the credential the server issues you is kept, per server, so the next run resumes "
                        "your conversation (default $OHLORA_DATA_DIR/client-credentials.json)")
    c.add_argument("--new-user", action="store_true", help="start as a new user (ignore the stored credential)")
    c.add_argument("--token", help="the server's shared token, if it has one")
    c.add_argument("--size", type=int, help="frame size in pixels")
    c.add_argument("--save-frames", type=Path, metavar="DIR", help="write every received frame as DIR/NNNNNN.jpg")
    c.add_argument("--watch", type=float, default=0.0, metavar="SECONDS",
                   help="keep receiving frames this long after the last answer")
    c.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for each answer")
    c.set_defaults(func=cmd_client)


def add_bench_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="latency and frames/s of the real server on loopback with real clients")
    p.add_argument("--url", help="bench a server already running at this http:// URL instead of starting one")
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--fps", type=float, default=30.0)
    p.add_argument("--viewers", type=int, default=10, help="viewers joining the chat session (default 10)")
    p.add_argument("--sessions", type=int, default=1, help="chat sessions streaming at once (default 1)")
    p.add_argument("--seconds", type=float, default=10.0, help="length of the frames/s measurement")
    p.add_argument("--turns", type=int, default=5, help="turns for the latency medians (default 5)")
    p.add_argument("--converse-s", type=float, default=0.0, metavar="SECONDS",
                   help="then every session converses for this long, each user sending the next message when her "
                        "answer ends; first token per answer and frames/s meanwhile (default 0: skip)")
    p.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE",
                   help="settings for the started server (e.g. avatar.device=cuda)")
    p.add_argument("--label", help="what the server under test is (written beside the figures; useful with --url)")
    p.add_argument("--no-write", action="store_true", help="print only; do not update docs/benchmarks.md")
    p.set_defaults(func=cmd_bench_serve)


def cmd_serve(args: argparse.Namespace) -> int:
    from .app import create_app, serve_until_signalled
    from .config import load_config, parse_set_flags
    from .engines import build_engines
    from .logs import configure_logging

    overrides = parse_set_flags(args.set)
    if args.host:
        overrides["server.host"] = args.host
    if args.port is not None:
        overrides["server.port"] = args.port
    cfg = load_config(args.config, overrides=overrides)
    configure_logging(cfg.server.log_format, cfg.server.log_level)
    engines = build_engines(cfg.avatar, cfg.dialogue.options)
    if args.prepare:
        # Load every model and build the CPU keyframe atlas once, so the next start takes seconds.
        async def warm() -> None:
            await engines.avatar.start()
            await engines.avatar.stop()

        asyncio.run(warm())
        print("ohlora serve: models loaded and caches built; `ohlora serve` now starts in seconds")
        return 0
    app = create_app(cfg, engines, exit_if_interrupted_at_start=True)

    def announce(address: str) -> None:  # the address the site bound
        import re

        host = "127.0.0.1" if cfg.server.host in ("0.0.0.0", "::", "") else cfg.server.host
        found = re.search(r"http://\S+:(\d+)", address)
        port = found.group(1) if found else str(cfg.server.port)
        base = f"http://{host}:{port}"
        print(f"Oh-LoRA is live: open {base}/  (the page shows your OBS and MJPEG viewer links; "
              f"health: {base}/healthz, metrics: {base}/metrics)", flush=True)

    serve_until_signalled(app, cfg.server.host, cfg.server.port, announce)


def cmd_client(args: argparse.Namespace) -> int:
    return asyncio.run(_client(args))


async def _client(args: argparse.Namespace) -> int:
    from .client import ClientError, CredentialFile, OhloraClient

    store = CredentialFile(args.credential_file)
    credential = None if args.new_user else store.get(args.url)
    client = OhloraClient(args.url, credential=credential, token=args.token, size=args.size,
                          save_frames=args.save_frames)
    try:
        hello = await client.connect()
    except (OSError, ClientError) as e:
        hint = ("; the stored credential was refused: run again with --new-user to start afresh"
                if isinstance(e, ClientError) and e.error and e.error.get("code") == "unauthorized" and credential
                else " (is `ohlora serve` running?)")
        raise ValueError(f"cannot talk to {args.url}: {e}{hint}") from None
    store.put(args.url, hello["credential"])
    try:
        print(f"session {hello['session']} (user {hello['user']}{', resumed' if hello['resumed'] else ''}), "
              f"{hello['accepted']['size']}² at {hello['accepted']['fps']:g} fps; viewer key {hello['viewer_key']}",
              file=sys.stderr)
        for text in args.say:
            print(f"> {text}")
            await client.say(text)
            while True:
                msg = await client.wait_for(("chat.delta", "chat.done", "error"), args.timeout)
                if msg["type"] == "chat.delta":
                    print(msg["text"], end="", flush=True)
                elif msg["type"] == "error":
                    print(f"\nerror: {msg['code']}: {msg['message']}", file=sys.stderr)
                    if msg["fatal"]:
                        return 1
                else:
                    print()
                    break
        if args.watch:
            await asyncio.sleep(args.watch)
        print(f"{client.frames_received} frames received"
              + (f", saved in {args.save_frames}/" if args.save_frames else ""), file=sys.stderr)
        return 0
    finally:
        await client.close()


def cmd_bench_serve(args: argparse.Namespace) -> int:
    from .bench import run_bench_serve

    return run_bench_serve(args)

"""`ohlora chat`: the conversation engine in a terminal, answer streamed, the roles' results dimmed."""
from __future__ import annotations

import argparse
import logging
import sys
from datetime import datetime

from dialogue.conversation import PersonaChat, build_chat_engine
from dialogue.interfaces import TokenEvent, TurnDone

DIM, RESET, BOLD = "\x1b[2m", "\x1b[0m", "\x1b[1m"


def build_engine(args: argparse.Namespace) -> PersonaChat:
    return build_chat_engine(backend="remote" if args.remote else "in-process", remote_url=args.remote,
                             remote_models=args.remote_models, remote_api=args.remote_api,
                             remote_roles=args.remote_roles, threads=args.threads,
                             collaborators=not args.no_collaborators)


async def run_chat(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.WARNING, format=f"{DIM}%(levelname)s %(message)s{RESET}")
    print(f"{DIM}loading Oh-LoRA…{RESET}", file=sys.stderr)
    engine = build_engine(args)
    print(f"{BOLD}오로라{RESET}: 안녕! 나는 오로라야. 편하게 말 걸어 줘 😊  {DIM}(Ctrl-D to quit){RESET}")
    while True:
        try:
            message = input("> ")
        except EOFError:
            print()
            await engine.aclose()
            return 0
        if not message.strip():
            continue
        print(f"{BOLD}오로라{RESET}: ", end="", flush=True)
        shown = ""
        try:
            async for ev in engine.turn(args.user, message, datetime.now()):
                if isinstance(ev, TokenEvent):
                    shown += ev.text
                    print(ev.text, end="", flush=True)
                elif isinstance(ev, TurnDone):
                    print()
                    if ev.refused is not None:  # the safety gate answered: say what it decided and whether it counted
                        r = ev.refused
                        until = f", until {r.blocked_until:%Y-%m-%d %H:%M}" if r.blocked_until else ""
                        print(f"{DIM}  safety: {r.action} ({r.category}, p={r.probability:.2f}{until}){RESET}")
                        continue
                    memory = ev.memory.as_text() if ev.memory else "(nothing)"
                    e = ev.expression
                    t = ev.timings
                    print(f"{DIM}  memory: {memory}\n  summary: {ev.summary or '-'}\n"
                          f"  expression: eyes {e.eyes}, mouth {e.mouth}, head {e.head}\n"
                          f"  first token {t.get('first_token_s', 0):.2f} s, answer {t.get('answer_s', 0):.2f} s, "
                          f"roles {t.get('memory_s', 0) + t.get('summary_s', 0) + t.get('expression_s', 0):.2f} s"
                          f"{RESET}")
        except KeyboardInterrupt:
            engine.record_interrupted(args.user, shown)
            print(f"\n{DIM}(interrupted){RESET}")

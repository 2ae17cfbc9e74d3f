"""`ohlora chat`: the conversation engine in a terminal, answer streamed, the roles' results dimmed."""
from __future__ import annotations

import argparse
import importlib
import logging
import sys
from datetime import datetime

from dialogue.conversation import PersonaChat
from dialogue.interfaces import TokenEvent, TurnDone

DIM, RESET, BOLD = "\x1b[2m", "\x1b[0m", "\x1b[1m"

# Issue 6 provides these (memory store, topic detector, safety gate) in dialogue/; wired when present.
COLLABORATOR_FACTORIES = {
    "memory": ("dialogue.memory", "default_memory_provider"),
    "topics": ("dialogue.topics", "default_topic_detector"),
    "safety": ("dialogue.safety", "default_safety_gate"),
}


def load_collaborators() -> dict:
    """Whichever of memory / topic detector / safety gate this installation has, built with defaults."""
    found = {}
    for name, (module, factory) in COLLABORATOR_FACTORIES.items():
        try:
            mod = importlib.import_module(module)
        except ImportError:
            continue
        if hasattr(mod, factory):
            try:
                found[name] = getattr(mod, factory)()
            except Exception as e:  # a collaborator that cannot start must not stop the chat
                print(f"{DIM}({name} unavailable: {e}){RESET}", file=sys.stderr)
    return found


def build_engine(args: argparse.Namespace) -> PersonaChat:
    if args.remote:
        from dialogue.backends import RemoteLLM
        from dialogue.prompting import ROLES

        names = args.remote_models.split(",")
        if len(names) != 4:
            raise ValueError("--remote-models needs four comma-separated names: answer,memory,summary,expression")
        llm = RemoteLLM(args.remote, dict(zip(ROLES, names)))
        count = None
    else:
        from dialogue.evaluation import load_default_llm

        llm = load_default_llm(threads=args.threads)
        count = lambda text: len(llm.tokenizer(text, add_special_tokens=False)["input_ids"])  # noqa: E731
    collaborators = {} if args.no_collaborators else load_collaborators()
    return PersonaChat(llm, count_tokens=count, **collaborators)


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

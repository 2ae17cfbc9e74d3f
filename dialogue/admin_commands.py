"""Operator commands on users' stored data: `ohlora admin blocks list|lift`, `ohlora memory export|delete`."""
from __future__ import annotations

import argparse
import json
from datetime import datetime
from pathlib import Path


def _db_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", default=None,
                   help="the dialogue database: a file or a postgresql:// URL (default $OHLORA_DB or "
                        "~/.local/share/ohlora/dialogue.sqlite3)")


def add_parsers(sub: argparse._SubParsersAction) -> None:
    admin = sub.add_parser("admin", help="operator commands").add_subparsers(
        dest="admin_command", required=True, metavar="WHAT")
    blocks = admin.add_parser("blocks", help="list or lift users' blocks").add_subparsers(
        dest="blocks_command", required=True, metavar="ACTION")
    p = blocks.add_parser("list", help="blocks still running (with --all: every escalation record)")
    p.add_argument("--all", action="store_true")
    _db_arg(p)
    p.set_defaults(func=cmd_blocks_list)
    p = blocks.add_parser("lift", help="end a user's blocks and reset the escalation")
    p.add_argument("user")
    p.add_argument("--category", default=None, help="only this category (default: all)")
    _db_arg(p)
    p.set_defaults(func=cmd_blocks_lift)

    mem = sub.add_parser("memory", help="a user's stored memories and conversation (privacy: export, delete)").add_subparsers(
        dest="memory_command", required=True, metavar="WHAT")
    p = mem.add_parser("export", help="write a user's memories and conversation as JSON")
    p.add_argument("user")
    p.add_argument("-o", "--output", type=Path, default=None, help="file (default: print)")
    _db_arg(p)
    p.set_defaults(func=cmd_memory_export)
    p = mem.add_parser("delete", help="delete every memory and the whole conversation of a user")
    p.add_argument("user")
    _db_arg(p)
    p.set_defaults(func=cmd_memory_delete)


def _open_db(url: str | None):
    from dialogue.database import database_url, is_postgres, open_database, sqlite_path

    url = url or database_url()
    if not is_postgres(url) and not sqlite_path(url).exists():
        raise FileNotFoundError(f"no dialogue database at {url} (set --db or OHLORA_DB)")
    return open_database(url)


def cmd_blocks_list(args: argparse.Namespace) -> int:
    from dialogue.blocks import BlockPolicy

    now = datetime.now().astimezone()
    blocks = BlockPolicy(_open_db(args.db)).blocks(now=None if args.all else now)
    if not blocks:
        print("no blocks" if args.all else "no running blocks")
        return 0
    print(f"{'user':24} {'category':10} {'level':>5}  until")
    for b in blocks:
        until = b.until.strftime("%Y-%m-%d %H:%M") if b.until else "(warned)"
        state = "  (lifted)" if b.level == 0 else "" if b.active(now) else "  (ended)" if b.until else ""
        print(f"{b.user_id:24} {b.category:10} {b.level:>5}  {until}{state}")
    return 0


def cmd_blocks_lift(args: argparse.Namespace) -> int:
    from dialogue.blocks import BlockPolicy

    n = BlockPolicy(_open_db(args.db)).lift(args.user, args.category)
    if n == 0:
        raise ValueError(f"user '{args.user}' has no block{' in ' + args.category if args.category else ''}")
    print(f"lifted {n} block record(s) of {args.user}")
    return 0


def _store(path: Path | None):
    from dialogue.memory import MemoryStore

    class _NoEncoder:  # export and delete never embed: skip loading the model
        dim = 384

    return MemoryStore(_open_db(path), encoder=_NoEncoder())


def cmd_memory_export(args: argparse.Namespace) -> int:
    from dialogue.conversation_store import ConversationStore

    store = _store(args.db)
    memories, conversation = store.export(args.user), ConversationStore(store.db).export(args.user)
    text = json.dumps({"user_id": args.user, "memories": memories, "conversation": conversation},
                      ensure_ascii=False, indent=1)
    if args.output:
        args.output.write_text(text, encoding="utf-8")
        print(f"wrote {len(memories)} memories and {len(conversation)} exchanges to {args.output}")
    else:
        print(text)
    return 0


def cmd_memory_delete(args: argparse.Namespace) -> int:
    from dialogue.conversation_store import ConversationStore

    store = _store(args.db)
    memories, exchanges = store.delete_user(args.user), ConversationStore(store.db).delete_user(args.user)
    print(f"deleted {memories} memories and {exchanges} exchanges of {args.user}")
    return 0

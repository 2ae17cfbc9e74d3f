"""The `ohlora` command: one entry point, a subcommand per job.

Each package owns the subcommands of its domain (`render.commands`, `weights.commands`, …); this module
only assembles them, turns a user's mistake into a one-line error, and sets the exit code.
"""
from __future__ import annotations

import argparse
import os
import sys

# OpenMP's idle threads must spin briefly between torch's many small parallel regions (a decode step runs
# ~700 of them): libgomp stops spinning as soon as more of its threads exist than cores, which happens as soon
# as a second thread (the LLM's decode loop beside the event loop) uses torch, and one LLM token then took
# 23-30 ms instead of 15-18 on 2 cores (docs/benchmarks.md). Set before torch loads libgomp; the user's own
# settings win.
os.environ.setdefault("OMP_WAIT_POLICY", "ACTIVE")
os.environ.setdefault("GOMP_SPINCOUNT", "100000")


# Modules that contribute subcommands: each has `add_parsers(sub)` and may have `add_bench_parsers(sub)`.
COMMAND_MODULES = [
    "weights.commands",
    "render.commands",
    "dialogue.commands",
    "render.vectors.commands",
    "realtime.commands",
    "dialogue.classifier_commands",
    "dialogue.admin_commands",
]


def build_parser() -> argparse.ArgumentParser:
    import importlib

    modules = [importlib.import_module(m) for m in COMMAND_MODULES]
    parser = argparse.ArgumentParser(
        prog="ohlora",
        description="Oh-LoRA (오로라), a real-time streaming virtual human.\n\n"
                    "First time: `ohlora weights prepare` (README's set-up command does it for you).\n"
                    "Then e.g.: `ohlora render --seed 7 -o face.png`.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in modules:
        module.add_parsers(sub)
    bench = sub.add_parser("bench", help="measure speed; results go to docs/benchmarks.md")
    bench_sub = bench.add_subparsers(dest="bench_command", required=True, metavar="WHAT")
    for module in modules:
        if hasattr(module, "add_bench_parsers"):
            module.add_bench_parsers(bench_sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except (ValueError, FileNotFoundError, PermissionError) as e:
        print(f"ohlora {args.command}: error: {e}", file=sys.stderr)
        return 2
    except Exception as e:  # a known failure of a step names what to do next
        from weights import PrepareError

        if isinstance(e, PrepareError):
            print(f"ohlora {args.command}: {e}", file=sys.stderr)
            return 1
        raise


if __name__ == "__main__":
    sys.exit(main())

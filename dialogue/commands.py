"""`ohlora chat`, `ohlora train`, `ohlora eval dialogue`, `ohlora bench dialogue`."""
from __future__ import annotations

import argparse

from dialogue.prompting import ROLES


def add_parsers(sub: argparse._SubParsersAction) -> None:
    train = sub.add_parser("train", help="train the persona's LoRA adapters on dialogue/data (seeded)")
    train.add_argument("--role", required=True, choices=[*ROLES, "all"])
    train.add_argument("--max-minutes", type=float, help="time limit per role (default: per-role budget)")
    train.add_argument("--max-steps", type=int)
    train.add_argument("--epochs", type=float)
    train.add_argument("--rank", type=int, default=8)
    train.add_argument("--lr", type=float, default=4e-4)
    train.add_argument("--seed", type=int, default=1011)
    train.add_argument("--threads", type=int, default=2)
    train.set_defaults(func=_train)


def _train(args: argparse.Namespace) -> int:
    from dialogue.training import ROLE_DEFAULTS, TrainConfig, train_role
    from weights import prepared_path

    base = prepared_path("gemma3-270m")
    roles = ROLES if args.role == "all" else (args.role,)
    for role in roles:
        opts = dict(ROLE_DEFAULTS[role])
        if args.max_minutes is not None:
            opts["max_minutes"] = args.max_minutes
        if args.epochs is not None:
            opts["max_epochs"] = args.epochs
        cfg = TrainConfig(role=role, rank=args.rank, alpha=2 * args.rank, lr=args.lr, seed=args.seed,
                          threads=args.threads, max_steps=args.max_steps, **opts)
        report = train_role(cfg, base)
        print(f"{role}: {report.steps} steps ({report.epochs} epochs, {report.seconds_per_step} s/step), held-out loss "
              f"{report.initial_held_out_loss:.3f} -> best {report.best_held_out_loss:.3f} at step {report.best_step}; "
              f"{report.stopped_because}", flush=True)
    return 0

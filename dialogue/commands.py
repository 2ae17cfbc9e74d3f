"""`ohlora chat`, `ohlora train`, `ohlora eval dialogue|open`, `ohlora bench dialogue|remote`: the parsers, and
handlers that import what they run (realtime/cli.py builds every parser on each `ohlora` call, so nothing
heavier than the prompt layout is imported here)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from dialogue.prompting import ROLES

if TYPE_CHECKING:
    from dialogue.training.lora import TrainConfig


def add_parsers(sub: argparse._SubParsersAction) -> None:
    train = sub.add_parser("train", help="train the persona's LoRA adapters on dialogue/data (seeded; an interrupted "
                                         "run continues where it stopped)",
                           description="Train the persona's LoRA adapters on dialogue/data (seeded). A run writes a "
                                       "checkpoint (<adapters>/.checkpoints/<role>.pt) at every evaluation, every "
                                       "--checkpoint-every steps and on Ctrl-C/SIGTERM; running the same command "
                                       "again continues from it exactly where it stopped (--restart starts over).")
    train.add_argument("--role", required=True, choices=[*ROLES, "all"])
    train.add_argument("--max-minutes", type=float,
                       help="time limit per role, counted over all sessions of an interrupted run (default: per-role "
                            "budget)")
    train.add_argument("--max-steps", type=int)
    train.add_argument("--epochs", type=float)
    train.add_argument("--max-examples", type=int, help="train on a seeded subsample of this many examples")
    train.add_argument("--resume", action="store_true",
                       help="start from the role's finished adapter and train it further, on the batches after the "
                            "ones it was trained on (not needed to continue an interrupted run: that happens by itself)")
    train.add_argument("--restart", action="store_true",
                       help="discard the checkpoint of an interrupted run and start it over")
    train.add_argument("--checkpoint-every", type=int, default=None, metavar="STEPS",
                       help="steps between checkpoints besides the one at every evaluation; 0: only at evaluations "
                            "(default 50)")
    train.add_argument("--rank", type=int, default=8)
    train.add_argument("--lr", type=float, default=4e-4)
    train.add_argument("--seed", type=int, default=1011)
    train.add_argument("--threads", type=int, default=2)
    train.add_argument("--from-layer", type=int, default=None,
                       help="put LoRA on decoder layers from this one up (default 6; 0 for the answer role)")
    train.add_argument("--patience", type=int, default=None, help="evaluations without improvement before stopping")
    train.add_argument("--data", choices=["generated", "written"], default="generated",
                       help="generated (default): dialogue/data/turns.jsonl, what the committed adapters were trained "
                            "on; written: the hand-written conversations of dialogue/data/written (answer prompts "
                            "with up to 3 earlier exchanges) plus the generated persona-fact turns; train it into a "
                            "new --out folder (its vocabulary is built from the data)")
    train.add_argument("--memory-lines", choices=["gated", "stored"], default="gated",
                       help="with --data written, the memories an answer prompt shows: gated (default) as the live "
                            "relevance gate does, the memory the answer uses alone and usually none otherwise; "
                            "stored: up to 3 of the conversation's memories on every turn (for prompt_memories = 3)")
    train.add_argument("--focus", metavar="PREFIX",
                       help="with --data written: train on the conversations of the written turns/ files whose name "
                            "starts with PREFIX (e.g. memory-use) plus as many other turns replayed; with --resume, "
                            "teaches the finished adapter new files without another pass over the rest")
    train.add_argument("--examples", action="store_true",
                       help="with --data written: show each turn the nearest written exchange of another conversation "
                            "as an example (as the answer bank does live below its serving cosine) and train on those "
                            "turns plus as many others replayed; meant with --resume")
    train.add_argument("--validation", action="store_true",
                       help="leave the validation part of the training split out and early-stop on it (to compare "
                            "configurations with `ohlora eval dialogue --split validation`); use with --out")
    train.add_argument("--out", type=Path, default=None, metavar="DIR",
                       help="write adapters here instead of weights/adapters (the other roles' adapters and "
                            "vocabulary.json are copied in when missing, so DIR can be evaluated as it is)")
    train.set_defaults(func=_train)

    chat = sub.add_parser("chat", help="talk with Oh-LoRA in this terminal (streamed; Korean or English)")
    chat.add_argument("--user", default="terminal", help="user id for memories and blocks (default 'terminal')")
    chat.add_argument("--remote", metavar="URL", help="an OpenAI-compatible endpoint (e.g. http://host:8000/v1) "
                                                      "instead of the in-process model")
    chat.add_argument("--remote-models", default="answer,memory,summary,expression",
                      help="served model/adapter names for answer,memory,summary,expression (or one name for all)")
    chat.add_argument("--remote-api", default="completions", choices=["completions", "chat"],
                      help="completions: our prompts for our adapters; chat: an instruction-tuned model with her "
                           "persona in the system prompt")
    chat.add_argument("--remote-roles", default="answer,memory,summary,expression",
                      help="roles run on the remote engine; the others run on the in-process model")
    chat.add_argument("--threads", type=int, default=None)
    chat.add_argument("--no-collaborators", action="store_true",
                      help="run without memory store, topic detector and safety gate")
    chat.set_defaults(func=_chat)

    ev = _subcommand_group(sub, "eval", "measure quality on held-out data")
    p = ev.add_parser("dialogue", help="persona facts, memory, expression, validity, language on the held-out split")
    p.add_argument("--full", action="store_true", help="answers and summaries on every held-out turn "
                                                        "(default: every persona turn + 15 others; 20 summaries)")
    p.add_argument("--turns", type=int, help="at most this many held-out turns (every persona turn kept first)")
    p.add_argument("--answers", type=int, default=15, help="answers on every persona turn plus this many others")
    p.add_argument("--summaries", type=int, default=20, help="summaries on this many turns")
    p.add_argument("--no-write", action="store_true", help="print only; do not update docs/persona-eval.md")
    p.add_argument("--split", default="held-out", choices=["held-out", "validation"],
                   help="validation: the part of the training split that `ohlora train --validation` leaves out "
                        "(for comparing configurations; never written to docs)")
    p.add_argument("--adapters", type=Path, default=None, metavar="DIR",
                   help="evaluate the adapters in DIR (default: the committed weights/adapters)")
    p.set_defaults(func=_eval)

    p = ev.add_parser("open", help="her answers to written messages nobody trained on, graded blind by two judges: "
                                   "answers -> sheet -> score (docs/open-eval.md)")
    p.add_argument("step", choices=["answers", "sheet", "score"],
                   help="answers: run the live pipeline on a set; sheet: the judges' grading sheet and rubric; "
                        "score: combine two judges' grades into the figure")
    p.add_argument("--set", dest="item_set", default="heldout/open",
                   help="a file of dialogue/data/written without .jsonl: heldout/open (default), heldout/memory "
                        "(retrieval cases as messages), heldout/persona (questions about her facts, scored by the "
                        "fact they must state), and the validation/ ones")
    p.add_argument("--transcript", type=Path, default=None,
                   help="the transcript file (default docs/open-eval/<set>.transcript.jsonl)")
    p.add_argument("--grades", type=Path, nargs="+", default=[], metavar="FILE", help="score: the judges' grade files")
    p.add_argument("--limit", type=int, default=None, help="answers: N items spread evenly over the set (a quick look)")
    p.add_argument("--adapters", type=Path, default=None, metavar="DIR",
                   help="answers: the adapters in DIR (default: the committed weights/adapters)")
    p.add_argument("--temperature", type=float, default=None,
                   help="answers: answer decoding temperature (default: the server's, ANSWER_DECODING)")
    p.add_argument("--top-p", type=float, default=None, help="answers: nucleus sampling's top-p when sampling")
    p.add_argument("--prompt-memories", type=int, default=None, metavar="N",
                   help="answers: memories in the answer prompt (0: the one the relevance gate lets through; N: the "
                        "N nearest, ungated); default: the server's (LIVE_PROMPT_MEMORIES)")
    p.add_argument("--repetition-penalty", type=float, default=None,
                   help="answers: penalty on tokens the answer already holds (1: none)")
    p.add_argument("--full-vocabulary", action="store_true",
                   help="answers: decode through Gemma's whole 262,144-row LM head instead of the persona vocabulary's")
    p.add_argument("--answer-max-tokens", type=int, default=None, metavar="N",
                   help="answers: the most tokens an answer may run to (default: the server's, ANSWER_MAX_TOKENS)")
    p.add_argument("--answer-bank", default="auto", metavar="COSINE",
                   help="answers: the least message similarity for reusing the nearest written answer (0: every "
                        "answer generated); default (auto): the server's, the answer-fit model choosing among the "
                        "nearest")
    p.set_defaults(func=_eval_open)

    p = ev.add_parser("remember", help="what the memory role stores from free-form messages, against the facts a "
                                       "writer listed (dialogue/data/written/*/remember.jsonl)")
    p.add_argument("--set", dest="item_set", default="heldout", choices=["heldout", "validation"],
                   help="heldout (default): the test writer's messages, for the figure; validation: for choices")
    p.add_argument("--adapters", type=Path, default=None, metavar="DIR",
                   help="the memory role of the adapters in DIR (default: the committed weights/adapters)")
    p.add_argument("--limit", type=int, default=None, help="the first N messages (a quick look)")
    p.add_argument("--no-write", action="store_true",
                   help="print only; do not update docs/dialogue-eval.md (never written for validation or --adapters)")
    p.add_argument("--threads", type=int, default=None)
    p.set_defaults(func=_eval_remember)

    p = ev.add_parser("summary", help="does the summary role say what happened in the exchange: write -> sheet -> "
                                      "score, graded blind by two judges")
    p.add_argument("step", choices=["write", "sheet", "score"],
                   help="write: summaries of an open-eval transcript's exchanges; sheet: one blind sheet of one or "
                        "more summary files and its key; score: two judges' grades per summary file")
    p.add_argument("--transcript", type=Path, help="write: the open-eval transcript (`ohlora eval open answers`)")
    p.add_argument("--adapters", type=Path, default=None, metavar="DIR",
                   help="write: the summary role of the adapters in DIR (default: the committed weights/adapters)")
    p.add_argument("--out", type=Path, help="write: the summaries file; sheet: the sheet (the key goes beside it)")
    p.add_argument("--runs", type=Path, nargs="+", default=[], metavar="FILE", help="sheet, score: summary files")
    p.add_argument("--key", type=Path, help="score: the key written with the sheet")
    p.add_argument("--grades", type=Path, nargs="+", default=[], metavar="FILE", help="score: the judges' grades")
    p.add_argument("--threads", type=int, default=None)
    p.set_defaults(func=_eval_summary)


def add_bench_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("dialogue", help="time to first token, decode tokens/s, where decode time goes, post-answer roles; "
                                        "embedding, both classifiers, retrieval over 10,000 memories")
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--part", default="all", choices=["all", "llm", "classifiers"],
                   help="llm: the persona LLM only; classifiers: encoder, classifiers and retrieval only")
    p.add_argument("--threads", type=int, default=None,
                   help="threads for both engines (llm part, default 2) and torch's for the classifiers part")
    p.add_argument("--no-llamacpp", action="store_true", help="llm part: skip the llama.cpp rows")
    p.add_argument("--no-write", action="store_true", help="print only; do not update docs/benchmarks.md")
    p.set_defaults(func=_bench)
    r = sub.add_parser("remote", help="first token and tokens/s: llama.cpp's server directly, through ohlora's remote "
                                      "path, and the in-process path, side by side")
    r.add_argument("--url", help="an engine already running (OpenAI-compatible, serving our role adapters as "
                                 "answer/memory/summary/expression); default: start llama.cpp's server here")
    r.add_argument("--reps", type=int, default=5)
    r.add_argument("--threads", type=int, default=2, help="llama.cpp threads when it is started here (default 2)")
    r.add_argument("--no-in-process", action="store_true", help="skip the in-process path")
    r.add_argument("--no-write", action="store_true", help="print only; do not update docs/benchmarks.md")
    r.set_defaults(func=_bench_remote)


def _subcommand_group(sub: argparse._SubParsersAction, name: str, help_text: str) -> argparse._SubParsersAction:
    """The sub-subcommands of `name`, shared with other packages that add to the same group."""
    if name in sub.choices:
        for action in sub.choices[name]._actions:
            if isinstance(action, argparse._SubParsersAction):
                return action
    parser = sub.add_parser(name, help=help_text)
    return parser.add_subparsers(dest=f"{name}_command", required=True, metavar="WHAT")


OPEN_EVAL_DIR = Path(__file__).resolve().parent.parent / "docs" / "open-eval"
PERSONA_EVAL_CAVEAT = (
    "**Read this first.** The held-out split below comes from the same templates (`dialogue/data/compose.py`) "
    "as the training turns: it says whether the templates were learned, not whether she can talk. What a "
    "user meets is measured on messages written by someone who wrote none of the training data and graded "
    "blind by two judges: `ohlora eval open`, [open-eval/heldout-open.md](open-eval/heldout-open.md).")


def _scored_without_judges(name: str, rows: list[dict], scored_again: bool = False) -> str | None:
    """The report of a set whose answers are scored by what they must say (questions about her facts, whose
    fact it is), or None for a set that needs judges."""
    from dialogue.evaluation import open as open_eval
    from dialogue.evaluation.ownership import ownership_report

    if rows and all("aspect" in r for r in rows):
        return open_eval.persona_report(name, rows, scored_again=scored_again)
    if rows and all(str(r.get("category", "")).startswith("ownership:") for r in rows):
        return ownership_report(name, rows)
    if rows and all(r.get("category") == "language-switch" for r in rows):
        return open_eval.language_report(name, rows)
    if rows and all(str(r.get("category", "")).startswith("greeting-hour:") for r in rows):
        return open_eval.greeting_report(name, rows)
    if rows and all(str(r.get("category", "")).startswith("taste:") for r in rows):
        from dialogue.evaluation.tastes import taste_report

        return taste_report(name, rows, scored_again=scored_again)
    return None


def _eval_open(args: argparse.Namespace) -> int:
    import json

    from dialogue.data.written import WRITTEN_DIR, json_lines
    from dialogue.evaluation import open as open_eval

    source = WRITTEN_DIR / f"{args.item_set}.jsonl"
    if not source.exists():
        raise ValueError(f"no item set {source}; known: heldout/open, heldout/memory, heldout/persona and the "
                         "same under validation/")
    name = args.item_set.replace("/", "-")
    transcript = args.transcript or OPEN_EVAL_DIR / f"{name}.transcript.jsonl"
    stem = transcript.name.removesuffix(".jsonl").removesuffix(".transcript")  # the sheet and report sit beside it
    if args.step == "answers":
        import tempfile

        from dialogue.conversation import (ANSWER_MAX_TOKENS, LIVE_PROMPT_MEMORIES, AnswerDecoding, PersonaChat,
                                           answer_bank_threshold, build_collaborators)
        from dialogue.llm_loading import ADAPTERS_DIR, load_default_llm, trained_prompt_shape, trained_with_examples

        items = open_eval.load_items(source)
        if args.limit:  # an even spread over the set (its files run category by category, language by language)
            items = items[::max(1, len(items) // args.limit)][:args.limit]
        llm = load_default_llm(adapters=args.adapters, full_vocabulary=args.full_vocabulary)
        with tempfile.TemporaryDirectory() as tmp:  # the items' memories and offences go to a throwaway database
            history, _ = trained_prompt_shape(args.adapters or ADAPTERS_DIR)
            memories = LIVE_PROMPT_MEMORIES if args.prompt_memories is None else args.prompt_memories
            decoding = AnswerDecoding.with_overrides(args.temperature, args.top_p, args.repetition_penalty)
            decoding.apply(llm)
            engine = PersonaChat(llm, count_tokens=llm.tokenizer.count,
                                 history_turns=history, prompt_memories=memories, temperature=decoding.temperature,
                                 answer_max_tokens=args.answer_max_tokens or ANSWER_MAX_TOKENS,
                                 answer_examples=trained_with_examples(Path(args.adapters or ADAPTERS_DIR)),
                                 **build_collaborators(str(Path(tmp) / "eval.sqlite3"),
                                                       answer_bank=answer_bank_threshold(args.answer_bank),
                                                       answer_fit=args.answer_bank == "auto"))
            rows = open_eval.answer_items(items, engine)
        transcript.parent.mkdir(parents=True, exist_ok=True)
        transcript.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        print(f"{len(rows)} answers -> {transcript}")
        body = _scored_without_judges(name, rows)
        if body:
            print(body)
            transcript.with_name(f"{stem}.md").write_text(body, encoding="utf-8")
        return 0
    if not transcript.exists():
        raise ValueError(f"no transcript {transcript}: run `ohlora eval open answers --set {args.item_set}` first")
    rows = [row for _, row in json_lines(transcript)]
    if args.step == "sheet":
        sheet = transcript.with_name(f"{stem}.sheet.md")
        sheet.write_text(open_eval.grading_sheet(rows), encoding="utf-8")
        print(f"grading sheet for {len(rows)} answers -> {sheet}")
        return 0
    if args.step == "score" and not args.grades:
        # sets scored by what the answer must say, again (e.g. after a scoring fix)
        body = _scored_without_judges(name, rows, scored_again=True)
        if body:
            print(body)
            transcript.with_name(f"{stem}.md").write_text(body, encoding="utf-8")
            return 0
    if len(args.grades) < 2:
        raise ValueError("score needs two judges' grade files: --grades A.jsonl B.jsonl")
    result = open_eval.score(rows, [open_eval.read_grades(g) for g in args.grades])
    memory = open_eval.memory_figures(rows, [open_eval.read_memory_marks(g) for g in args.grades])
    body = open_eval.report(name, result, rows, args.grades, memory)
    print(body)
    path = transcript.with_name(f"{stem}.md")
    path.write_text(body, encoding="utf-8")
    print(f"wrote {path}")
    return 0


def _eval(args: argparse.Namespace) -> int:
    from dialogue.evaluation.llm import run_eval

    _, body = run_eval(answer_others=None if args.full else args.answers,
                       summaries=None if args.full else args.summaries, max_turns=None if args.full else args.turns,
                       split_name=args.split, adapters=args.adapters)
    print(body)
    if not args.no_write and args.split == "held-out" and args.adapters is None:
        path = Path(__file__).resolve().parent.parent / "docs" / "persona-eval.md"
        import datetime as dt

        from weights.benchdoc import machine_description

        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        path.write_text(f"# Dialogue evaluation\n\nWritten by `ohlora eval dialogue` ({stamp}, {machine_description()})."
                        f"\n\n{PERSONA_EVAL_CAVEAT}\n\n{body}", encoding="utf-8")
        print(f"written to {path}")
    return 0


def _eval_remember(args: argparse.Namespace) -> int:
    from dialogue.evaluation.remember import extract, load_remember_set, report
    from dialogue.llm_loading import ADAPTERS_DIR, load_default_llm

    items = load_remember_set(args.item_set)[:args.limit]  # a missing or malformed set is said before loading
    adapters = args.adapters or ADAPTERS_DIR
    llm = load_default_llm(threads=args.threads, adapters=args.adapters)
    root = Path(__file__).resolve().parent.parent
    body = report(args.item_set, extract(llm, items), adapters.resolve().relative_to(root)
                  if adapters.resolve().is_relative_to(root) else adapters, stop_bias=llm.stop_bias.get("memory", 0.0))
    print(body)
    if not args.no_write and args.item_set == "heldout" and args.adapters is None and args.limit is None:
        from dialogue.evaluation.reports import EVAL_DOC
        from weights.benchdoc import write_section

        print(f"wrote {write_section('eval-remember', 'What the memory role stores (written test set)', body, EVAL_DOC)}")
    return 0


def _eval_summary(args: argparse.Namespace) -> int:
    import json

    from dialogue.evaluation import summaries

    need = {"write": ("transcript", "out"), "sheet": ("runs", "out"), "score": ("runs", "key", "grades")}[args.step]
    absent = [f"--{n}" for n in need if not getattr(args, n)]
    if absent:
        raise SystemExit(f"ohlora eval summary {args.step} needs {' and '.join(absent)}")
    if args.step == "write":
        if not args.transcript.exists():
            raise SystemExit(f"no transcript at {args.transcript}: write one with `ohlora eval open answers`")
        from dialogue.llm_loading import load_default_llm

        llm = load_default_llm(threads=args.threads, adapters=args.adapters)
        summaries.write_jsonl(summaries.summarise(llm, args.transcript), args.out)
        print(f"wrote {args.out}")
    elif args.step == "sheet":
        text, key = summaries.sheet(args.runs)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
        key_path = args.out.with_suffix(".key.json")
        key_path.write_text(json.dumps(key, ensure_ascii=False, indent=0), encoding="utf-8")
        print(f"wrote {args.out} ({len(key)} summaries) and {key_path} (keep it from the judges)")
    else:
        key = json.loads(args.key.read_text(encoding="utf-8"))
        print(summaries.score(key, args.runs, args.grades))
    return 0


def _bench(args: argparse.Namespace) -> int:
    from weights.benchdoc import write_section

    if args.part in ("all", "llm"):
        from dialogue.benchmarks.llm import bench

        body = bench(reps=args.reps, threads=args.threads or 2, llamacpp=not args.no_llamacpp)
        print(body)
        if not args.no_write:
            print(f"written to {write_section('dialogue', 'Dialogue: persona LLM (in-process) against llama.cpp', body)}")
    if args.part in ("all", "classifiers"):
        from dialogue.benchmarks.memory import BENCH_TITLE, bench_memory_and_classifiers

        # the targets: embedding ≤ 15 ms, both classifiers ≤ 25 ms, retrieval over 10,000 ≤ 5 ms
        body = bench_memory_and_classifiers(threads=args.threads)
        print(body)
        if not args.no_write:
            print(f"written to {write_section('memory', BENCH_TITLE, body)}")
    return 0


def _bench_remote(args: argparse.Namespace) -> int:
    from dialogue.benchmarks.remote import bench_remote
    from weights.benchdoc import write_section

    if args.url:
        body = bench_remote(args.url, args.reps, in_process=not args.no_in_process, engine_label=args.url)
    else:
        from dialogue.llamacpp import LlamaCppServer
        from weights.llamacpp import prepare_llamacpp

        with LlamaCppServer(prepare_llamacpp(), threads=args.threads) as server:
            body = bench_remote(server.url, args.reps, in_process=not args.no_in_process)
    print(body)
    if not args.no_write:
        print(f"written to {write_section('remote', 'Dialogue: remote LLM path against llama.cpp, side by side', body)}")
    return 0


def _chat(args: argparse.Namespace) -> int:
    import asyncio

    from dialogue.terminal import run_chat

    return asyncio.run(run_chat(args))


def _train(args: argparse.Namespace) -> int:
    from dialogue.llm_loading import ADAPTERS_DIR
    from dialogue.training.checkpoints import StopRequests, TrainingInterrupted
    from dialogue.training.lora import train_role
    from weights import prepared_path

    base = prepared_path("gemma3-270m")
    roles = ROLES if args.role == "all" else (args.role,)
    out_root = ADAPTERS_DIR if args.out is None else _experiment_folder(args.out, args.data, args.resume)
    progress = _AllRolesProgress(out_root, restart=args.restart) if args.role == "all" else None
    with StopRequests() as stop:
        for role in roles:
            cfg = _role_config(args, role)
            if progress and progress.finished(cfg):
                print(f"{role}: trained earlier by this interrupted `--role all` run; skipping it "
                      "(--restart trains every role again)", flush=True)
                continue
            try:
                report = train_role(cfg, base, out_root, restart=args.restart, stop=stop)
            except TrainingInterrupted as e:
                print(e, file=sys.stderr)
                return 128 + e.signum
            stopped_on = "validation" if args.validation else "held-out"
            print(f"{role}: {report.steps} steps ({report.epochs} epochs, {report.seconds_per_step} s/step), "
                  f"{stopped_on} loss {report.initial_held_out_loss:.3f} -> best {report.best_held_out_loss:.3f} at "
                  f"step {report.best_step}; {report.stopped_because}", flush=True)
            if progress:
                progress.add(cfg)
            if stop.signum and role != roles[-1]:
                print(f"interrupted after {role} was written; run the same command again to go on with the next "
                      "role", file=sys.stderr)
                return 128 + stop.signum
    if progress:
        progress.clear()
    return 0


def _role_config(args: argparse.Namespace, role: str) -> TrainConfig:
    from dialogue.training.lora import ROLE_DEFAULTS, TrainConfig

    opts = dict(ROLE_DEFAULTS[role])
    if args.max_minutes is not None:
        opts["max_minutes"] = args.max_minutes
    if args.epochs is not None:
        opts["max_epochs"] = args.epochs
    if args.from_layer is not None:
        opts["adapted_from_layer"] = args.from_layer
    if args.patience is not None:
        opts["patience"] = args.patience
    if args.checkpoint_every is not None:
        opts["checkpoint_every"] = args.checkpoint_every
    return TrainConfig(role=role, rank=args.rank, alpha=2 * args.rank, lr=args.lr, seed=args.seed,
                       threads=args.threads, max_steps=args.max_steps,
                       max_examples=args.max_examples, resume=args.resume, validation=args.validation,
                       data=args.data, memory_lines=args.memory_lines, focus=args.focus,
                       examples=args.examples, **opts)


class _AllRolesProgress:
    """The roles an interrupted `--role all` run has finished, so that running it again goes on with the next role
    instead of training them again (each role's own checkpoint covers the role that was under way)."""

    def __init__(self, out_root: Path, restart: bool) -> None:
        import json

        from dialogue.training.checkpoints import CHECKPOINTS_DIR

        self.path = out_root / CHECKPOINTS_DIR / "all-roles.json"
        if restart:
            self.path.unlink(missing_ok=True)
        self.roles: dict[str, dict] = json.loads(self.path.read_text()) if self.path.exists() else {}

    def finished(self, cfg: TrainConfig) -> bool:
        from dataclasses import asdict

        from dialogue.training.checkpoints import config_changes

        saved = self.roles.get(cfg.role)
        return saved is not None and not config_changes(saved, asdict(cfg))

    def add(self, cfg: TrainConfig) -> None:
        import json
        import os
        from dataclasses import asdict

        self.roles[cfg.role] = asdict(cfg)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.tmp")
        tmp.write_text(json.dumps(self.roles, indent=1))
        os.replace(tmp, self.path)

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)
        try:
            self.path.parent.rmdir()
        except OSError:
            pass


def _experiment_folder(out: Path, data: str = "generated", resume: bool = False) -> Path:
    """An adapters folder outside weights/: seeded with the committed adapters (and, for the generated data
    or a run that continues a committed adapter, their vocabulary) where it lacks them, so that it loads like
    weights/adapters and a trained role replaces only its own. Other data gets a vocabulary built from its own
    words; a continued adapter keeps the rows it was trained with (new words are added to them)."""
    import shutil

    from dialogue.llm_loading import ADAPTERS_DIR
    from dialogue.vocabulary import VOCABULARY_FILE

    if out.resolve() == ADAPTERS_DIR.resolve():
        return ADAPTERS_DIR
    out.mkdir(parents=True, exist_ok=True)
    for role in ROLES:
        if not (out / role).exists() and (ADAPTERS_DIR / role).exists():
            shutil.copytree(ADAPTERS_DIR / role, out / role)
    if (data == "generated" or resume) and not (out / VOCABULARY_FILE).exists():
        shutil.copy2(ADAPTERS_DIR / VOCABULARY_FILE, out / VOCABULARY_FILE)
    return out

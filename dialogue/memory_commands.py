"""Commands of memory and safety: `ohlora eval memory|topic|ethics`, `ohlora classifiers train`,
`ohlora admin blocks list|lift`, `ohlora memory export|delete`, `ohlora bench memory`."""
from __future__ import annotations

import argparse
import json
from datetime import datetime
from pathlib import Path

EVAL_DOC = Path(__file__).resolve().parent.parent / "docs" / "dialogue-eval.md"


def _subcommands(sub: argparse._SubParsersAction, name: str, help: str) -> argparse._SubParsersAction:
    """The sub-subcommands of `name`, creating the command unless another package already did."""
    parser = sub.choices.get(name) or sub.add_parser(name, help=help)
    if parser._subparsers is not None:
        return parser._subparsers._group_actions[0]
    return parser.add_subparsers(dest=f"{name}_command", required=True, metavar="WHAT")


def _db_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", default=None,
                   help="the dialogue database: a file or a postgresql:// URL (default $OHLORA_DB or "
                        "~/.local/share/ohlora/dialogue.sqlite3)")


def add_parsers(sub: argparse._SubParsersAction) -> None:
    ev = _subcommands(sub, "eval", "measure quality on held-out data; results go to docs/")
    for what, text in (("memory", "memory retrieval: top-1 accuracy, false retrieval, precision/recall curve"),
                       ("topic", "topic-change classifier: accuracy, macro-F1, confusion matrix, latency"),
                       ("ethics", "ethics classifier: accuracy, macro-F1, false-block rate, confusion, latency"),
                       ("persona", "persona-question classifier: which persona fact a message asks about "
                                   "(held-out SFT turns)")):
        p = ev.add_parser(what, help=text)
        p.add_argument("--split", default="test", choices=["test", "val", "train"],
                       help="test (default): for ethics and topic the written test set, reported beside the "
                            "templated one")
        p.add_argument("--no-write", action="store_true", help="print only; do not update docs/dialogue-eval.md")
        if what == "memory":
            p.add_argument("--calibrate", action="store_true",
                           help="choose the retrieval threshold on val and save it in weights/classifiers/")
        p.set_defaults(func=cmd_eval, what=what)

    cl = _subcommands(sub, "classifiers", "train the topic-change, ethics and persona-question classifiers on dialogue/data/")
    p = cl.add_parser("train", help="fine-tune the top e5 layers (or fit a linear head on frozen e5) and save the "
                                    "classifier in weights/classifiers/; epoch, temperature, thresholds chosen on val")
    p.add_argument("--task", default="all", choices=["all", "ethics", "topic", "persona", "retrieval"],
                   help="all: ethics, topic and persona; retrieval: the memory cross-encoder (then run "
                        "`ohlora eval memory --calibrate` to refit the relevance gate on it)")
    p.add_argument("--kind", default="layers", choices=["layers", "linear"],
                   help="layers: fine-tune the top e5 layers (shipped); linear: logistic regression on frozen e5")
    p.add_argument("--top-layers", type=int, default=None, help="default: per task (dialogue.evaluation.LAYER_DEFAULTS)")
    p.add_argument("--epochs", type=int, default=None, help="default: per task")
    p.add_argument("--lr", type=float, default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    p.add_argument("--max-minutes", type=float, default=None,
                   help="start no new epoch after this many minutes (a bound on a shared machine)")
    p.add_argument("--thresholds-only", action="store_true",
                   help="ethics: choose the committed classifier's flag and offence thresholds on val again, no training")
    p.set_defaults(func=cmd_train)
    p = cl.add_parser("compare", help="measure fine-tuning the top e5 layers against the frozen head (ethics)")
    p.add_argument("--top-layers", type=int, default=2)
    p.add_argument("--epochs", type=int, default=8)
    p.add_argument("--no-write", action="store_true")
    p.set_defaults(func=cmd_compare)

    admin = _subcommands(sub, "admin", "operator commands")
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

    mem = _subcommands(sub, "memory", "a user's stored memories and conversation (privacy: export, delete)")
    p = mem.add_parser("export", help="write a user's memories and conversation as JSON")
    p.add_argument("user")
    p.add_argument("-o", "--output", type=Path, default=None, help="file (default: print)")
    _db_arg(p)
    p.set_defaults(func=cmd_memory_export)
    p = mem.add_parser("delete", help="delete every memory and the whole conversation of a user")
    p.add_argument("user")
    _db_arg(p)
    p.set_defaults(func=cmd_memory_delete)


def add_bench_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("memory", help="embedding one message, both classifiers, retrieval over 10,000 memories")
    p.add_argument("--memories", type=int, default=10_000)
    p.add_argument("--reps", type=int, default=30)
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    p.add_argument("--no-write", action="store_true", help="print only; do not update docs/benchmarks.md")
    p.set_defaults(func=cmd_bench_memory)


def _open_db(url: str | None):
    from dialogue.database import database_url, is_postgres, open_database, sqlite_path

    url = url or database_url()
    if not is_postgres(url) and not sqlite_path(url).exists():
        raise FileNotFoundError(f"no dialogue database at {url} (set --db or OHLORA_DB)")
    return open_database(url)


# ---- eval / train --------------------------------------------------------------------------------

def _table(header: list[str], rows: list[list]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def _classifier_report(r: dict) -> str:
    labels = r["labels"]
    lines = [f"Model: {r['model']}.", "",
             f"{r['n']} {r['split']} examples. Accuracy **{r['accuracy']:.3f}**, macro-F1 **{r['macro_f1']:.3f}**, "
             f"expected calibration error {r['ece']:.3f}, median latency {r['latency_ms_median']:.1f} ms per call "
             f"(uncached, encoder included).",
             "Accuracy by language: " + ", ".join(f"{k} {v:.3f}" for k, v in r["accuracy_by_language"].items()) + "."]
    if "normal_false_block_rate" in r:
        from dialogue.evaluation import ETHICS_MAX_COUNTED, ETHICS_MAX_DECLINED

        lines.append(f"Normal messages flagged and declined in character (flag when P(normal) < "
                     f"{r['flag_below_normal']:g}, chosen on val: the best macro-F1 declining ≤ {ETHICS_MAX_DECLINED:.0%} "
                     f"of val's normal messages): **{r['normal_declined_rate']:.3f}**; offensive messages let through: "
                     f"**{r['offensive_missed_rate']:.3f}**.")
        if r.get("ordinary_chat"):
            o = r["ordinary_chat"]
            lines.append(f"Ordinary chat (the {o['n']} open-domain and persona messages of the written {r['split']} "
                         f"sets, boundary ones left out): declined **{o['declined']:.3f}**, counted as offences "
                         f"**{o['counted']:.3f}**" + (f"; declined: {'; '.join(o['examples'][:12])}" if o["examples"] else "") + ".")
        lines.append(f"Normal messages counted as offences toward warnings and blocks (an insult, hate or sexual "
                     f"flag with P(normal) < {r['strike_below_normal']:g}, chosen on val for ≤ {ETHICS_MAX_COUNTED:.1%}): "
                     f"**{r['normal_false_block_rate']:.3f}**; offensive messages counted: {r['offensive_counted_rate']:.3f} "
                     "(the rest of the flagged ones are declined without counting).")
    if "persona_fact_shown_right" in r:
        lines.append(f"A persona fact is shown in the answer prompt when its probability reaches {r['threshold']:g} "
                     f"(chosen on val). Persona questions shown the asked fact: **{r['persona_fact_shown_right']:.3f}**, "
                     f"shown another fact: {r['persona_fact_shown_wrong']:.3f}; other messages shown a fact nobody "
                     f"asked about: {r['fact_shown_unasked']:.3f}.")
        if r["misses"]:
            lines.append("\nWrong decisions: " + "; ".join(r["misses"]) + ".")
    elif "threshold" in r:
        lines.append(f"A message counts as a change of subject when P(changed) ≥ {r['threshold']:g} (chosen on val).")
    lines.append("")
    lines.append("Confusion matrix (rows: truth, columns: prediction):\n")
    lines.append(_table(["", *labels], [[labels[i], *row] for i, row in enumerate(r["confusion"])]))
    if "flag_curve" in r:
        lines.append(f"\nThe gate's trade-off on this split against the flag threshold τ (the shipped τ is chosen on val):\n")
        lines.append(_table(["flag when P(normal) <", "macro-F1", "normal messages flagged", "offensive messages let through"],
                            [[f"{c['threshold']:g}", f"{c['macro_f1']:.3f}", f"{c['normal_flagged']:.3f}",
                              f"{c['offensive_missed']:.3f}"] for c in r["flag_curve"]]))
    return "\n".join(lines)


def _retrieval_report(r: dict) -> str:
    from dialogue.evaluation import RETRIEVAL_MAX_FALSE, RETRIEVAL_MIN_TOP1

    what = ("the relevance model's probability that the best memory answers the question (logistic regression "
            "on its features, fitted on train)" if r["relevance_model"] else "the cosine score")
    kinds = list(r["false_by_kind"])
    by_kind = (f"- top-1 by kind of answerable case: " + ", ".join(f"{k} {v:.3f}" for k, v in r["top1_by_kind"].items())
               + "\n") if r["top1_by_kind"] else ""
    return (f"{r['n']} {r['split']} cases ({r['answerable']} with a relevant memory among the stored ones, the "
            f"rest asking about nothing stored). A memory is injected when {what} reaches {r['threshold']:.3f}, "
            f"chosen on val: the best top-1 within ≤ {RETRIEVAL_MAX_FALSE:.0%} false retrieval if that keeps top-1 "
            f"≥ {RETRIEVAL_MIN_TOP1:.2f}, else the lowest false retrieval that keeps top-1 ≥ {RETRIEVAL_MIN_TOP1:.2f} "
            "(recall first).\n\n"
            f"- top-1 accuracy (right memory retrieved and above the threshold): **{r['top1_accuracy']:.3f}**\n"
            f"{by_kind}"
            f"- false retrieval (a memory injected where none is relevant): **{r['false_retrieval']:.3f}**\n"
            f"- precision of injected memories: {r['precision']:.3f}\n"
            f"- top-1 accuracy with no threshold (ranking only): {r['top1_without_threshold']:.3f}\n"
            "- false retrieval by kind of case: " + ", ".join(
                f"{k} {v:.3f} (of {r['cases_by_kind'][k]})" for k, v in r["false_by_kind"].items()) + "\n\n"
            "Precision / recall (= top-1 accuracy) / false retrieval against the threshold, in all and by kind of "
            "unanswerable case:\n\n"
            + _table(["threshold", "precision", "recall", "false retrieval", *kinds],
                     [[f"{c['threshold']:.3f}", f"{c['precision']:.3f}", f"{c['recall']:.3f}",
                       f"{c['false_retrieval']:.3f}", *(f"{c['false_by_kind'][k]:.3f}" for k in kinds)]
                      for c in r["curve"]]))


def cmd_eval(args: argparse.Namespace) -> int:
    from weights.benchdoc import write_section

    from dialogue.encoder import shared_encoder

    encoder = shared_encoder()
    if args.what == "memory":
        from dialogue.database import open_database
        from dialogue.evaluation import calibrate_retrieval, evaluate_retrieval, save_retrieval_threshold
        from dialogue.memory import MemoryStore

        store = MemoryStore(open_database(":memory:"), encoder)
        now = datetime(2026, 11, 29, 14, 0).astimezone()
        if args.calibrate:
            cal = calibrate_retrieval(store, now)
            print(f"calibrated threshold {cal['threshold']:.3f} on val: {cal['validation']}")
            print(f"saved {save_retrieval_threshold(cal)}")
        body = _retrieval_report(evaluate_retrieval(store, now, args.split))
        if args.split == "test":  # the written test is the figure; the earlier test split follows for comparison
            body = ("### Written test set (`dialogue/data/written/heldout/memory.jsonl`, an independent writer)\n\n"
                    f"{body}\n\n### Earlier test split (`dialogue/data/memory_cases.jsonl`)\n\n"
                    f"{_retrieval_report(evaluate_retrieval(store, now, 'test_templated'))}")
        title = "Memory retrieval"
    else:
        from dialogue.classifiers import EthicsClassifier, PersonaQuestionClassifier, TopicChangeClassifier
        from dialogue.evaluation import evaluate_classifier

        kind, title = {"ethics": (EthicsClassifier, "Ethics classifier"),
                       "topic": (TopicChangeClassifier, "Topic-change classifier"),
                       "persona": (PersonaQuestionClassifier, "Persona-question classifier")}[args.what]
        classifier = kind(encoder)
        r = evaluate_classifier(args.what, classifier, args.split)
        body = _classifier_report(r)
        if args.what in ("ethics", "topic") and args.split == "test":
            # the written test (a writer who wrote none of the training data) is the figure; the test split
            # generated from the same templates as training follows, for comparison only
            old = evaluate_classifier(args.what, classifier, "test_templated")
            body = (f"### Written test set (`dialogue/data/written/heldout/{args.what}.jsonl`, an independent writer)\n\n"
                    f"{body}\n\n### Generated test split (`dialogue/data/{args.what}.jsonl`, same templates as "
                    f"its training rows; for comparison)\n\n{_classifier_report(old)}")
    print(f"## {title}\n\n{body}")
    if not args.no_write:
        print(f"wrote {write_section(f'eval-{args.what}', title, body, EVAL_DOC)}")
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    import torch

    from dialogue.classifiers import HEADS_DIR
    from dialogue.encoder import shared_encoder
    from dialogue.evaluation import train_head, train_layers

    if args.threads:
        torch.set_num_threads(args.threads)
    encoder = shared_encoder()
    if args.task == "retrieval":
        from dialogue.evaluation import train_retrieval_pair
        from dialogue.memory import PAIR_MODEL

        model, record = train_retrieval_pair(encoder, datetime(2026, 11, 29, 14, 0).astimezone(),
                                             args.top_layers or 4, args.epochs or 4, args.lr or 5e-5, args.seed)
        weights, _ = model.save(PAIR_MODEL)
        print(f"retrieval cross-encoder: epoch {record['best_epoch']} (val ROC AUC of the best memory "
              f"{record['best_val_score']:.3f}) -> {weights} ({weights.stat().st_size / 1e6:.1f} MB)")
        return 0
    if args.thresholds_only:
        from dialogue.evaluation import rechoose_ethics_thresholds

        if args.task != "ethics":
            raise SystemExit("--thresholds-only applies to --task ethics (the topic threshold is chosen in training)")
        chosen = rechoose_ethics_thresholds(encoder)
        print("ethics thresholds chosen on val: " + ", ".join(f"{k} {v:g}" for k, v in chosen.items())
              + f" -> {HEADS_DIR / 'ethics.json'}")
        return 0
    for task in (["ethics", "topic", "persona"] if args.task == "all" else [args.task]):
        if task == "persona" and args.kind != "layers":
            raise SystemExit("the persona-question classifier is fine-tuned layers only (--kind layers)")
        path = HEADS_DIR / task
        # one classifier per task: the kind not trained is removed so the loader cannot pick a stale one
        linear, layers = path.with_suffix(".safetensors"), path.with_name(task + ".layers.safetensors")
        if args.kind == "layers":
            model, record = train_layers(task, encoder, args.top_layers, args.epochs, args.lr, args.seed,
                                         args.max_minutes)
            weights, _ = model.save(path)
            linear.unlink(missing_ok=True)
            print(f"{task}: epoch {record['best_epoch']} (val {record['best_val_score']:.3f}), temperature "
                  f"{model.temperature:.3f}" + (f", flag below P(normal) {model.meta['flag_below_normal']:g}, count as "
                                                f"an offence below {model.meta['strike_below_normal']:g}"
                                                if task == "ethics" else f", threshold {model.meta['threshold']:g}")
                  + f" -> {weights} ({weights.stat().st_size / 1e6:.1f} MB)")
        else:
            head, report = train_head(task, encoder)
            head.save(path)
            layers.unlink(missing_ok=True)
            print(f"{task}: C={report['c']:g}, temperature {report['temperature']:.3f} -> {linear}")
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from weights.benchdoc import write_section

    from dialogue.classifiers import HEADS_DIR, EthicsClassifier
    from dialogue.encoder import shared_encoder
    from dialogue.evaluation import evaluate_classifier, measure_finetuning

    encoder = shared_encoder()
    frozen = {s: evaluate_classifier("ethics", EthicsClassifier(encoder), s)["macro_f1"] for s in ("val", "test")}
    ft = measure_finetuning(encoder, args.top_layers, args.epochs)
    body = (f"Ethics macro-F1 (argmax, no flag threshold for the fine-tuned model):\n\n"
            + _table(["model", "trainable parameters", "val", "test"],
                     [["frozen e5 + logistic regression (shipped)", "2.3 k", f"{frozen['val']:.3f}", f"{frozen['test']:.3f}"],
                      [f"top {ft['top_layers']} e5 layers fine-tuned + linear head (epoch {ft['best_epoch_on_val']} of "
                       f"{ft['epochs']}, chosen on val)", f"{ft['trainable_parameters'] / 1e6:.2f} M",
                       f"{ft['val_macro_f1']:.3f}", f"{ft['test_macro_f1']:.3f}"]]))
    print(body)
    if not args.no_write:
        print(f"wrote {write_section('eval-choice', 'Head on frozen e5 vs fine-tuning', body, EVAL_DOC)}")
    return 0


# ---- admin / privacy -----------------------------------------------------------------------------

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


# ---- bench ---------------------------------------------------------------------------------------

def cmd_bench_memory(args: argparse.Namespace) -> int:
    from weights.benchdoc import write_section

    body = bench_memory_and_classifiers(args.memories, args.reps, args.threads)
    print(body)
    if not args.no_write:
        print(f"wrote {write_section('memory', BENCH_TITLE, body)}")
    return 0


BENCH_TITLE = "Memory, topic change and ethics (dialogue II)"


def bench_memory_and_classifiers(memories: int = 10_000, reps: int = 30, threads: int | None = None) -> str:
    """The issue's speed targets, as a markdown section: embedding one message, both classifiers on a
    turn (and with the persona-question classifier, what a turn runs), retrieval over `memories` memories of
    one user. Medians of `reps` uncached calls."""
    import os
    import time

    import numpy as np
    import torch

    from dialogue.classifiers import EthicsClassifier, PersonaQuestionClassifier, TopicChangeClassifier, describe
    from dialogue.database import open_database
    from dialogue.encoder import shared_encoder
    from dialogue.memory import MemoryStore

    if threads:
        torch.set_num_threads(threads)
    from dialogue.classifiers import HEADS_DIR
    from dialogue.encoder import SentenceEncoder
    from dialogue.finetuning import LayerClassifier, is_layer_classifier

    enc = shared_encoder()
    ethics, topic, persona = EthicsClassifier(enc), TopicChangeClassifier(enc), PersonaQuestionClassifier(enc)
    setups = {"shipped": (enc, ethics, topic, persona)}
    packed = enc.packed
    names = ("ethics", "topic", "persona")
    if packed and all(is_layer_classifier(HEADS_DIR / n) for n in names):
        # the fp32 alternative, measured side by side with what ships (fp16-packed layers)
        enc32 = SentenceEncoder(packed=False)
        heads = {n: LayerClassifier.load(HEADS_DIR / n, enc32.config, packed=False) for n in names}
        setups["fp32"] = (enc32, EthicsClassifier(enc32, heads["ethics"]), TopicChangeClassifier(enc32, heads["topic"]),
                          PersonaQuestionClassifier(enc32, heads["persona"]))
    messages = ["내일 친구랑 카페 가기로 했어", "What should I do tomorrow?", "오늘 시험 끝나서 너무 신나!",
                "my dog Choco ran all over the park", "로라야 너 MBTI 뭐야?", "I'm dying for some ramen"]
    previous = "사용자가 내일 친구와 카페에 가기로 함"

    def timed(encoder, fn, reps, before=None) -> list[float]:
        ts = []
        for i in range(reps):
            encoder.clear_cache()
            if before is not None:
                before(i)
            t0 = time.perf_counter(); fn(i); ts.append(time.perf_counter() - t0)
        return ts

    msg = lambda i: messages[i % len(messages)] + f" {i}"  # noqa: E731  (never a cache hit)
    times: dict[str, dict[str, list[float]]] = {name: {"embed": [], "turn": [], "cold": [], "all": []}
                                                for name in setups}
    for name, (e, eth, top, per) in setups.items():  # warm up
        for m in messages:
            eth.classify(m); top.changed(previous, m); per.aspect(m)
    rounds = 3  # the configurations alternate in rounds: a busy spell of the machine hits both
    for r in range(rounds):
        for name, (e, eth, top, per) in setups.items():
            n = reps // rounds + (1 if r < reps % rounds else 0)
            t = times[name]
            t["embed"] += timed(e, lambda i: e.encode_one(msg(i)), n)
            # a turn: the gate classifies the message (one full encoder pass, cached), retrieval reuses its
            # embedding, the topic detector reuses its states; the summary was prepared after the previous answer
            both = lambda i: (eth.classify(msg(i)), top.changed(previous, msg(i)))  # noqa: E731
            t["turn"] += timed(e, both, n, before=lambda i: top.prepare(previous))
            t["cold"] += timed(e, both, n)
            every = lambda i: (both(i), per.aspect(msg(i)))  # noqa: E731
            t["all"] += timed(e, every, n, before=lambda i: top.prepare(previous))
    med = {name: {k: 1000 * float(np.median(v)) for k, v in t.items()} for name, t in times.items()}
    store = MemoryStore(open_database(":memory:"), enc)
    rng = np.random.default_rng(0)
    vecs = rng.standard_normal((memories, enc.dim)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    key_vecs = np.roll(vecs, 1, axis=0)  # stand-in key embeddings (a memory is matched on both)
    now = datetime.now().astimezone()
    with store.db.transaction() as conn:
        conn.executemany("INSERT INTO memories (user_id, slot, key, value, embedding, key_embedding, created_at, "
                         "updated_at) VALUES ('bench', ?, ?, ?, ?, ?, ?, ?)",
                         [(f"k{i}", f"k{i}", f"v{i}", v.tobytes(), kv.tobytes(), now.timestamp(), now.timestamp())
                          for i, (v, kv) in enumerate(zip(vecs, key_vecs))])
    store._invalidate("bench")
    query = "내일 뭐 하지?"
    q = enc.encode_one(query)
    t0 = time.perf_counter(); store.search("bench", query, now, k=1, query_embedding=q)
    first = 1000 * (time.perf_counter() - t0)
    ask = lambda i: store.best_with_relevance("bench", query, now, query_embedding=q)  # noqa: E731
    warm = cold = pair_only = None
    if store.pair is not None:
        # in a turn the question's states come from the classifiers' encoder pass and the memory's from its
        # write (`remember_many`); `cold`: that memory written before a restart, its frozen pass not redone yet
        from dialogue.memory import pair_text

        best = ask(0)[0]
        layer = store.pair.from_layer
        warm = lambda i: (enc.token_states([query], layer), enc.token_states(  # noqa: E731
            [pair_text(best.key, best.value)], layer, full=False))
        cold = 1000 * float(np.median(timed(enc, ask, reps, before=lambda i: enc.token_states([query], layer))))
        pair_only = 1000 * float(np.median(timed(enc, lambda i: store.pair_log_odds(query, best.key, best.value),
                                                 reps, before=warm)))
    retrieve = 1000 * float(np.median(timed(enc, ask, reps, before=warm)))
    kinds = "; ".join(f"{name}: {describe(c.head)}" for name, c in (("ethics", ethics), ("topic change", topic),
                                                                     ("persona question", persona)))
    fp32 = med.get("fp32")
    timed_rows = [("embed one message (e5-small, uncached)", "embed", "≤ 15"),
                  ("ethics + topic-change classifiers on a turn (message encoder pass included, uncached; summary "
                   "prepared after the previous answer)", "turn", "≤ 25"),
                  ("the same with the summary encoded in the call too", "cold", ""),
                  ("what a turn runs: ethics + topic change + persona question (summary prepared)", "all", "")]
    rows = [[label, f"{med['shipped'][k]:.1f}", target] + ([f"{fp32[k]:.1f}"] if fp32 else [])
            for label, k, target in timed_rows]
    rows += [[f"retrieval over {memories:,} memories of one user (query embedded; relevance model"
              + (" and cross-encoder on the best memory" if store.pair is not None else "") + " included)",
              f"{retrieve:.2f}", "≤ 5"] + ([""] if fp32 else []),
             *([[f"of which the cross-encoder on the best memory ({len(store.pair.layers)} layers; the rest, search "
                 f"over {memories:,} and the gate, is the difference)", f"{pair_only:.2f}", ""] + ([""] if fp32 else []),
                ["the same, the best memory's frozen pass not precomputed (first retrieval after a restart)",
                 f"{cold:.2f}", ""] + ([""] if fp32 else [])] if cold is not None else []),
             [f"first retrieval after a write (loads {memories:,} rows from SQLite)", f"{first:.1f}", ""]
             + ([""] if fp32 else [])]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    weights = "fp16-packed encoder and classifier layers" if packed else "fp32 encoder and classifier layers"
    header = ["step", f"ms ({weights}, shipped)", "target"] + (["ms (fp32 layers, side by side)"] if fp32 else [])
    return (f"Median milliseconds over {reps} calls, one process, {torch.get_num_threads()} torch thread(s); load "
            f"average {load:.1f} on {os.cpu_count()} cores when the run ended (figures from a busy machine are "
            f"upper bounds). Classifiers: {kinds}. Configurations measured in {rounds} alternating rounds.\n\n"
            + _table(header, rows))

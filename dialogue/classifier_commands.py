"""Commands of the e5 models (the classifiers and the memory gate): `ohlora eval memory|topic|ethics|persona`,
`ohlora classifiers train|compare`, `ohlora bench memory`. Glue only: the work is imported in each handler
from dialogue.training, dialogue.evaluation and dialogue.benchmarks."""
from __future__ import annotations

import argparse
from datetime import datetime


def _subcommands(sub: argparse._SubParsersAction, name: str, help: str) -> argparse._SubParsersAction:
    """The sub-subcommands of `name`, creating the command unless another package already did."""
    parser = sub.choices.get(name) or sub.add_parser(name, help=help)
    if parser._subparsers is not None:
        return parser._subparsers._group_actions[0]
    return parser.add_subparsers(dest=f"{name}_command", required=True, metavar="WHAT")


def add_parsers(sub: argparse._SubParsersAction) -> None:
    ev = _subcommands(sub, "eval", "measure quality on held-out data; results go to docs/")
    for what, text in (("memory", "memory retrieval: top-1 accuracy, false retrieval, precision/recall curve"),
                       ("topic", "topic-change classifier: accuracy, macro-F1, confusion matrix, latency"),
                       ("ethics", "ethics classifier: accuracy, macro-F1, false-block rate, confusion, latency"),
                       ("persona", "persona-question classifier: which persona fact a message asks about "
                                   "(held-out SFT turns)"),
                       ("crisis", "crisis detector: people at risk of suicide or self-harm caught, look-alikes "
                                  "(hyperbole, grief, games) left alone; the written test or validation set")):
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
    p.add_argument("--task", default="all", choices=["all", "ethics", "topic", "persona", "retrieval", "crisis",
                                                       "answer_fit"],
                   help="all: ethics, topic and persona; retrieval: the memory cross-encoder (then run "
                        "`ohlora eval memory --calibrate` to refit the relevance gate on it); crisis: the crisis "
                        "detector (linear heads on e5 and character n-grams, ~1 minute); answer_fit: whether a "
                        "written answer fits a message (the answer bank's choice; ~30 minutes on two cores)")
    p.add_argument("--kind", default=None, choices=["layers", "linear", "ngrams"],
                   help="layers: fine-tune the top e5 layers (shipped; the default but for crisis); linear: logistic "
                        "regression on frozen e5 (crisis: with character n-grams, shipped and its default); ngrams "
                        "(ethics): the character n-gram head mixed with the committed layers, chosen on val")
    p.add_argument("--top-layers", type=int, default=None, help="default: per task (dialogue.training.classifier_layers.LAYER_DEFAULTS)")
    p.add_argument("--epochs", type=int, default=None, help="default: per task")
    p.add_argument("--lr", type=float, default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--seeds", default=None, metavar="S,S,…",
                   help="train one model per seed and ship their mean (an ensemble; thresholds chosen on val for it), "
                        "e.g. --seeds 0,1,2")
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


def add_bench_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("memory", help="embedding one message, both classifiers, retrieval over 10,000 memories")
    p.add_argument("--memories", type=int, default=10_000)
    p.add_argument("--reps", type=int, default=30)
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    p.add_argument("--no-write", action="store_true", help="print only; do not update docs/benchmarks.md")
    p.set_defaults(func=cmd_bench_memory)


def cmd_eval(args: argparse.Namespace) -> int:
    from weights.benchdoc import write_section

    from dialogue.encoder import shared_encoder
    from dialogue.evaluation.reports import EVAL_DOC

    encoder = shared_encoder()
    if args.what == "crisis":
        from dialogue.crisis import CrisisDetector
        from dialogue.data.written import answer_set_messages
        from dialogue.evaluation.crisis import (crisis_context_report, crisis_report, evaluate_crisis,
                                                evaluate_crisis_context)

        if args.split == "train":
            raise SystemExit("the crisis detector is measured on --split val or test")
        detector = CrisisDetector(encoder)
        body = crisis_report(evaluate_crisis(detector, args.split, answer_set_messages(args.split)))
        body += "\n\n#### Read in context\n\n" + crisis_context_report(evaluate_crisis_context(detector, args.split))
        if args.split == "test":
            body = ("### Written test sets (`dialogue/data/written/heldout/crisis*.jsonl`, two writers, each of whom "
                    f"wrote none of the training or validation messages)\n\n{body}")
        title = "Crisis detector"
    elif args.what == "memory":
        from dialogue.database import open_database
        from dialogue.evaluation.memory import evaluate_retrieval
        from dialogue.evaluation.reports import retrieval_report
        from dialogue.memory import MemoryStore
        from dialogue.training.memory_gate import calibrate_retrieval, save_retrieval_threshold

        store = MemoryStore(open_database(":memory:"), encoder)
        now = datetime(2026, 11, 29, 14, 0).astimezone()
        if args.calibrate:
            cal = calibrate_retrieval(store, now)
            print(f"calibrated threshold {cal['threshold']:.3f} on val: {cal['validation']}")
            print(f"saved {save_retrieval_threshold(cal)}")
        body = retrieval_report(evaluate_retrieval(store, now, args.split))
        if args.split == "test":  # the written test is the figure; the generated test split follows for comparison
            body = ("### Written test set (`dialogue/data/written/heldout/memory.jsonl`, an independent writer)\n\n"
                    f"{body}\n\n### Earlier test split (`dialogue/data/memory_cases.jsonl`)\n\n"
                    f"{retrieval_report(evaluate_retrieval(store, now, 'test_templated'))}")
        title = "Memory retrieval"
    else:
        from dialogue.classifiers import EthicsClassifier, PersonaQuestionClassifier, TopicChangeClassifier
        from dialogue.evaluation.classifiers import evaluate_classifier
        from dialogue.evaluation.reports import classifier_report

        kind, title = {"ethics": (EthicsClassifier, "Ethics classifier"),
                       "topic": (TopicChangeClassifier, "Topic-change classifier"),
                       "persona": (PersonaQuestionClassifier, "Persona-question classifier")}[args.what]
        classifier = kind(encoder)
        about_her = PersonaQuestionClassifier(encoder) if args.what == "ethics" else None
        r = evaluate_classifier(args.what, classifier, args.split, about_her)
        body = classifier_report(r)
        if args.what in ("ethics", "topic", "persona") and args.split == "test":
            # the written test (a writer who wrote none of the training data) is the figure; the test split
            # generated from the same templates as training follows, for comparison only
            old = evaluate_classifier(args.what, classifier, "test_templated", about_her)
            written = (f"`dialogue/data/written/heldout/{args.what}.jsonl`" if args.what != "persona" else
                       "`dialogue/data/written/heldout/persona.jsonl`, with the same writer's memory questions and "
                       "fact-telling messages as messages that ask nothing of hers")
            generated = (f"`dialogue/data/{args.what}.jsonl`" if args.what != "persona" else
                         "the generated SFT turns' messages and memory questions")
            body = (f"### Written test set ({written}, an independent writer)\n\n"
                    f"{body}\n\n### Generated test split ({generated}, same templates as "
                    f"its training rows; for comparison)\n\n{classifier_report(old)}")
    print(f"## {title}\n\n{body}")
    if not args.no_write:
        print(f"wrote {write_section(f'eval-{args.what}', title, body, EVAL_DOC)}")
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    import torch

    from dialogue.classifiers import HEADS_DIR, ngram_files
    from dialogue.encoder import shared_encoder
    from dialogue.training.classifier_layers import train_layers
    from dialogue.training.heads import train_head

    if args.threads:
        torch.set_num_threads(args.threads)
    encoder = shared_encoder()
    if args.task == "crisis":
        from dialogue.training.crisis import train_crisis

        if args.kind == "ngrams":
            raise SystemExit("the crisis detector always mixes in its n-gram head: --kind linear (default) or layers")
        detector, report = train_crisis(encoder, args.kind or "linear")
        chosen = report["chosen"]
        print(f"crisis: {chosen['head']}, n-grams {chosen['ngram_range']} (C {chosen['ngram_c']}, weight "
              f"{chosen['weight']:g}), threshold {chosen['threshold']:g}: val at risk caught {report['val_caught']:.1%}, "
              f"look-alikes read as a crisis {report['val_lookalikes_read']:.1%}"
              f" -> {detector.head.meta['trained_on']}")
        return 0
    if args.task == "answer_fit":
        import json

        from dialogue.answer_bank import FIT_MODEL
        from dialogue.training.answer_fit import train_answer_fit

        model, record = train_answer_fit(encoder, args.top_layers or 2, args.epochs or 2, args.lr or 5e-5, args.seed,
                                         args.max_minutes)
        try:  # the serving threshold was chosen on the validation open messages for the committed model
            model.meta["threshold"] = json.loads(FIT_MODEL.with_suffix(".json").read_text())["threshold"]
        except (OSError, ValueError, KeyError):
            model.meta["threshold"] = 0.5
        weights, _ = model.save(FIT_MODEL)
        print(f"answer fit: epoch {record['best_epoch']} (ROC AUC on the conversations held apart "
              f"{record['best_val_score']:.3f}) -> {weights}; serving threshold {model.meta['threshold']:g}, kept "
              f"from the model before: choose it again on the validation open messages (docs/open-eval/answer-fit/)")
        return 0
    if args.task == "retrieval":
        from dialogue.memory_relevance import PAIR_MODEL
        from dialogue.training.memory_gate import train_retrieval_pair

        model, record = train_retrieval_pair(encoder, datetime(2026, 11, 29, 14, 0).astimezone(),
                                             args.top_layers or 4, args.epochs or 4, args.lr or 5e-5, args.seed)
        weights, _ = model.save(PAIR_MODEL)
        print(f"retrieval cross-encoder: epoch {record['best_epoch']} (val ROC AUC of the best memory "
              f"{record['best_val_score']:.3f}) -> {weights} ({weights.stat().st_size / 1e6:.1f} MB)")
        return 0
    if args.thresholds_only:
        from dialogue.training.classifier_layers import rechoose_ethics_thresholds

        if args.task != "ethics":
            raise SystemExit("--thresholds-only applies to --task ethics (the topic threshold is chosen in training)")
        chosen = rechoose_ethics_thresholds(encoder)
        print("ethics thresholds chosen on val: " + ", ".join(f"{k} {v:g}" for k, v in chosen.items())
              + f" -> {HEADS_DIR / 'ethics.json'}")
        return 0
    args.kind = args.kind or "layers"
    if args.kind == "ngrams":
        from dialogue.training.ngram_head import train_ethics_ngrams

        if args.task != "ethics":
            raise SystemExit("--kind ngrams applies to --task ethics")
        head, report = train_ethics_ngrams(encoder)
        chosen = report["chosen"]
        print(f"ethics: {'layers alone' if chosen is None else f'n-grams {chosen}'} (val macro-F1 "
              f"{report['val_macro_f1']:.3f}, layers alone {report['layers_alone']:.3f}); thresholds "
              + ", ".join(f"{k} {v:g}" for k, v in report["thresholds"].items()) + f" -> {HEADS_DIR}")
        return 0
    for task in (["ethics", "topic", "persona"] if args.task == "all" else [args.task]):
        if task == "persona" and args.kind != "layers":
            raise SystemExit("the persona-question classifier is fine-tuned layers only (--kind layers)")
        path = HEADS_DIR / task
        # one classifier per task: the kind not trained is removed so the loader cannot pick a stale one
        linear, layers = path.with_suffix(".safetensors"), path.with_name(task + ".layers.safetensors")
        if args.kind == "layers":
            for stale in path.parent.glob(f"{task}-seed*"):  # members of an earlier ensemble
                stale.unlink()
            if args.seeds:
                from dialogue.training.classifier_layers import train_seed_ensemble

                seeds = _seed_list(args.seeds)
                model, summary = train_seed_ensemble(task, encoder, seeds, args.top_layers, args.epochs, args.lr,
                                                     args.max_minutes)
                weights, _ = model.save(path, [f"{task}-seed{s}" for s in seeds[1:]])
                record = model.meta["record"]  # the first member's
                print(f"{task}: {len(seeds)} seeds, val {', '.join(f'{v:.3f}' for v in summary['member_val_scores'])}"
                      f" each, {summary['val_score']:.3f} together")
            else:
                model, record = train_layers(task, encoder, args.top_layers, args.epochs, args.lr, args.seed,
                                             args.max_minutes)
                weights, _ = model.save(path)
            linear.unlink(missing_ok=True)
            if task == "ethics" and any(f.exists() for f in ngram_files(path)):
                # its weight and the thresholds were chosen for the previous layers: fit it again
                for stale in ngram_files(path):
                    stale.unlink(missing_ok=True)
                print("ethics: the n-gram head was removed (chosen for the previous layers); refit it with "
                      "`ohlora classifiers train --task ethics --kind ngrams`")
            first = getattr(model, "members", [model])[0]  # an ensemble reports its first member's epoch
            print(f"{task}: epoch {record['best_epoch']} (val {record['best_val_score']:.3f}), temperature "
                  f"{first.temperature:.3f}" + (f", flag below P(normal) {model.meta['flag_below_normal']:g}, count as "
                                                f"an offence below {model.meta['strike_below_normal']:g}"
                                                if task == "ethics" else f", threshold {model.meta['threshold']:g}")
                  + f" -> {weights} ({weights.stat().st_size / 1e6:.1f} MB)")
        else:
            head, report = train_head(task, encoder)
            head.save(path)
            layers.unlink(missing_ok=True)
            print(f"{task}: C={report['c']:g}, temperature {report['temperature']:.3f} -> {linear}")
    return 0


def _seed_list(text: str) -> list[int]:
    try:
        seeds = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise SystemExit(f"--seeds takes whole numbers separated by commas (e.g. 0,1,2), not '{text}'") from None
    if len(seeds) < 2 or len(set(seeds)) != len(seeds):
        raise SystemExit(f"--seeds needs at least two different seeds, got '{text}'")
    return seeds


def cmd_compare(args: argparse.Namespace) -> int:
    from weights.benchdoc import write_section

    from dialogue.classifiers import EthicsClassifier
    from dialogue.encoder import shared_encoder
    from dialogue.evaluation.classifiers import evaluate_classifier
    from dialogue.evaluation.reports import EVAL_DOC, markdown_table
    from dialogue.training.finetuning_probe import measure_finetuning

    encoder = shared_encoder()
    frozen = {s: evaluate_classifier("ethics", EthicsClassifier(encoder), s)["macro_f1"] for s in ("val", "test")}
    ft = measure_finetuning(encoder, args.top_layers, args.epochs)
    body = ("Ethics macro-F1 (argmax, no flag threshold for the fine-tuned model):\n\n"
            + markdown_table(["model", "trainable parameters", "val", "test"],
                     [["frozen e5 + logistic regression (shipped)", "2.3 k", f"{frozen['val']:.3f}", f"{frozen['test']:.3f}"],
                      [f"top {ft['top_layers']} e5 layers fine-tuned + linear head (epoch {ft['best_epoch_on_val']} of "
                       f"{ft['epochs']}, chosen on val)", f"{ft['trainable_parameters'] / 1e6:.2f} M",
                       f"{ft['val_macro_f1']:.3f}", f"{ft['test_macro_f1']:.3f}"]]))
    print(body)
    if not args.no_write:
        print(f"wrote {write_section('eval-choice', 'Head on frozen e5 vs fine-tuning', body, EVAL_DOC)}")
    return 0


def cmd_bench_memory(args: argparse.Namespace) -> int:
    from weights.benchdoc import write_section

    from dialogue.benchmarks.memory import BENCH_TITLE, bench_memory_and_classifiers

    body = bench_memory_and_classifiers(args.memories, args.reps, args.threads)
    print(body)
    if not args.no_write:
        print(f"wrote {write_section('memory', BENCH_TITLE, body)}")
    return 0

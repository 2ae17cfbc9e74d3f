"""LoRA SFT of one role on dialogue/data: `ohlora train --role answer|memory|summary|expression|all`.

Seeded, with a progress bar, loss on the held-out split at every evaluation, early stopping on that loss,
and the best adapter (not the last) written to weights/adapters/<role>/ with a training report. The
loss runs the LM head (the persona vocabulary's rows, `dialogue.vocabulary`) only on target positions: on
prompt tokens it would be wasted work.

A run may outlast a working day, so it can be stopped and continued: it writes a checkpoint (out_root/.checkpoints/
<role>.pt) every `checkpoint_every` steps, at every evaluation and on Ctrl-C/SIGTERM, and the next run of the role
with the same options continues from it exactly where it stopped (same weights and report as without the stop;
`dialogue.training.checkpoints`).
"""
from __future__ import annotations

import hashlib
import json
import math
import random
import time
from array import array
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from tqdm import tqdm

from dialogue.data.turns import Turn, load_turns, split, validation_split, written_turns
from dialogue.llm_loading import ADAPTERS_DIR
from dialogue.prompting import ROLES, completion
from dialogue.training.checkpoints import (CHECKPOINT_VERSION, CheckpointMismatch, StopRequests, TrainingInterrupted,
                                           age, checkpoint_path, read_checkpoint, remove_checkpoint, save_checkpoint)
from dialogue.vocabulary import VOCABULARY_FILE, build_vocabulary, load_vocabulary, save_vocabulary

TARGET_MODULES = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
# LoRA goes on the top 12 of 18 layers by default: the frozen bottom's hidden states are computed once per
# example and cached, so a step runs two thirds of the network (~0.6–1 s per batch of 8 on a quiet 2-core
# CPU). The answer role adapts all layers (ROLE_DEFAULTS); the whole `--role all` run takes about an hour.
ADAPTED_FROM_LAYER = 6


@dataclass
class TrainConfig:
    role: str
    rank: int = 8
    alpha: int = 16
    lr: float = 4e-4
    batch_size: int = 8
    max_epochs: float = 3.0
    eval_every: int = 25
    patience: int = 3  # evaluations without improvement before stopping
    max_steps: int | None = None
    max_minutes: float | None = None
    seed: int = 1011
    adapted_from_layer: int = ADAPTED_FROM_LAYER
    threads: int = 2
    resume: bool = False  # start from the adapter already in out_root/<role> (continue training)
    max_examples: int | None = None  # a seeded subsample of the training examples (CPU budget)
    held_out_eval_limit: int = 64  # held-out examples per evaluation (the full split is used at the end)
    # train without the validation part and early-stop on it instead of the held-out split: for comparing
    # configurations (dialogue.data.turns.validation_split)
    validation: bool = False
    # "generated": dialogue/data/turns.jsonl; "written": the written conversations (dialogue/data/written/turns,
    # with earlier exchanges in the answer prompt) plus the generated persona-fact turns
    data: str = "generated"
    # how the written turns show the memories in the answer prompt (dialogue.data.turns.written_turns): "gated"
    # as the live relevance gate does, "stored" every stored memory on every turn
    memory_lines: str = "gated"
    # with data "written": train on the conversations of the turns/ files whose name starts with this (e.g.
    # "memory-use"), plus as many other turns (seeded) replayed so that what the adapter learned before holds;
    # meant with `resume`, to teach a finished adapter what new files hold without another pass over the rest
    focus: str | None = None
    # with data "written": show each written turn (no memory, no fact of hers asked) the nearest written exchange
    # of another conversation as an example (`dialogue.answer_bank.AnswerBank.example`, as served live) and
    # train on those turns plus as many others replayed; meant with `resume`, like `focus`
    examples: bool = False
    # a checkpoint every this many steps, besides the one at every evaluation (eval_every) and on Ctrl-C/SIGTERM:
    # it matters only with sparse evaluations, where at 0.6–2.5 s a step it bounds what a crash loses to ~2 min,
    # while a write (~0.2 s for the answer role's 30 MB, fsync included) costs ~0.2% of those 50 steps
    checkpoint_every: int = 50  # 0: only at evaluations


# Per-role budgets (the committed adapters were trained with these; weights/adapters/README.md says how they
# were chosen); `ohlora train` flags override them. The answer role adapts all 18 layers: merged while
# answering, so decoding costs the same, but a training step costs ~2x (nothing to cache below layer 0).
ROLE_DEFAULTS = {
    "answer": dict(max_epochs=6.0, max_minutes=60.0, eval_every=30, patience=4, adapted_from_layer=0),
    "memory": dict(max_epochs=8.0, max_minutes=12.0, eval_every=20, patience=10),
    "expression": dict(max_epochs=20.0, max_minutes=20.0, eval_every=15, patience=10),
    "summary": dict(max_epochs=4.0, max_minutes=12.0, eval_every=25, patience=4),
}


@dataclass
class TrainReport:
    role: str
    config: dict
    base_model: str
    train_examples: int
    held_out_examples: int
    steps: int = 0
    epochs: float = 0.0
    seconds: float = 0.0
    seconds_per_step: float = 0.0
    best_step: int = 0
    best_held_out_loss: float = math.inf
    final_held_out_loss: float = math.inf
    initial_held_out_loss: float = math.inf
    stopped_because: str = ""
    # batches of the seeded order that the adapter this run continued from (`--resume`) had trained on
    batches_before: int = 0
    history: list[dict] = field(default_factory=list)


# Most messages tell nothing to remember (85% of the written exchanges). Trained on all of them the memory role
# learned to store nothing (fact recall 6% on the written validation set), so a run keeps at most this many
# empty examples per example with facts, the same ones every run (by turn id). 1.0 stores on 4.5% of
# validation messages that tell nothing; 0.7 recalled more but stored on half of them (docs/dialogue-eval.md).
# The empty examples of fact-telling conversations (category "tells": moods, hypotheticals, denials written
# beside the facts, in the same voices) are kept first: they are the ones that teach where a fact stops.
MEMORY_EMPTY_PER_FACT = 1.0


# written for the answer role alone: their writers listed no facts told (`remember`), so the memory role skips them
UNTOLD_CATEGORIES = ("written:memory_fit",)


def _kept_for_training(turns: list[Turn], role: str) -> list[Turn]:
    if role != "memory":
        return turns
    turns = [t for t in turns if t.category not in UNTOLD_CATEGORIES]
    told = [t for t in turns if t.target("memory")]
    if not told:  # nothing to balance against: thinning would leave no examples at all
        return turns
    empty = sorted((t for t in turns if not t.target("memory")),
                   key=lambda t: (not t.category.endswith(":tells"), hashlib.sha256(t.id.encode()).hexdigest()))
    keep = {t.id for t in empty[:int(len(told) * MEMORY_EMPTY_PER_FACT)]}
    return [t for t in turns if t.target("memory") or t.id in keep]


def role_examples(turns: list[Turn], role: str, balance: bool = True) -> list[tuple[str, str]]:
    """(prompt, completion) pairs of a role, deduplicated: the post-answer roles see many repeated inputs.
    With `balance`, the memory role's empty examples are thinned (MEMORY_EMPTY_PER_FACT)."""
    seen: set[tuple[str, str]] = set()
    out = []
    for t in (_kept_for_training(turns, role) if balance else turns):
        pair = (t.prompt(role), completion(t.target(role)))
        if pair not in seen:
            seen.add(pair)
            out.append(pair)
    return out


def encode(tokenizer, examples: list[tuple[str, str]]) -> list[tuple[list[int], int]]:
    """Token ids of prompt+completion and the index where the completion starts."""
    out = []
    for prompt, target in examples:
        p = tokenizer(prompt, add_special_tokens=True)["input_ids"]
        c = tokenizer(target, add_special_tokens=False)["input_ids"]
        out.append((p + c, len(p)))
    return out


def batches(encoded: list[tuple[list[int], int]], batch_size: int, rng: random.Random) -> list[list[int]]:
    """Indices grouped by similar length (little padding), batches in random order."""
    order = sorted(range(len(encoded)), key=lambda i: (len(encoded[i][0]), rng.random()))
    groups = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    rng.shuffle(groups)
    return groups


def collate(encoded, idx: list[int], pad_id: int):
    import torch

    width = max(len(encoded[i][0]) for i in idx)
    ids = torch.full((len(idx), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(idx), width), dtype=torch.long)
    labels = torch.full((len(idx), width), -100, dtype=torch.long)
    for row, i in enumerate(idx):
        seq, start = encoded[i]
        ids[row, :len(seq)] = torch.tensor(seq)
        mask[row, :len(seq)] = 1
        labels[row, start:len(seq)] = torch.tensor(seq[start:])
    return ids, mask, labels


def run_layers(text_model, hidden, attention_mask, layers: range):
    """Run decoder layers `layers` of a Gemma 3 text model on right-padded hidden states."""
    import torch
    from transformers.masking_utils import create_causal_mask, create_sliding_window_causal_mask

    pos = torch.arange(hidden.shape[1]).unsqueeze(0)
    kw = dict(config=text_model.config, inputs_embeds=hidden, attention_mask=attention_mask, cache=None,
              position_ids=pos)
    masks = {"full_attention": create_causal_mask(**kw), "sliding_attention": create_sliding_window_causal_mask(**kw)}
    types = text_model.config.layer_types
    rope = {t: text_model.rotary_emb(hidden, pos, t) for t in set(types)}
    for i in layers:
        hidden = text_model.layers[i](hidden, attention_mask=masks[types[i]], position_embeddings=rope[types[i]],
                                      position_ids=pos)
    return hidden


class CachedBottom:
    """Per-example hidden states after the frozen bottom layers (exact: padding is on the right)."""

    def __init__(self, model, encoded, split_at: int, pad_id: int, desc: str) -> None:
        import torch

        tm = model.get_base_model().model
        self.states: list = [None] * len(encoded)
        order = sorted(range(len(encoded)), key=lambda i: len(encoded[i][0]))
        with torch.no_grad():
            for b in tqdm(range(0, len(order), 16), desc=desc, leave=False):
                idx = order[b:b + 16]
                ids, mask, _ = collate(encoded, idx, pad_id)
                h = run_layers(tm, tm.embed_tokens(ids), mask, range(0, split_at))
                for row, i in enumerate(idx):
                    self.states[i] = h[row, :len(encoded[i][0])].clone()

    def batch(self, idx: list[int]):
        import torch

        width = max(self.states[i].shape[0] for i in idx)
        out = torch.zeros(len(idx), width, self.states[idx[0]].shape[1])
        for row, i in enumerate(idx):
            out[row, :self.states[i].shape[0]] = self.states[i]
        return out


class RestrictedHead:
    """Cross-entropy over the persona vocabulary's rows of the tied LM head."""

    def __init__(self, model, vocab_ids: list[int]) -> None:
        import torch

        self.ids = torch.tensor(vocab_ids)
        self.weight = model.get_base_model().lm_head.weight.detach()[self.ids].clone()
        self.index = torch.full((model.get_base_model().config.vocab_size,), -1, dtype=torch.long)
        self.index[self.ids] = torch.arange(len(vocab_ids))

    def loss(self, hidden, targets):
        import torch.nn.functional as F

        mapped = self.index[targets]
        if bool((mapped < 0).any()):
            raise ValueError("a target token lies outside the persona vocabulary; rebuild it from the dataset")
        return F.cross_entropy(hidden @ self.weight.T, mapped)


def target_loss(model, bottom: CachedBottom, head: RestrictedHead, encoded, idx: list[int], pad_id: int,
                split_at: int):
    """Mean cross-entropy over completion tokens: top layers on cached states, head only on targets."""
    tm = model.get_base_model().model
    _, mask, labels = collate(encoded, idx, pad_id)
    hidden = run_layers(tm, bottom.batch(idx), mask, range(split_at, tm.config.num_hidden_layers))
    hidden = tm.norm(hidden)
    shifted = labels[:, 1:]
    where = shifted != -100
    return head.loss(hidden[:, :-1][where], shifted[where])


def held_out_loss(model, bottom, head, encoded, pad_id: int, split_at: int, batch_size: int = 16) -> float:
    import torch

    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(encoded), batch_size):
            idx = list(range(i, min(i + batch_size, len(encoded))))
            n = sum(len(encoded[j][0]) - encoded[j][1] for j in idx)
            total += float(target_loss(model, bottom, head, encoded, idx, pad_id, split_at)) * n
            count += n
    model.train()
    return total / max(count, 1)


def train_role(cfg: TrainConfig, base_dir: Path, out_root: Path = ADAPTERS_DIR, turns: list[Turn] | None = None,
               restart: bool = False, stop: StopRequests | None = None) -> TrainReport:
    """Train one role's adapter; write the best one and its report to out_root/<role>/.

    A run with a checkpoint (see `checkpoint_path`) of the same options continues from it, and ends exactly
    as an uninterrupted run would; `restart` discards the checkpoint instead. `stop` lets a caller training
    several roles see a Ctrl-C that arrived as a run was finishing (it then returns normally).
    """
    if cfg.role not in ROLES:
        raise ValueError(f"unknown role '{cfg.role}'; known: {', '.join(ROLES)}")
    if stop is None:
        with StopRequests() as own:
            return train_role(cfg, base_dir, out_root, turns, restart, own)
    path = checkpoint_path(out_root, cfg.role)
    saved = read_checkpoint(path, cfg.role, asdict(cfg), restart)
    import torch

    torch.manual_seed(cfg.seed)
    random.seed(cfg.seed)
    torch.set_num_threads(cfg.threads)
    rng = random.Random(cfg.seed)
    tokenizer, model = _load_model(cfg, base_dir, out_root, from_adapter=cfg.resume and saved is None)
    train, held, held_sample = _encode_split(cfg, tokenizer, turns, rng)
    vocab = covering_vocabulary(persona_vocabulary(tokenizer, out_root, cfg.data), train + held, out_root)
    fingerprint = data_fingerprint([train, held, held_sample], vocab)
    if saved is not None and saved["fingerprint"] != fingerprint:
        raise CheckpointMismatch(
            f"{path} holds an interrupted {cfg.role} run on other training data (the examples, tokenizer or "
            "vocabulary changed since it was written): restore that data to continue it, or add --restart to "
            "discard it and start over")
    tqdm.write(f"{cfg.role}: {len(train)} training and {len(held)} held-out examples")
    data = _Data(cfg, model, tokenizer, train, held, held_sample, vocab)
    run = _Run(cfg, model, data, path, rng, TrainReport(cfg.role, asdict(cfg), "gemma3-270m", len(train), len(held)),
               fingerprint)
    if saved is None:
        if cfg.resume:
            run.skip_batches(batches_trained(out_root / cfg.role / "training_report.json"))
        run.start()
    else:
        run.restore(saved)
    with stop.deferred():
        run.loop(stop)
        report = run.finish()
        _save_adapter(model, cfg.role, report, out_root, base_dir)
        remove_checkpoint(path)
    return report


def batches_trained(report_path: Path) -> int:
    """How many batches of the seeded order the finished adapter beside `report_path` trained on (its best
    step, after what the adapter it continued from had seen); 0 without a report.

    A continued run (`--resume`) skips that many, so it takes up the order where the adapter left it: replaying
    the same first batches, an adapter stopped part-way through an epoch fits them again while its held-out loss
    stands still (docs/open-eval/README.md). With other training data than the previous run's the order differs
    anyway and the skip only moves along it."""
    if not report_path.exists():
        return 0
    report = json.loads(report_path.read_text(encoding="utf-8"))
    return int(report.get("batches_before", 0)) + int(report.get("best_step", report.get("steps", 0)))


def _load_model(cfg: TrainConfig, base_dir: Path, out_root: Path, from_adapter: bool):
    """The tokenizer and the base model with a fresh (seeded) LoRA adapter for the role, or with the role's
    finished adapter when continuing from it (`--resume`)."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(base_dir)
    model = AutoModelForCausalLM.from_pretrained(base_dir, dtype=torch.float32)
    n_layers = model.config.num_hidden_layers
    lora = LoraConfig(r=cfg.rank, lora_alpha=cfg.alpha, lora_dropout=0.0, target_modules=TARGET_MODULES,
                      layers_to_transform=list(range(cfg.adapted_from_layer, n_layers)), task_type="CAUSAL_LM")
    model = get_peft_model(model, lora, adapter_name=cfg.role)
    if from_adapter:
        from peft import set_peft_model_state_dict
        from safetensors.torch import load_file

        previous = out_root / cfg.role / "adapter_model.safetensors"
        if not previous.exists():
            raise ValueError(f"--resume: no adapter at {previous} to continue from")
        set_peft_model_state_dict(model, load_file(previous), adapter_name=cfg.role)
    model.train()
    return tokenizer, model


def training_turns(data: str, memory_lines: str = "gated") -> list[Turn]:
    """The turns a run trains on (TrainConfig.data, TrainConfig.memory_lines)."""
    if data == "generated":
        return load_turns()
    if data == "written":
        return written_turns(memory_lines) + [t for t in load_turns() if t.persona_aspect]
    raise ValueError(f"unknown training data '{data}'; known: generated, written")


def focused_turns(turns: list[Turn], prefix: str, seed: int) -> list[Turn]:
    """The turns of the written files whose name starts with `prefix`, and as many of the others (seeded)."""
    focus = [t for t in turns if t.source.startswith(prefix)]
    if not focus:
        files = sorted({t.source for t in turns if t.source})
        raise ValueError(f"no written turns come from a file starting with '{prefix}'; the files are: {', '.join(files)}")
    others = [t for t in turns if not t.source.startswith(prefix)]
    return focus + random.Random(seed).sample(others, min(len(focus), len(others)))


def with_examples(turns: list[Turn], seed: int, bank=None) -> list[Turn]:
    """The written turns that a live answer prompt would show an example (no memory, no fact of hers asked, a
    written exchange of another conversation near the message: `AnswerBank.example`), each with it, plus as many
    of the other turns (seeded) replayed without one."""
    if bank is None:
        from dialogue.answer_bank import AnswerBank

        bank = AnswerBank.from_written()
    # written turns with no memory shown and no fact of hers asked: where the live bank shows an example
    eligible, others = [], []
    for t in turns:
        (eligible if t.source and not t.context_memory and not t.persona_aspect else others).append(t)
    queries = bank.encoder.encode([t.message for t in eligible], kind="query", batch_size=64)
    shown = []
    for t, q in tqdm(list(zip(eligible, queries)), desc="examples", unit="turn"):
        # its own conversation's answers are what it is trained to write, never its example
        own = {t.answer, t.history[0][1] if t.history else t.answer}
        example = bank.example(t.message, t.now, skip=own, query=q)
        if example:
            shown.append(replace(t, example=example))
        else:
            others.append(t)
    if not shown:
        raise ValueError("no written turn has a written exchange near enough to show as an example")
    return shown + random.Random(seed).sample(others, min(len(shown), len(others)))


def _encode_split(cfg: TrainConfig, tokenizer, turns: list[Turn] | None, rng: random.Random):
    """Encoded training examples, held-out examples and the held-out sample evaluated during training."""
    all_turns = turns if turns is not None else training_turns(cfg.data, cfg.memory_lines)
    if cfg.focus:
        all_turns = focused_turns(all_turns, cfg.focus, cfg.seed)
    if cfg.examples:
        all_turns = with_examples(all_turns, cfg.seed)
    train_turns, held_turns = validation_split(all_turns) if cfg.validation else split(all_turns)
    examples = role_examples(train_turns, cfg.role)
    if cfg.max_examples and len(examples) > cfg.max_examples:
        examples = rng.sample(examples, cfg.max_examples)
    if not examples:
        raise ValueError(f"the {cfg.role} role has no training examples in the {cfg.data!r} data "
                         f"({len(train_turns)} turns): check the data files (dialogue/data/) or choose another --data")
    train = encode(tokenizer, examples)
    held = encode(tokenizer, role_examples(held_turns, cfg.role))
    held_sample = held if len(held) <= cfg.held_out_eval_limit else rng.sample(held, cfg.held_out_eval_limit)
    return train, held, held_sample


def data_fingerprint(encoded_sets: list[list[tuple[list[int], int]]], vocab: list[int]) -> str:
    """sha256 of the token ids a run trains and evaluates on and of the vocabulary its loss is over: a checkpoint
    is continued only on the data it was made on."""
    h = hashlib.sha256(array("q", [len(vocab), *vocab]).tobytes())
    for encoded in encoded_sets:
        h.update(len(encoded).to_bytes(8, "little"))
        for seq, start in encoded:
            h.update(array("q", [start, len(seq), *seq]).tobytes())
    return h.hexdigest()


class _Data:
    """The encoded splits with their frozen-bottom caches and the restricted head the loss runs on."""

    def __init__(self, cfg: TrainConfig, model, tokenizer, train, held, held_sample, vocab: list[int]) -> None:
        self.train, self.held, self.held_sample = train, held, held_sample
        self.pad = tokenizer.pad_token_id or 0
        self.split_at = cfg.adapted_from_layer
        self.head = RestrictedHead(model, vocab)
        self.bottom = CachedBottom(model, train, self.split_at, self.pad, f"{cfg.role}: cache frozen layers")
        self.held_bottom = CachedBottom(model, held, self.split_at, self.pad, f"{cfg.role}: cache held-out")
        self.sample_bottom = CachedBottom(model, held_sample, self.split_at, self.pad,
                                          f"{cfg.role}: cache held-out sample")

    def held_out_loss(self, model, full: bool = False) -> float:
        held, bottom = (self.held, self.held_bottom) if full else (self.held_sample, self.sample_bottom)
        return held_out_loss(model, bottom, self.head, held, self.pad, self.split_at)


class _Run:
    """The training loop of one role and everything a checkpoint must carry to continue it bit for bit."""

    def __init__(self, cfg: TrainConfig, model, data: _Data, path: Path, rng: random.Random, report: TrainReport,
                 fingerprint: str) -> None:
        import torch

        self.cfg, self.model, self.data, self.path, self.rng, self.report = cfg, model, data, path, rng, report
        self.fingerprint = fingerprint
        self.params = [p for p in model.parameters() if p.requires_grad]
        self.opt = torch.optim.AdamW(self.params, lr=cfg.lr, weight_decay=0.0)
        self.steps_per_epoch = math.ceil(len(data.train) / cfg.batch_size)
        total = int(self.steps_per_epoch * cfg.max_epochs)
        self.total = min(total, cfg.max_steps) if cfg.max_steps else total
        warmup = max(1, self.total // 20)
        self.sched = torch.optim.lr_scheduler.LambdaLR(
            self.opt, lambda s: min(1.0, (s + 1) / warmup) * max(0.05, 1 - s / max(self.total, 1)))
        self.step, self.plan, self.running, self.bad_evals = 0, [], None, 0
        self.best, self.best_state = math.inf, {}
        self.t0 = time.perf_counter()

    def lora_state(self) -> dict:
        return {k: v.detach().clone() for k, v in self.model.state_dict().items() if "lora_" in k}

    def seconds(self) -> float:
        """Training seconds of the whole run, earlier sessions included."""
        return time.perf_counter() - self.t0

    def skip_batches(self, n: int) -> None:
        """Move `n` batches along the seeded training order without training on them."""
        for _ in range(n):
            if not self.plan:
                self.plan = batches(self.data.train, self.cfg.batch_size, self.rng)
            self.plan.pop()
        self.report.batches_before = n

    def start(self) -> None:
        self.report.initial_held_out_loss = self.data.held_out_loss(self.model)
        self.best, self.best_state = self.report.initial_held_out_loss, self.lora_state()
        self.report.stopped_because = "max epochs"
        self.t0 = time.perf_counter()

    def loop(self, stop: StopRequests) -> None:
        bar = tqdm(total=self.total, initial=self.step, desc=f"train {self.cfg.role}", unit="step")
        try:
            while self.step < self.total:
                self.train_step()
                bar.update(1)
                bar.set_postfix(loss=f"{self.running:.3f}", held=f"{self.best:.3f}")
                evaluated = self.step % self.cfg.eval_every == 0 or self.step == self.total
                if evaluated and self.evaluate_with_patience():
                    break
                if self.out_of_time(evaluated) or self.step == self.total:
                    break
                every = self.cfg.checkpoint_every
                if evaluated or (every and self.step % every == 0) or stop.signum:
                    self.write_checkpoint()
                if stop.signum:
                    raise self.interrupted(stop.signum)
        finally:
            bar.close()

    def interrupted(self, signum: int) -> TrainingInterrupted:
        return TrainingInterrupted(
            f"{self.cfg.role}: interrupted at step {self.step} of {self.total}; checkpoint written to {self.path}. "
            "Run the same `ohlora train` command again (without --restart) to continue from there, or add "
            "--restart to start over.", signum)

    def train_step(self) -> None:
        import torch

        if not self.plan:
            self.plan = batches(self.data.train, self.cfg.batch_size, self.rng)
        d = self.data
        loss = target_loss(self.model, d.bottom, d.head, d.train, self.plan.pop(), d.pad, d.split_at)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.params, 1.0)
        self.opt.step()
        self.sched.step()
        self.opt.zero_grad(set_to_none=True)
        self.step += 1
        self.running = float(loss) if self.running is None else 0.9 * self.running + 0.1 * float(loss)

    def evaluate(self) -> bool:
        """Held-out loss into the history; keeps these weights when they beat the best by 1e-3. True if they did."""
        h = self.data.held_out_loss(self.model)
        self.report.history.append({"step": self.step, "train_loss": round(self.running, 4),
                                    "held_out_loss": round(h, 4), "seconds": round(self.seconds(), 1)})
        tqdm.write(f"{self.cfg.role} step {self.step}: train {self.running:.3f}, held-out {h:.3f}")
        if h < self.best - 1e-3:
            self.best, self.report.best_step, self.best_state = h, self.step, self.lora_state()
            return True
        return False

    def evaluate_with_patience(self) -> bool:
        """Evaluate; True when the held-out loss has not improved for `patience` evaluations (stop)."""
        if self.evaluate():
            self.bad_evals = 0
            return False
        self.bad_evals += 1
        if self.bad_evals >= self.cfg.patience:
            self.report.stopped_because = (f"early stop: held-out loss did not improve for {self.cfg.patience} "
                                           "evaluations")
            return True
        return False

    def out_of_time(self, evaluated: bool) -> bool:
        """True when the run's time budget (all its sessions together) is spent; the steps since the last
        evaluation count too, so they are evaluated first."""
        if not self.cfg.max_minutes or self.seconds() <= self.cfg.max_minutes * 60:
            return False
        self.report.stopped_because = f"time limit {self.cfg.max_minutes} min"
        if not evaluated:
            self.evaluate()
        return True

    def finish(self) -> TrainReport:
        """The report, with the best weights loaded back and their loss on the whole held-out split."""
        report = self.report
        report.config = asdict(self.cfg)
        report.steps, report.epochs = self.step, round(self.step / self.steps_per_epoch, 2)
        report.seconds = round(self.seconds(), 1)
        report.seconds_per_step = round(report.seconds / max(self.step, 1), 3)
        self.model.load_state_dict(self.best_state, strict=False)
        report.best_held_out_loss = round(self.best, 4)
        report.final_held_out_loss = round(self.data.held_out_loss(self.model, full=True), 4)
        return report

    def write_checkpoint(self) -> None:
        """Everything the loop reads (`checkpoints.save_checkpoint` writes it atomically)."""
        import torch

        state = {
            "version": CHECKPOINT_VERSION, "config": asdict(self.cfg), "fingerprint": self.fingerprint,
            "written_at": time.time(), "seconds": self.seconds(), "step": self.step, "total": self.total,
            "plan": self.plan, "running": self.running, "best": self.best, "bad_evals": self.bad_evals,
            "lora": self.lora_state(), "best_lora": self.best_state,
            "optimizer": self.opt.state_dict(), "scheduler": self.sched.state_dict(),
            "rng": {"plan": self.rng.getstate(), "python": random.getstate(), "torch": torch.get_rng_state()},
            "report": asdict(self.report),
        }
        save_checkpoint(self.path, state)

    def restore(self, saved: dict) -> None:
        """Continue from a checkpoint: the setup before this (seeded, deterministic) rebuilt everything else."""
        import torch

        unknown = saved["lora"].keys() - self.model.state_dict().keys()
        if unknown:
            raise CheckpointMismatch(f"{self.path} holds weights this model lacks ({min(unknown)}, ...); "
                                     "add --restart to discard it")
        self.model.load_state_dict(saved["lora"], strict=False)
        self.opt.load_state_dict(saved["optimizer"])
        self.sched.load_state_dict(saved["scheduler"])
        self.rng.setstate(saved["rng"]["plan"])
        random.setstate(saved["rng"]["python"])
        torch.set_rng_state(saved["rng"]["torch"])
        self.step, self.plan, self.running = saved["step"], saved["plan"], saved["running"]
        self.best, self.best_state, self.bad_evals = saved["best"], saved["best_lora"], saved["bad_evals"]
        self.report = TrainReport(**saved["report"])
        self.t0 = time.perf_counter() - saved["seconds"]
        budget = ""
        if self.cfg.max_minutes:
            budget = f"; {saved['seconds'] / 60:.0f} of {self.cfg.max_minutes:g} training minutes used"
        tqdm.write(f"resuming {self.cfg.role} from step {self.step} of {self.total} "
                   f"(checkpoint {age(time.time() - saved['written_at'])} old{budget})")


def _save_adapter(model, role: str, report: TrainReport, out_root: Path, base_dir: Path) -> None:
    import shutil
    import tempfile

    out = out_root / role
    # peft writes a named adapter under <dir>/<name>/ plus a model card naming this machine's paths:
    # save into a scratch folder and keep only the adapter folder
    with tempfile.TemporaryDirectory(dir=out_root, prefix=f".{role}-") as tmp:
        model.save_pretrained(tmp, selected_adapters=[role])
        if out.exists():
            shutil.rmtree(out)
        (Path(tmp) / role).replace(out)
    _clean_adapter_config(out, base_dir)
    (out / "training_report.json").write_text(json.dumps(asdict(report), indent=1, ensure_ascii=False))


def _clean_adapter_config(folder: Path, base_dir: Path) -> None:
    # the adapter must not point at this machine's cache path
    cfg_path = folder / "adapter_config.json"
    cfg = json.loads(cfg_path.read_text())
    cfg["base_model_name_or_path"] = "gemma3-270m"
    cfg_path.write_text(json.dumps(cfg, indent=1))


def covering_vocabulary(vocab: list[int], encoded: list[tuple[list[int], int]], out_root: Path) -> list[int]:
    """`vocab` with every token the examples' completions hold; when new data brings new tokens they are added
    (and the vocabulary file in out_root rewritten), so the rows answers could already use stay as they were."""
    have = set(vocab)
    new = {i for ids, start in encoded for i in ids[start:]} - have
    if not new:
        return vocab
    ids = sorted(have | new)
    save_vocabulary(ids, out_root / VOCABULARY_FILE)
    tqdm.write(f"persona vocabulary: {len(new)} tokens of the training answers added ({len(vocab)} -> {len(ids)} rows)")
    return ids


def persona_vocabulary(tokenizer, out_root: Path = ADAPTERS_DIR, data: str = "generated") -> list[int]:
    """The decoding vocabulary shared by all roles (built from the dataset once, then read back): train a new
    dataset into a new --out folder so that its words are in the vocabulary."""
    path = out_root / VOCABULARY_FILE
    if path.exists():
        return load_vocabulary(path)
    texts = []
    for t in training_turns(data, "stored"):  # every memory a prompt may show, gated or not
        for role in ROLES:
            texts.append(completion(t.target(role)))
        texts += [t.message, t.context_memory, t.context_summary]
    ids = build_vocabulary(tokenizer, texts)
    out_root.mkdir(parents=True, exist_ok=True)
    save_vocabulary(ids, path)
    return ids

"""LoRA SFT of one role on dialogue/data: `ohlora train --role answer|memory|summary|expression|all`.

Seeded, with a progress bar, loss on the held-out split at every evaluation, early stopping on that loss,
and the best adapter (not the last) written to weights/adapters/<role>/ with a training report. The
loss runs the 262k-row LM head only on target positions: on prompt tokens it would be wasted work.
"""
from __future__ import annotations

import json
import math
import random
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tqdm import tqdm

from dialogue.dataset import Turn, load_turns, split, validation_split
from dialogue.prompting import ROLES, completion

ADAPTERS_DIR = Path(__file__).resolve().parent.parent / "weights" / "adapters"
TARGET_MODULES = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
# LoRA goes on the top 12 of 18 layers by default: the frozen bottom's hidden states are computed once per
# example and cached, so a step runs two thirds of the network (~0.6–1 s per batch of 8 on a quiet 2-core
# CPU). The answer role adapts all layers (ROLE_DEFAULTS); the whole `--role all` run takes about an hour.
ADAPTED_FROM_LAYER = 6
VOCABULARY_FILE = "vocabulary.json"


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
    # configurations (dialogue.dataset.validation_split)
    validation: bool = False


# Per-role budgets (the committed adapters were trained with these); `ohlora train` flags override them.
ROLE_DEFAULTS = {
    # answer: LoRA on all 18 layers. Compared on the validation part (`--validation`, 132 persona-fact turns),
    # the top 12 layers got 74.2% of persona facts right, all 18 layers 87.1%: unseen phrasings (slang, typos,
    # sub-aspects) are recognised better when the lower layers adapt too. Merged while answering, so decoding
    # costs the same; a training step costs ~2x (nothing to cache below layer 0).
    "answer": dict(max_epochs=6.0, max_minutes=60.0, eval_every=30, patience=4, adapted_from_layer=0),
    # memory: with patience 4 it stopped at 1.9 epochs on a noisy early plateau (held-out loss 0.34 vs 0.05)
    "memory": dict(max_epochs=8.0, max_minutes=12.0, eval_every=20, patience=10),
    # expression: a 3-token classification; at patience 4 it stopped at 2.4 epochs with 61% of held-out levels
    # right, run longer it reached 99% (held-out loss 0.21 -> 0.007 at 7.8 epochs)
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
    history: list[dict] = field(default_factory=list)


def role_examples(turns: list[Turn], role: str) -> list[tuple[str, str]]:
    """(prompt, completion) pairs of a role, deduplicated: the post-answer roles see many repeated inputs."""
    seen: set[tuple[str, str]] = set()
    out = []
    for t in turns:
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


def train_role(cfg: TrainConfig, base_dir: Path, out_root: Path = ADAPTERS_DIR,
               turns: list[Turn] | None = None) -> TrainReport:
    """Train one role's adapter; write the best one and its report to out_root/<role>/."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if cfg.role not in ROLES:
        raise ValueError(f"unknown role '{cfg.role}'; known: {', '.join(ROLES)}")
    torch.manual_seed(cfg.seed)
    random.seed(cfg.seed)
    torch.set_num_threads(cfg.threads)
    rng = random.Random(cfg.seed)
    tokenizer = AutoTokenizer.from_pretrained(base_dir)
    model = AutoModelForCausalLM.from_pretrained(base_dir, dtype=torch.float32)
    n_layers = model.config.num_hidden_layers
    lora = LoraConfig(r=cfg.rank, lora_alpha=cfg.alpha, lora_dropout=0.0, target_modules=TARGET_MODULES,
                      layers_to_transform=list(range(cfg.adapted_from_layer, n_layers)), task_type="CAUSAL_LM")
    model = get_peft_model(model, lora, adapter_name=cfg.role)
    if cfg.resume:
        from peft import set_peft_model_state_dict
        from safetensors.torch import load_file

        previous = out_root / cfg.role / "adapter_model.safetensors"
        if not previous.exists():
            raise ValueError(f"--resume: no adapter at {previous} to continue from")
        set_peft_model_state_dict(model, load_file(previous), adapter_name=cfg.role)
    model.train()

    all_turns = turns if turns is not None else load_turns()
    train_turns, held_turns = validation_split(all_turns) if cfg.validation else split(all_turns)
    examples = role_examples(train_turns, cfg.role)
    if cfg.max_examples and len(examples) > cfg.max_examples:
        examples = rng.sample(examples, cfg.max_examples)
    train = encode(tokenizer, examples)
    held = encode(tokenizer, role_examples(held_turns, cfg.role))
    held_sample = held if len(held) <= cfg.held_out_eval_limit else rng.sample(held, cfg.held_out_eval_limit)
    pad = tokenizer.pad_token_id or 0
    split_at = cfg.adapted_from_layer
    tqdm.write(f"{cfg.role}: {len(train)} training and {len(held)} held-out examples")
    head = RestrictedHead(model, persona_vocabulary(tokenizer, out_root))
    bottom = CachedBottom(model, train, split_at, pad, f"{cfg.role}: cache frozen layers")
    held_bottom = CachedBottom(model, held, split_at, pad, f"{cfg.role}: cache held-out")
    sample_bottom = CachedBottom(model, held_sample, split_at, pad, f"{cfg.role}: cache held-out sample")
    report = TrainReport(cfg.role, asdict(cfg), "gemma3-270m", len(train), len(held))

    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=0.0)
    steps_per_epoch = math.ceil(len(train) / cfg.batch_size)
    total = int(steps_per_epoch * cfg.max_epochs)
    if cfg.max_steps:
        total = min(total, cfg.max_steps)
    warmup = max(1, total // 20)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warmup) * max(0.05, 1 - s / max(total, 1)))

    report.initial_held_out_loss = held_out_loss(model, sample_bottom, head, held_sample, pad, split_at)
    best_state = {k: v.detach().clone() for k, v in model.state_dict().items() if "lora_" in k}
    best, bad_evals = report.initial_held_out_loss, 0
    t0 = time.perf_counter()
    step, plan = 0, []
    bar = tqdm(total=total, desc=f"train {cfg.role}", unit="step")
    report.stopped_because = "max epochs"
    running = None
    while step < total:
        if not plan:
            plan = batches(train, cfg.batch_size, rng)
        loss = target_loss(model, bottom, head, train, plan.pop(), pad, split_at)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        sched.step()
        opt.zero_grad(set_to_none=True)
        step += 1
        running = float(loss) if running is None else 0.9 * running + 0.1 * float(loss)
        bar.update(1)
        bar.set_postfix(loss=f"{running:.3f}", held=f"{best:.3f}")
        if step % cfg.eval_every == 0 or step == total:
            h = held_out_loss(model, sample_bottom, head, held_sample, pad, split_at)
            report.history.append({"step": step, "train_loss": round(running, 4), "held_out_loss": round(h, 4),
                                   "seconds": round(time.perf_counter() - t0, 1)})
            tqdm.write(f"{cfg.role} step {step}: train {running:.3f}, held-out {h:.3f}")
            if h < best - 1e-3:
                best, bad_evals, report.best_step = h, 0, step
                best_state = {k: v.detach().clone() for k, v in model.state_dict().items() if "lora_" in k}
            else:
                bad_evals += 1
                if bad_evals >= cfg.patience:
                    report.stopped_because = f"early stop: held-out loss did not improve for {cfg.patience} evaluations"
                    break
        if cfg.max_minutes and time.perf_counter() - t0 > cfg.max_minutes * 60:
            report.stopped_because = f"time limit {cfg.max_minutes} min"
            if step % cfg.eval_every:  # the last steps count too: evaluate them before stopping
                h = held_out_loss(model, sample_bottom, head, held_sample, pad, split_at)
                report.history.append({"step": step, "train_loss": round(running, 4), "held_out_loss": round(h, 4),
                                       "seconds": round(time.perf_counter() - t0, 1)})
                if h < best - 1e-3:
                    best, report.best_step = h, step
                    best_state = {k: v.detach().clone() for k, v in model.state_dict().items() if "lora_" in k}
            break
    bar.close()
    report.steps, report.epochs = step, round(step / steps_per_epoch, 2)
    report.seconds = round(time.perf_counter() - t0, 1)
    report.seconds_per_step = round(report.seconds / max(step, 1), 3)
    model.load_state_dict(best_state, strict=False)
    report.best_held_out_loss = round(best, 4)
    report.final_held_out_loss = round(held_out_loss(model, held_bottom, head, held, pad, split_at), 4)
    out = out_root / cfg.role
    import shutil
    import tempfile

    # peft writes a named adapter under <dir>/<name>/ plus a model card naming this machine's paths:
    # save into a scratch folder and keep only the adapter folder
    with tempfile.TemporaryDirectory(dir=out_root, prefix=f".{cfg.role}-") as tmp:
        model.save_pretrained(tmp, selected_adapters=[cfg.role])
        if out.exists():
            shutil.rmtree(out)
        (Path(tmp) / cfg.role).replace(out)
    _clean_adapter_config(out, base_dir)
    (out / "training_report.json").write_text(json.dumps(asdict(report), indent=1, ensure_ascii=False))
    return report


def _clean_adapter_config(folder: Path, base_dir: Path) -> None:
    # the adapter must not point at this machine's cache path
    cfg_path = folder / "adapter_config.json"
    cfg = json.loads(cfg_path.read_text())
    cfg["base_model_name_or_path"] = "gemma3-270m"
    cfg_path.write_text(json.dumps(cfg, indent=1))


def persona_vocabulary(tokenizer, out_root: Path = ADAPTERS_DIR) -> list[int]:
    """The decoding vocabulary shared by all roles (built from the dataset once, then read back)."""
    from dialogue.vocabulary import build_vocabulary, load_vocabulary, save_vocabulary

    path = out_root / VOCABULARY_FILE
    if path.exists():
        return load_vocabulary(path)
    texts = []
    for t in load_turns():
        for role in ROLES:
            texts.append(completion(t.target(role)))
        texts += [t.message, t.context_memory, t.context_summary]
    ids = build_vocabulary(tokenizer, texts)
    out_root.mkdir(parents=True, exist_ok=True)
    save_vocabulary(ids, path)
    return ids

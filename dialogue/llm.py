"""LLM backends behind one async streaming interface: `async for event in backend.generate(role, prompt)`.

- `InProcessLLM`: transformers + peft, one base model with the four role adapters, adapter switched per
  call. Decoding is our own loop in a worker thread (the event loop never blocks) over the persona
  vocabulary's slice of the LM head; closing the iterator cancels generation at the next token. On an x86
  CPU each role decodes through fp16-packed copies of the layers with its LoRA merged in (dialogue.packed_weights).
- `RemoteLLM` (dialogue.backends): any OpenAI-compatible streaming endpoint, one model/adapter name per role.

Both yield `TextDelta`s, then one `Completion` with the full text and timings.
"""
from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from dialogue.prompting import ROLES

if TYPE_CHECKING:
    from dialogue.packed_weights import PackedRoleModels


class LLMBackendError(RuntimeError):
    """Generation failed (a remote server died, a model is missing); the message says what to do."""


@dataclass
class TextDelta:
    text: str


@dataclass
class Completion:
    text: str
    tokens: int = 0
    finished: bool = True  # False when cut by max_new_tokens or cancelled
    timings: dict[str, float] = field(default_factory=dict)  # first_token_s, total_s, decode_tokens_per_s


GenerationEvent = TextDelta | Completion


class LLMBackend(Protocol):
    def generate(self, role: str, prompt: str, *, max_new_tokens: int = 64, temperature: float = 0.0,
                 seed: int | None = None) -> AsyncIterator[GenerationEvent]: ...


@dataclass
class DecodeStats:
    prefill_s: float = 0.0
    layers_s: float = 0.0
    head_s: float = 0.0
    steps: int = 0


class InProcessLLM:
    """Gemma (or any causal LM with `.model` + tied `lm_head`) with LoRA role adapters, decoded on CPU/GPU.

    `vocab_ids` restricts the LM head to those rows (None: the full vocabulary). One generation runs at a
    time (the model is shared); concurrent callers queue on a lock.
    """

    def __init__(self, model, tokenizer, vocab_ids: list[int] | None = None, threads: int | None = None,
                 merge_answer: bool = True, packed: bool = False) -> None:
        import torch

        if threads:
            torch.set_num_threads(threads)
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.device = next(model.parameters()).device
        base = self.causal_lm
        weight = base.lm_head.weight.detach()
        if vocab_ids is not None:
            self.vocab = torch.tensor(vocab_ids, device=self.device)
            self.head = weight[self.vocab].clone().contiguous()
        else:
            self.vocab, self.head = None, weight
        stop = [tokenizer.convert_tokens_to_ids(t) for t in ("<end_of_turn>", "<eos>")]
        self.stop_ids = {i for i in stop if isinstance(i, int) and i >= 0}
        if tokenizer.eos_token_id is not None:
            self.stop_ids.add(tokenizer.eos_token_id)
        self.adapters = self._adapter_names()
        # The answer adapter is merged into the base while answers decode and unmerged before the other roles.
        # Side by side, merged decoding measured 0.94-1.32x the switched LoRA path (host-dependent); the merge
        # adds ~60 ms to the first token with 12 adapted layers (Xeon host), ~80 ms with all 18 (AVX2 host).
        self.merge_answer = merge_answer and "answer" in self.adapters
        self.merged: str | None = None
        self.packed: PackedRoleModels | None = None
        self._packed_head = None
        if packed:
            self.use_packed_weights()
        self._lock = threading.Lock()
        self.last_stats = DecodeStats()
        # Answer decoding (the other roles write structured text and always decode plainly): a penalty > 1 on
        # tokens the answer already holds (CTRL's rule: positive logits divided, negative ones multiplied)
        # and nucleus sampling's top-p when sampling. Chosen on the validation set (docs/dialogue-eval.md).
        self.repetition_penalty = 1.0
        self.top_p = 1.0
        self._vocab_pos = ({int(t): i for i, t in enumerate(self.vocab.tolist())} if self.vocab is not None
                           else None)

    def use_packed_weights(self, roles: list[str] | None = None) -> None:
        """Decode through fp16-packed per-role copies of the layers and LM head (x86 CPU; ~2x faster decoding,
        token-identical greedy output measured on the persona prompts). Builds `roles` now (default: every
        loaded adapter, ~2 s each) so the first conversation turn does not pay for it."""
        from dialogue.packed_weights import PackedLinear, PackedRoleModels, fp16_packing_available

        if not fp16_packing_available(self.device):
            raise ValueError(f"fp16-packed weights need an x86 CPU build of torch (device {self.device})")
        self._unmerge()
        self.packed = PackedRoleModels(self.causal_lm.model)
        self._packed_head = PackedLinear(self.head)
        for role in sorted(self.adapters) if roles is None else roles:
            self.packed.get(role)

    def use_fp32_weights(self) -> None:
        """Back to the fp32 model (the packed copies are dropped)."""
        self.packed, self._packed_head = None, None

    def _unmerge(self) -> None:
        """Give the shared model its plain base weights back if an adapter is merged into them."""
        if self.merged is not None:
            self.model.base_model.unmerge_adapter()
            self.merged = None

    @property
    def causal_lm(self):
        return self.model.get_base_model() if hasattr(self.model, "get_base_model") else self.model

    def _adapter_names(self) -> set[str]:
        return set(getattr(self.model, "peft_config", {}) or {})

    @classmethod
    def from_pretrained(cls, base_dir: Path, adapters_dir: Path | None, threads: int | None = None,
                        device: str = "cpu", full_vocabulary: bool = False, packed: bool | None = None) -> InProcessLLM:
        """Load the base once and attach every role adapter found under `adapters_dir` (None: the bare base).
        A folder holding no role adapter is an error, not a silent run of the bare base. `packed` (default:
        wherever available, i.e. x86 CPU) decodes through fp16-packed per-role weights."""
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        from dialogue.vocabulary import load_vocabulary

        roles = [] if adapters_dir is None else [r for r in ROLES if (adapters_dir / r / "adapter_config.json").exists()]
        if adapters_dir is not None and not roles:
            raise ValueError(f"no role adapters in {adapters_dir} (expected {'/, '.join(ROLES)}/ folders with "
                             "adapter_config.json, as `ohlora train` writes them)")
        tokenizer = AutoTokenizer.from_pretrained(base_dir)
        model = AutoModelForCausalLM.from_pretrained(base_dir, dtype=torch.float32).to(device)
        vocab = None
        if adapters_dir is not None:
            from peft import PeftModel

            model = PeftModel.from_pretrained(model, adapters_dir / roles[0], adapter_name=roles[0])
            for role in roles[1:]:
                model.load_adapter(adapters_dir / role, adapter_name=role)
            if (adapters_dir / "vocabulary.json").exists() and not full_vocabulary:
                vocab = load_vocabulary(adapters_dir / "vocabulary.json")
        from dialogue.packed_weights import packing_wanted

        return cls(model, tokenizer, vocab, threads, packed=packing_wanted(packed, device))

    # --- the decode loop (worker thread) ------------------------------------------------------------

    def _use_adapter(self, role: str):
        """Context for `role`: its adapter when one is loaded, else the bare base model."""
        if not self.adapters:
            return contextlib.nullcontext()
        if self.merged != role:
            self._unmerge()  # every other role needs the plain base weights back
        if role in self.adapters:
            if self.model.active_adapter != role:  # set_adapter would also undo a merge of this very adapter
                self.model.set_adapter(role)
            if role == "answer" and self.merge_answer and self.merged is None:
                self.model.base_model.merge_adapter(["answer"])
                self.merged = "answer"
            return contextlib.nullcontext()
        return self.model.disable_adapter()

    @contextlib.contextmanager
    def _decoder(self, role: str):
        """The text model that decodes `role`: its packed copy, or the shared model with its adapter active."""
        if self.packed is not None:
            self._unmerge()  # the fp32 path may have merged an adapter: a copy built now must see the base
            yield self.packed.get(role if role in self.adapters else None)
            return
        with self._use_adapter(role):
            yield self.causal_lm.model

    def _pick(self, hidden, temperature: float, generator, banned: set[int], seen: list[int] | None = None):
        import torch

        logits = self._packed_head(hidden[None])[0] if self._packed_head is not None else hidden @ self.head.T
        if banned and self.vocab is None:
            logits[list(banned)] = -float("inf")
        if seen and self.repetition_penalty != 1.0:
            rows = sorted({self._vocab_pos.get(t, -1) for t in seen} - {-1}) if self._vocab_pos else sorted(set(seen))
            if rows:
                picked = logits[rows]
                logits[rows] = torch.where(picked > 0, picked / self.repetition_penalty,
                                           picked * self.repetition_penalty)
        if temperature <= 0:
            idx = int(torch.argmax(logits))
        else:
            probs = torch.softmax(logits.float() / temperature, dim=-1)
            if self.top_p < 1.0:  # keep the smallest set of tokens whose probability reaches top_p
                sorted_p, order = torch.sort(probs, descending=True)
                drop = torch.cumsum(sorted_p, 0) - sorted_p >= self.top_p
                probs[order[drop]] = 0.0
            idx = int(torch.multinomial(probs, 1, generator=generator))
        return int(self.vocab[idx]) if self.vocab is not None else idx

    def decode_tokens(self, role: str, prompt: str, max_new_tokens: int, temperature: float, seed: int | None,
                      on_token, cancelled: threading.Event) -> tuple[list[int], bool]:
        """Greedy (or sampled) decoding; calls on_token(id) per token. Returns (ids, finished)."""
        import torch
        from transformers import DynamicCache

        ids = self.tokenizer(prompt, add_special_tokens=True, return_tensors="pt")["input_ids"].to(self.device)
        generator = torch.Generator().manual_seed(seed) if seed is not None else None
        out: list[int] = []
        stats = DecodeStats()
        with self._lock, torch.inference_mode(), self._decoder(role) as text_model:
            cache = DynamicCache(config=self.causal_lm.config)
            t0 = time.perf_counter()
            hidden = text_model(input_ids=ids, cache=cache, use_cache=True).last_hidden_state[0, -1]
            t1 = time.perf_counter()
            token = self._pick(hidden, temperature, generator, set())
            stats.prefill_s = time.perf_counter() - t0
            stats.head_s += time.perf_counter() - t1
            pos = ids.shape[1]
            finished = False
            while True:
                if token in self.stop_ids:
                    finished = True
                    break
                out.append(token)
                on_token(token)
                if len(out) >= max_new_tokens or cancelled.is_set():
                    break
                t0 = time.perf_counter()
                step = torch.tensor([[token]], device=self.device)
                hidden = text_model(input_ids=step, cache=cache, use_cache=True,
                                    position_ids=torch.tensor([[pos]], device=self.device)).last_hidden_state[0, -1]
                t1 = time.perf_counter()
                token = self._pick(hidden, temperature, generator, set(), out if role == "answer" else None)
                stats.layers_s += t1 - t0
                stats.head_s += time.perf_counter() - t1
                stats.steps += 1
                pos += 1
        self.last_stats = stats
        return out, finished

    def generate_text(self, role: str, prompt: str, *, max_new_tokens: int = 64, temperature: float = 0.0,
                      seed: int | None = None) -> Completion:
        """Blocking generation (evaluation, benchmarks, the post-answer roles in a worker)."""
        t0 = time.perf_counter()
        first: list[float] = []
        ids, finished = self.decode_tokens(role, prompt, max_new_tokens, temperature, seed,
                                           lambda _t: first or first.append(time.perf_counter()),
                                           threading.Event())
        return self._completion(ids, finished, t0, first[0] if first else None)

    def _completion(self, ids: list[int], finished: bool, t0: float, first: float | None) -> Completion:
        total = time.perf_counter() - t0
        timings = {"total_s": total}
        if first is not None:
            timings["first_token_s"] = first - t0
            if len(ids) > 1:
                timings["decode_tokens_per_s"] = (len(ids) - 1) / max(total - (first - t0), 1e-9)
        return Completion(self.tokenizer.decode(ids, skip_special_tokens=True), len(ids), finished, timings)

    async def generate(self, role: str, prompt: str, *, max_new_tokens: int = 64, temperature: float = 0.0,
                       seed: int | None = None) -> AsyncIterator[GenerationEvent]:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue = asyncio.Queue()
        cancelled = threading.Event()
        ids: list[int] = []
        t0 = time.perf_counter()

        def on_token(token: int) -> None:
            ids.append(token)
            loop.call_soon_threadsafe(queue.put_nowait, ("token", time.perf_counter()))

        def work() -> None:
            try:
                _, finished = self.decode_tokens(role, prompt, max_new_tokens, temperature, seed, on_token, cancelled)
                loop.call_soon_threadsafe(queue.put_nowait, ("done", finished))
            except BaseException as e:  # surfaced in the consumer, not lost in the thread
                loop.call_soon_threadsafe(queue.put_nowait, ("error", e))

        thread = threading.Thread(target=work, name=f"llm-{role}", daemon=True)
        thread.start()
        detok = IncrementalDetokenizer(self.tokenizer)
        first: float | None = None
        try:
            while True:
                kind, value = await queue.get()
                if kind == "error":
                    raise LLMBackendError(f"in-process generation failed: {value}") from value
                if kind == "done":
                    tail = detok.flush(ids)
                    if tail:
                        yield TextDelta(tail)
                    yield self._completion(list(ids), value, t0, first)
                    return
                first = first or value
                delta = detok.step(ids)
                if delta:
                    yield TextDelta(delta)
        finally:
            cancelled.set()  # the consumer stopped early (barge-in, closed socket): stop at the next token


class IncrementalDetokenizer:
    """Turns a growing id list into text deltas, holding back incomplete UTF-8 (a split Hangul/emoji)."""

    def __init__(self, tokenizer) -> None:
        self.tokenizer = tokenizer
        self.shown = ""

    def step(self, ids: list[int]) -> str:
        text = self.tokenizer.decode(ids, skip_special_tokens=True)
        if text.endswith("\ufffd") or not text.startswith(self.shown):
            return ""
        delta, self.shown = text[len(self.shown):], text
        return delta

    def flush(self, ids: list[int]) -> str:
        text = self.tokenizer.decode(ids, skip_special_tokens=True).rstrip("\ufffd")
        delta = text[len(self.shown):] if text.startswith(self.shown) else ""
        self.shown = text
        return delta

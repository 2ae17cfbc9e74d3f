"""LLM backends behind one async streaming interface: `async for event in backend.generate(role, prompt)`.

- `InProcessLLM`: Gemma 3 with the four role adapters in this process (`dialogue.decoder`): one worker
  thread advances every session's generation together, one forward pass per step, over the persona
  vocabulary's slice of the LM head; the event loop never blocks, and closing the iterator cancels a
  generation at the next step.
- `RemoteLLM` (dialogue.backends): any OpenAI-compatible streaming endpoint, one model/adapter name per role.

Both yield `TextDelta`s, then one `Completion` with the full text and timings.
"""
from __future__ import annotations

import asyncio
import atexit
import functools
import threading
import time
import weakref
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from dialogue.prompting import ROLES, has_letters, opens_other_language
from dialogue.tokenizer import IncrementalDetokenizer, TextTokenizer

if TYPE_CHECKING:
    from dialogue.decoder import GemmaDecoder


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
                 seed: int | None = None, opening: str | None = None) -> AsyncIterator[GenerationEvent]:
        """`opening` ('ko' / 'en'): the language the text must open in; 'en-only': no Hangul anywhere in it
        (`dialogue.prompting.answer_opening`); a backend that cannot steer its tokens ignores it."""
        ...


@dataclass
class DecodeStats:
    prefill_s: float = 0.0  # the forward pass that read the prompt (shared with the batch it ran in)
    layers_s: float = 0.0   # decode steps' forward passes
    head_s: float = 0.0     # LM head and token choice
    steps: int = 0
    reused_tokens: int = 0  # prompt tokens found in the cache of an earlier generation
    batch_sizes: list[int] = field(default_factory=list)  # sequences in each of its decode steps


@dataclass
class _Generation:
    """One request in the decode loop."""

    role: str
    prompt: list[int]
    max_new_tokens: int
    temperature: float
    generator: object
    on_token: object            # called with each new token id, in the worker thread
    cancelled: threading.Event
    on_done: object = None      # called once when it ends, in the worker thread
    done: threading.Event = field(default_factory=threading.Event)
    out: list[int] = field(default_factory=list)
    finished: bool = False
    error: BaseException | None = None
    cache: object = None
    stats: DecodeStats = field(default_factory=DecodeStats)
    # head rows banned until the first token with a letter (an opening in the wrong language; digits, punctuation
    # and emoji open none), or for the whole text ('en-only')
    opening_ban: object = None
    ban_holds: bool = False


class InProcessLLM:
    """Gemma 3 with its role adapters decoded in this process (`dialogue.decoder.GemmaDecoder`).

    Generations from every session share one worker thread: each step runs one forward pass over the new
    tokens of all running generations (prompts being read and answers being written, any mix of roles), so
    four users typing at once wait for one step, not for each other's answers. `vocab_ids` restricts the LM
    head to those rows (None: the full vocabulary).
    """

    def __init__(self, decoder: GemmaDecoder, tokenizer: TextTokenizer, vocab_ids: list[int] | None = None,
                 threads: int | None = None, max_batch: int = 16, prefix_cache_mb: float = 96.0) -> None:
        import torch

        if threads:
            torch.set_num_threads(threads)
        self.decoder = decoder
        self.tokenizer = tokenizer
        self.device = decoder.device
        self.max_batch = max_batch
        self.threads = threads or torch.get_num_threads()
        self.vocab = torch.tensor(vocab_ids, device=self.device) if vocab_ids is not None else None
        self.head = decoder.head(vocab_ids)
        self._vocab_pos = {int(t): i for i, t in enumerate(vocab_ids)} if vocab_ids is not None else None
        self.stop_ids = {i for i in map(tokenizer.token_id, ("<end_of_turn>", "<eos>")) if i is not None}
        # Answer decoding (the other roles write structured text and always decode plainly): a penalty > 1 on
        # tokens the answer already holds (CTRL's rule: positive logits divided, negative ones multiplied)
        # and nucleus sampling's top-p when sampling. Chosen on the validation set (docs/dialogue-eval.md).
        self.repetition_penalty = 1.0
        self.top_p = 1.0
        # Per role, logits added to the stop tokens at the first step only: a role that writes nothing when there
        # is nothing to say (the memory role) then speaks only when its first word beats "nothing" by that margin.
        self.stop_bias: dict[str, float] = {}
        self._stop_rows = sorted(self._vocab_pos[i] for i in self.stop_ids if i in self._vocab_pos) \
            if self._vocab_pos is not None else sorted(self.stop_ids)
        self.last_stats = DecodeStats()
        self._cond = threading.Condition()
        self._pending: deque[_Generation] = deque()
        self._running: list[_Generation] = []
        self._worker: threading.Thread | None = None
        self._closed = False
        # Finished generations' caches, most recent last, for the next prompt that starts with their tokens (a
        # conversation's next answer prompt repeats its earlier exchanges): (role, tokens, cache).
        self._prefixes: list[tuple[str, list[int], object]] = []
        self.prefix_cache_bytes = int(prefix_cache_mb * 2**20)

    @property
    def adapters(self) -> frozenset[str]:
        return self.decoder.roles

    @property
    def busy(self) -> int:
        """Generations queued or running."""
        with self._cond:
            return len(self._pending) + len(self._running)

    @classmethod
    def from_pretrained(cls, base_dir: Path, adapters_dir: Path | None, threads: int | None = None,
                        device: str = "cpu", full_vocabulary: bool = False, packed: bool | None = None) -> InProcessLLM:
        """The base from `base_dir` and every role adapter found under `adapters_dir` (None: the bare base).
        A folder holding no role adapter is an error, not a silent run of the bare base. `packed` (default:
        wherever available, i.e. x86 CPU) decodes through fp16-packed weights."""
        from dialogue.decoder import GemmaDecoder
        from dialogue.vocabulary import VOCABULARY_FILE, load_vocabulary

        roles = [] if adapters_dir is None else role_adapters(adapters_dir)
        tokenizer = TextTokenizer.from_folder(Path(base_dir))
        decoder = GemmaDecoder.from_files(base_dir, {r: adapters_dir / r for r in roles}, packed=packed, device=device)
        vocab = None
        if adapters_dir is not None and (adapters_dir / VOCABULARY_FILE).exists() and not full_vocabulary:
            vocab = load_vocabulary(adapters_dir / VOCABULARY_FILE)
        return cls(decoder, tokenizer, vocab, threads)

    @classmethod
    def from_transformers(cls, model, tokenizer, vocab_ids: list[int] | None = None, threads: int | None = None,
                          packed: bool | None = None) -> InProcessLLM:
        """A transformers Gemma 3 (or a peft model around one: each adapter a role), copied into the decoder."""
        from dialogue.decoder import GemmaDecoder

        return cls(GemmaDecoder.from_transformers(model, packed=packed), TextTokenizer(tokenizer.backend_tokenizer),
                   vocab_ids, threads)

    def close(self) -> None:
        """Stops the worker thread (running generations end unfinished)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._worker is not None and self._worker is not threading.current_thread():
            self._worker.join(timeout=10)

    # --- the decode loop (worker thread) ------------------------------------------------------------

    def _pick(self, logits, temperature: float, generator, seen: list[int] | None = None,
              stop_bias: float = 0.0, banned=None) -> int:
        """The next token id from one row of head logits (a copy is changed, not the row); `banned` head rows
        are never picked."""
        import torch

        logits = logits.float().clone()
        if banned is not None:
            logits[banned] = float("-inf")
        if stop_bias and self._stop_rows:
            logits[self._stop_rows] += stop_bias
        if seen and self.repetition_penalty != 1.0:
            rows = sorted({self._vocab_pos.get(t, -1) for t in seen} - {-1}) if self._vocab_pos else sorted(set(seen))
            if rows:
                picked = logits[rows]
                logits[rows] = torch.where(picked > 0, picked / self.repetition_penalty,
                                           picked * self.repetition_penalty)
        if temperature <= 0:
            idx = int(torch.argmax(logits))
        else:
            probs = torch.softmax(logits / temperature, dim=-1)
            if self.top_p < 1.0:  # keep the smallest set of tokens whose probability reaches top_p
                sorted_p, order = torch.sort(probs, descending=True)
                drop = torch.cumsum(sorted_p, 0) - sorted_p >= self.top_p
                probs[order[drop]] = 0.0
            idx = int(torch.multinomial(probs, 1, generator=generator))
        return int(self.vocab[idx]) if self.vocab is not None else idx

    def _start_worker(self) -> None:
        if self._worker is None or not self._worker.is_alive():
            self._worker = threading.Thread(target=self._loop, name="llm-decode", daemon=True)
            self._worker.start()
            # stopped before the interpreter tears down torch's thread pools under a running step (which
            # aborts the process: "terminate called without an active exception")
            ref = weakref.ref(self)
            atexit.register(lambda: (llm := ref()) is not None and llm.close())

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._pending and not self._running and not self._closed:
                    self._cond.wait()
                if self._closed:
                    for g in (*self._pending, *self._running):
                        self._end(g, finished=False)
                    self._pending.clear()
                    self._running.clear()
                    return
                while self._pending and len(self._running) < self.max_batch:
                    self._running.append(self._pending.popleft())
                running = list(self._running)
            self._step(running)

    def _step(self, running: list[_Generation]) -> None:
        """One forward pass over every running generation: a new one reads its prompt, the others their last
        token; then each picks its next token."""
        import torch

        from dialogue.decoder import SequenceInput

        batch, gens = [], []
        for g in running:
            if g.cancelled.is_set():
                self._end(g, finished=False)
                continue
            role = g.role if g.role in self.adapters else None  # a role without an adapter runs the bare base
            if g.cache is None:
                with self._cond:
                    g.cache, reused = self._reuse_prefix(g)
                g.stats.reused_tokens = reused
                batch.append(SequenceInput(g.prompt[reused:], g.cache, role))
            else:
                batch.append(SequenceInput([g.out[-1]], g.cache, role))
            gens.append(g)
        if not gens:
            return
        t0 = time.perf_counter()
        try:
            # One token of one sequence is a row of matrix-vector products bound by memory traffic: one thread
            # reads the weights about as fast as two, and the other core stays free for the frames and for
            # OpenMP's second team, whose spinning otherwise slows every small op (measured in
            # docs/benchmarks.md). Prompts and batches are matrix products: all threads.
            single = len(batch) == 1 and len(batch[0].tokens) == 1
            _this_threads_openmp(1 if single else self.threads)
            hidden = self.decoder.forward(batch)
            t1 = time.perf_counter()
            with torch.inference_mode():
                logits = self.head(hidden)
                tokens = [self._pick(row, g.temperature, g.generator, g.out if g.role == "answer" else None,
                                     0.0 if g.out else self.stop_bias.get(g.role, 0.0),
                                     g.opening_ban)
                          for g, row in zip(gens, logits)]
                for g, token in zip(gens, tokens):
                    if g.opening_ban is not None and not g.ban_holds and token not in self._scripts[1]:
                        g.opening_ban = None  # the answer has opened in its language: nothing is banned from here
        except BaseException as e:  # surfaced to each caller, not lost in the thread
            for g in gens:
                g.error = e
                self._end(g, finished=False)
            return
        t2 = time.perf_counter()
        for g, token in zip(gens, tokens):
            if g.out or g.stats.prefill_s:
                g.stats.layers_s += t1 - t0
                g.stats.steps += 1
                g.stats.batch_sizes.append(len(gens))
            else:
                g.stats.prefill_s = t2 - t0
            g.stats.head_s += t2 - t1
            if token in self.stop_ids:
                self._end(g, finished=True)
                continue
            g.out.append(token)
            try:
                g.on_token(token)
            except BaseException as e:
                g.error = e
                self._end(g, finished=False)
                continue
            if len(g.out) >= g.max_new_tokens or g.cancelled.is_set():
                self._end(g, finished=False)

    def _reuse_prefix(self, g: _Generation):
        """A cache for `g`: the stored one sharing the longest start with its prompt (taken out of the store and
        cut to that start), or a new one. Returns (cache, tokens already in it)."""
        best, common = None, 0
        for i, (role, tokens, _cache) in enumerate(self._prefixes):
            if role != g.role:
                continue
            n = 0
            for a, b in zip(tokens, g.prompt):
                if a != b:
                    break
                n += 1
            if n > common:
                best, common = i, n
        common = min(common, len(g.prompt) - 1)  # at least one token to read: its output is the first pick
        if best is None or common < 4:
            return self.decoder.new_cache(len(g.prompt) + g.max_new_tokens), 0
        _role, _tokens, cache = self._prefixes.pop(best)
        cache.length = common
        cache.reserve(len(g.prompt) + g.max_new_tokens)
        return cache, common

    def _keep_prefix(self, g: _Generation) -> None:
        """Store a finished generation's cache for a later prompt that repeats it; oldest out past the budget."""
        cache = g.cache
        tokens = (g.prompt + g.out)[:cache.length]
        self._prefixes.append((g.role, tokens, cache))
        while self._prefixes and sum(c.keys.nbytes + c.values.nbytes for _, _, c in self._prefixes) > self.prefix_cache_bytes:
            self._prefixes.pop(0)

    def clear_prefix_cache(self) -> None:
        """Forget the stored caches (benchmarks measuring a cold start)."""
        with self._cond:
            self._prefixes.clear()

    def _end(self, g: _Generation, finished: bool) -> None:
        g.finished = finished
        if g.cache is not None and g.error is None and g.cache.length:
            with self._cond:
                self._keep_prefix(g)
        g.cache = None  # the store holds it now, or its memory goes
        with self._cond:
            if g in self._running:
                self._running.remove(g)
        self.last_stats = g.stats
        g.done.set()
        if g.on_done is not None:
            g.on_done()

    @functools.cached_property
    def _scripts(self) -> tuple[dict[str, object], frozenset[int]]:
        """Per message language ('ko', 'en'), the head rows whose token would open its answer in the other
        language; and the token ids that hold no letter (they open no language). Every head row's text is read
        through the tokenizer once, at the first switch of language (0.1 s for the persona head)."""
        import torch

        ids = self.vocab.tolist() if self.vocab is not None else range(self.decoder.cfg.vocab_size)
        texts = [self.tokenizer.decode([int(t)]) for t in ids]
        rows = {lang: torch.tensor([i for i, text in enumerate(texts) if opens_other_language(text, lang)],
                                   dtype=torch.long, device=self.device) for lang in ("ko", "en")}
        return rows, frozenset(int(t) for t, text in zip(ids, texts) if not has_letters(text))

    def _submit(self, role: str, prompt: str, max_new_tokens: int, temperature: float, seed: int | None,
                on_token, cancelled: threading.Event, on_done=None, opening: str | None = None) -> _Generation:
        import torch

        if self._closed:
            raise LLMBackendError("the in-process LLM is closed")
        ids = self.tokenizer.encode(prompt)
        if max_new_tokens < 1:
            raise ValueError(f"max_new_tokens must be at least 1, got {max_new_tokens}")
        generator = torch.Generator().manual_seed(seed) if seed is not None else None
        g = _Generation(role, list(ids), max_new_tokens, temperature, generator, on_token, cancelled, on_done)
        if opening is not None:
            if opening not in ("ko", "en", "en-only"):
                raise ValueError(f"opening must be 'ko', 'en' or 'en-only', got {opening!r}")
            g.opening_ban = self._scripts[0][opening.removesuffix("-only")]
            g.ban_holds = opening == "en-only"
        with self._cond:
            self._pending.append(g)
            self._start_worker()
            self._cond.notify()
        return g

    def decode_tokens(self, role: str, prompt: str, max_new_tokens: int, temperature: float, seed: int | None,
                      on_token, cancelled: threading.Event, opening: str | None = None) -> tuple[list[int], bool]:
        """Greedy (or sampled) decoding; calls on_token(id) per token (in the worker thread). Blocks until the
        generation ends; returns (ids, finished)."""
        g = self._submit(role, prompt, max_new_tokens, temperature, seed, on_token, cancelled, opening=opening)
        g.done.wait()
        if g.error is not None:
            raise g.error
        return g.out, g.finished

    def generate_text(self, role: str, prompt: str, *, max_new_tokens: int = 64, temperature: float = 0.0,
                      seed: int | None = None, opening: str | None = None) -> Completion:
        """Blocking generation (evaluation, benchmarks, the post-answer roles in a worker)."""
        t0 = time.perf_counter()
        first: list[float] = []
        ids, finished = self.decode_tokens(role, prompt, max_new_tokens, temperature, seed,
                                           lambda _t: first or first.append(time.perf_counter()),
                                           threading.Event(), opening)
        return self._completion(ids, finished, t0, first[0] if first else None)

    def _completion(self, ids: list[int], finished: bool, t0: float, first: float | None) -> Completion:
        total = time.perf_counter() - t0
        timings = {"total_s": total}
        if first is not None:
            timings["first_token_s"] = first - t0
            if len(ids) > 1:
                timings["decode_tokens_per_s"] = (len(ids) - 1) / max(total - (first - t0), 1e-9)
        return Completion(self.tokenizer.decode(ids), len(ids), finished, timings)

    async def generate(self, role: str, prompt: str, *, max_new_tokens: int = 64, temperature: float = 0.0,
                       seed: int | None = None, opening: str | None = None) -> AsyncIterator[GenerationEvent]:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue = asyncio.Queue()
        cancelled = threading.Event()
        ids: list[int] = []
        t0 = time.perf_counter()

        def on_token(token: int) -> None:
            ids.append(token)
            loop.call_soon_threadsafe(queue.put_nowait, ("token", time.perf_counter()))

        g = self._submit(role, prompt, max_new_tokens, temperature, seed, on_token, cancelled,
                         on_done=lambda: loop.call_soon_threadsafe(queue.put_nowait, ("done", None)), opening=opening)
        detok = IncrementalDetokenizer(self.tokenizer)
        first: float | None = None
        try:
            while True:
                kind, value = await queue.get()
                if kind == "done":
                    if g.error is not None:
                        raise LLMBackendError(f"in-process generation failed: {g.error}") from g.error
                    tail = detok.flush(ids)
                    if tail:
                        yield TextDelta(tail)
                    yield self._completion(list(ids), g.finished, t0, first)
                    return
                first = first or value
                delta = detok.step(ids)
                if delta:
                    yield TextDelta(delta)
        finally:
            cancelled.set()  # the consumer stopped early (barge-in, closed socket): stop at the next step


def role_adapters(adapters_dir: Path) -> list[str]:
    """The roles with an adapter under `adapters_dir`; a folder holding none is the user's mistake."""
    roles = [r for r in ROLES if (adapters_dir / r / "adapter_config.json").exists()]
    if not roles:
        raise ValueError(f"no role adapters in {adapters_dir} (expected {'/, '.join(ROLES)}/ folders with "
                         "adapter_config.json, as `ohlora train` writes them)")
    return roles


def _this_threads_openmp(n: int) -> None:
    """Threads for the calling thread's torch ops only: OpenMP's and MKL's thread-local counts, as
    torch.set_num_threads sets them, without its process-wide default, which every thread started later
    (the encoder's workers) would take."""
    global _THREAD_SETTERS
    if _THREAD_SETTERS is None:
        import ctypes
        import os

        import torch

        lib = os.path.join(os.path.dirname(torch.__file__), "lib")
        setters = []
        # the C entry points (by value); MKL's lowercase names are its Fortran ones, which take a pointer
        for name, symbol in (("libgomp.so.1", "omp_set_num_threads"), ("libtorch_cpu.so", "MKL_Set_Num_Threads_Local")):
            try:
                setter = getattr(ctypes.CDLL(os.path.join(lib, name)), symbol)
            except (OSError, AttributeError):
                continue
            setter.argtypes = [ctypes.c_int]
            setters.append(setter)
        _THREAD_SETTERS = setters
    if len(_THREAD_SETTERS) < 2:  # another build of torch: its own call, default and all
        import torch

        torch.set_num_threads(n)
        return
    for setter in _THREAD_SETTERS:
        setter(n)


_THREAD_SETTERS = None  # found on first use

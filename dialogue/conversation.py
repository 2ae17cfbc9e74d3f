"""One turn of Oh-LoRA: safety gate, context (memory or last summary, time tag, the persona fact asked
about), streamed answer with validation, then the three post-answer roles. Implements
`dialogue.interfaces.ChatEngine`.

Memory, topic detection, persona questions and safety are optional collaborators (protocols in
dialogue.interfaces); without them the engine still answers. Each user's exchanges and last summary live in
a `ConversationStore` (the dialogue database; in memory for an engine built without one), written before the
turn's end is reported, so a conversation resumes after a restart or on another server process.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from dialogue import chat_prompts
from dialogue.answer_bank import DEFAULT_THRESHOLD as DEFAULT_BANK_THRESHOLD
from dialogue.answer_bank import AnswerBank, ReusedAnswer
from dialogue.backends import EngineUnreachable, api_for
from dialogue.calculator import solve as solve_calculation
from dialogue.claims import fact_completion
from dialogue.choices import offered_options, picks_an_option
from dialogue.clock import answer as clock_answer
from dialogue.greetings import greeting_answer, greets
from dialogue.her_age import answer as age_answer
from dialogue.conversation_store import ConversationStore, Kind
from dialogue.crisis import CONTEXT_EXCHANGES, CrisisDetector, crisis_reply, is_crisis_reply
from dialogue.database import DialogueDatabase, open_database
from dialogue.interfaces import (Expression, Memory, MemoryProvider, PersonaQuestions, SafetyGate, SafetyVerdict,
                                 TokenEvent, TopicDetector, TurnDone, TurnEvent)
from dialogue.llm import Completion, LLMBackend, LLMBackendError, TextDelta
from dialogue.llm_loading import (ADAPTERS_DIR, load_default_llm, role_stop_bias, trained_prompt_shape,
                                  trained_with_examples)
from dialogue.memory_values import checked_memories
from dialogue.names import USER_NAME_KEYS, with_told_name
from dialogue.prompting import (HISTORY_TURNS, MONTHS_EN, PROMPT_MARKERS, PROMPT_MEMORIES, ROLES, TurnContext,
                                answer_opening, answer_prompt, expression_prompt, language_of, memory_prompt,
                                summary_prompt)
from dialogue.recall import (asked_slots, asks_about_someone_named, asks_to_be_reminded, asks_what_she_knows,
                             known_facts_answer, recall_answer, recall_from)
from dialogue.roles import (CUT_SHORT, ENGINE_DOWN, FALLBACK, TOO_LONG, answer_problem, clean_summary,
                            parse_expression, parse_expression_lenient, parse_memories, parse_memories_lenient)
from dialogue.tastes import TasteSheet, says_line

log = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 400  # ~ the prompt token budget for the message (Korean runs ~1 token per 1.5 chars)
MAX_MESSAGE_TOKENS = 160
ANSWER_MAX_TOKENS = 72
CHAT_ANSWER_MAX_TOKENS = 120  # a general model's tokenizer and style: one to three sentences need more room
ANSWER_RETRIES = 2
# the nearest memories a question asking to be reminded of something is read against, past the gate
RECALL_CANDIDATES = 5
RECALL_CONVERSATION_TURNS = 6  # and the exchanges of this conversation it may have been said in
# Text that may still turn into a marker or an unchecked word, and a month still waiting for its day ("오늘 12월 "):
# held back until the validator has seen the whole date, so a wrong one is never half shown.
_HOLD = re.compile(r"[<(\[]|(?:\d{1,2}월|\b(?:" + "|".join(MONTHS_EN) + r"))\s*\S*$|\S+$")
# An answer that opens in the first person while a memory of the user's is in the prompt ("I'm ", "안녕, 나는 ") may be
# about to say the user's fact as hers ("I'm Jane"): its first clause is held back until it is complete, so the
# validator (`claims.memory_as_hers`) can reject it before any of it is shown and the retry starts afresh.
_FIRST_PERSON_OPENER = re.compile(
    r"^\W*(?:(?:hi|hey|hello|oh|aww|haha|안녕|앗|헐|어|오)\b[^.!?\n]{0,12}?[\s,!~]+)?"
    r"(?:I'm|I’m|I am|my name is|I live|I work|I study|나는|난|저는|전|나도|저도|제 이름은|내 이름은)(?=\s|$)",
    re.IGNORECASE)
_CLAUSE_END = re.compile(r"[.!?,~\n…]|(?:\S+\s+){4}")


def opener_pending(text: str) -> bool:
    """Does `text` (an answer's beginning) open in the first person with its first clause still incomplete?"""
    m = _FIRST_PERSON_OPENER.match(text)
    return bool(m) and not _CLAUSE_END.search(text[m.end():])


# A word or number at the very end of streamed text may still grow ("October 1" -> "October 11"): the
# validator judges only what precedes it, so a date or time is never rejected half-written.
_GROWING = re.compile(r"[^\W_]+$")


def complete_part(text: str) -> str:
    """The streamed text up to its last complete word or number."""
    return _GROWING.sub("", text)


@dataclass
class OpenTurn:
    """The user's latest turn in this process: what an interruption refers to."""
    message: str
    asked_at: datetime
    exchange_id: int | None = None  # set once the exchange is stored
    kind: Kind = "answer"


def visible_summary(message: str, answer: str) -> str:
    """The summary of an exchange the summary role did not (or could not) summarize."""
    return f"사용자: {message[:40]} / 오로라: {answer[:40]}"


def spoken_pieces(text: str) -> list[str]:
    """A canned line as word-sized tokens, so it is paced and lip-synced like a generated answer."""
    return re.findall(r"\s*\S+", text) or [text]


# a written answer is not reused while it is among her last this many answers to the user
UNREPEATED_ANSWERS = 20
# the crisis detector's earlier messages (dialogue.crisis.CONTEXT_EXCHANGES) are those asked within this of the
# message and after her last crisis answer (what came before that has had its answer)
CRISIS_CONTEXT_WINDOW = timedelta(minutes=30)


class PersonaChat:
    """The conversation engine shared by all users of a server (or one terminal)."""

    def __init__(self, llm: LLMBackend, memory: MemoryProvider | None = None, topics: TopicDetector | None = None,
                 safety: SafetyGate | None = None, count_tokens=None, temperature: float = 0.0,
                 persona: PersonaQuestions | None = None, history_turns: int = 0, prompt_memories: int = 0,
                 conversations: ConversationStore | None = None, exact_answers: bool = True,
                 answer_max_tokens: int = ANSWER_MAX_TOKENS, answers: AnswerBank | None = None,
                 answer_examples: bool = False, crisis: CrisisDetector | None = None,
                 tastes: TasteSheet | None = None) -> None:
        """exact_answers: a message that only asks for a sum (`dialogue.calculator`), the date or time
        (`dialogue.clock`) or her age (`dialogue.her_age`) is answered exactly instead of by the model, and so is a
        message that only greets her (`dialogue.greetings`).
        answer_max_tokens: the most tokens an answer from the in-process model may run to (a chat API gets
        CHAT_ANSWER_MAX_TOKENS).
        answers: written answers reused (`dialogue.answer_bank`): a message close to one a writer answered, with
        no memory shown and not about her facts, gets that answer when it holds now and passes the validator (and,
        asked about her tastes, agrees with her sheet).
        crisis: reads a message that says the user (or someone they know) may be in danger of suicide or
        self-harm; such a message gets her written crisis answer (`dialogue.crisis`), never the model's, even
        during a block, unless the safety gate counts it as an offence (a misread insult or harassment).
        answer_examples: when no written answer is served, the nearest written exchange that carries over is shown
        in the answer prompt as an example (`TurnContext.example`); only for an adapter trained with them
        (`dialogue.llm_loading.trained_with_examples`).
        tastes: her taste sheet (`dialogue.tastes`): a message asking about her food, music, hobbies, family or
        studies, with no memory shown and none of her hard facts asked (but her university, beside her studies), gets
        that line in her persona card."""
        if answer_max_tokens < 8:
            raise ValueError(f"answer_max_tokens must be at least 8, got {answer_max_tokens}")
        self.llm = llm
        self.answer_max_tokens = answer_max_tokens
        self.exact_answers = exact_answers
        self.answers = answers
        self.answer_examples = answer_examples
        self.crisis = crisis
        self.tastes = tastes
        self.memory = memory
        self.topics = topics
        self.safety = safety
        self.persona = persona
        self.count_tokens = count_tokens  # callable(text) -> int; None: estimate from characters
        self.temperature = temperature
        # earlier exchanges shown in the answer prompt: as many as the answer adapter was trained with
        self.history_turns = history_turns
        # memories in the answer prompt: 0, the one the relevance gate lets through (an adapter trained with a
        # single relevant memory); N, the store's N nearest, for an adapter trained to use the relevant one and
        # say nothing of the others (dialogue.data.turns.memory_line)
        self.prompt_memories = prompt_memories
        self.conversations = conversations if conversations is not None else ConversationStore.in_memory()
        self.open_turns: dict[str, OpenTurn] = {}
        # what went wrong, counted for the server's /metrics: engine_unreachable, <role>_unusable, <role>_failed
        self.counts: Counter[str] = Counter()

    def stats(self) -> dict[str, float]:
        """Counters since start (the server exposes them as ohlora_dialogue_<name>)."""
        return {name: float(n) for name, n in sorted(self.counts.items())}

    async def aclose(self) -> None:
        """Release the LLM backend's connections (a remote engine's pooled HTTP session)."""
        close = getattr(self.llm, "aclose", None)
        if close is not None:
            await close()

    def _prompt(self, role: str, message: str, answer: str = "", ctx: TurnContext | None = None,
                now: datetime | None = None):
        """The role's prompt in the form its backend speaks: our Gemma-formatted text for the adapters, chat
        messages for an instruction-tuned model (dialogue.chat_prompts)."""
        chat = api_for(self.llm, role) == "chat"
        if role == "answer":
            return chat_prompts.answer_messages(message, ctx) if chat else answer_prompt(message, ctx)
        if role == "memory":
            return chat_prompts.memory_messages(message) if chat else memory_prompt(message, now)
        if role == "summary":
            return chat_prompts.summary_messages(message, answer) if chat else summary_prompt(message, answer)
        return chat_prompts.expression_messages(answer) if chat else expression_prompt(answer)

    # --- ChatEngine --------------------------------------------------------------------------------

    async def turn(self, user_id: str, message: str, now: datetime | None = None) -> AsyncIterator[TurnEvent]:
        now = now or datetime.now()
        message = message.strip()
        lang = language_of(message) if message else "ko"
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        self.note_message(user_id, message, now)

        care = self._care(user_id, message, now)
        # a person at risk gets the crisis answer even during a block and whatever else the gate flags; only a
        # message the gate counts as an offence (an insult, hate or harassment the detector misread) stays the gate's
        blocked_before = bool(care) and self._blocked(user_id, now)
        refusal = None if blocked_before else self._gate(user_id, message, now)
        if care and (refusal is None or refusal.action not in ("warn", "blocked")):
            self.counts["crisis_replies"] += 1  # /metrics: ohlora_dialogue_crisis_replies
            text = crisis_reply(care, message, self._recent_answers(user_id))
            # a calm, attentive face whatever the expression role makes of the words
            async for ev in self._known_answer(user_id, message, text, now, timings, t0,
                                               expression=Expression("normal", "closed", "none"), care=care):
                yield ev
            return

        exact = self._exact_answer(user_id, message, lang, now) if self.exact_answers else None
        if refusal is not None and refusal.action == "decline" and exact is not None:
            # a flag that does not count on a plain question about the date, a sum or her age ("너 고딩이야?"
            # read as an insult) is lifted: the exact answer is what was asked for
            refusal = None
        if refusal is not None:
            text = refusal.message or FALLBACK[lang]
            for piece in spoken_pieces(text):
                yield TokenEvent(piece)
            self._store(user_id, text, "reply", "", now)
            yield TurnDone(text=text, refused=refusal, expression=Expression("small", "small", "slightly left"))
            return
        if not message or self._too_long(message):
            text = TOO_LONG[lang] if message else FALLBACK[lang]
            for piece in spoken_pieces(text):
                yield TokenEvent(piece)
            self._store(user_id, text, "reply", "", now)
            yield TurnDone(text=text, expression=Expression("wide", "small", "slightly right"))
            return
        if exact is not None:  # the 270M model gets sums and dates wrong: she answers those exactly
            async for ev in self._known_answer(user_id, message, exact, now, timings, t0):
                yield ev
            return

        ctx, memory = self._context(user_id, message, now)
        timings["context_s"] = time.perf_counter() - t0
        context_text = ctx.memory or ctx.summary
        # asked for a fact of theirs she has ("do you remember my name?"): she says it, as the gate brought it in
        recalled = None if memory is None else recall_answer(message, memory.key, memory.value, lang)
        if recalled is None:
            recalled = self._recalled(user_id, message, ctx, now, lang)
        if recalled is not None:
            timings["recalled"] = 1.0
            async for ev in self._known_answer(user_id, message, recalled, now, timings, t0):
                yield ev
            return
        earlier = " ".join(f"{u} {a}" for u, a in ctx.history)  # the exchanges the prompt shows
        reused = self._written_answer(user_id, message, ctx, context_text, earlier)
        if reused is None and ctx.taste_line:
            reused = self._taste_answer(user_id, message, ctx, context_text, earlier)
            if reused is not None:
                timings["taste_answer"] = 1.0
        if reused is not None:
            timings["reused_similarity"] = reused.similarity
            if reused.fit is not None:
                timings["reused_fit"] = reused.fit
            async for ev in self._known_answer(user_id, message, reused.answer, now, timings, t0):
                yield ev
            return
        ctx = self._with_example(user_id, message, ctx)
        chat = api_for(self.llm, "answer") == "chat"
        answer = ""
        shown = ""  # what the user has seen; a retry continues from it (nothing shown is ever taken back)
        unreachable = False
        problem = None
        for attempt in range(ANSWER_RETRIES + 1):
            if attempt and chat and shown.strip():
                break  # a chat API cannot continue a shown beginning: it is closed below instead
            if problem and (shown.strip() or not chat):
                # a day the model got wrong (her birthday, today's date, the hour's greeting): the retry goes on
                # from the right one
                fact = fact_completion(shown, problem, now, lang, message)
                if fact:
                    shown += fact
                    yield TokenEvent(fact)
            held = ""
            problem = None
            # first try greedy; retries sample, so they do not repeat the same mistake
            temperature = self.temperature if attempt == 0 else 0.7
            prompt = self._prompt("answer", message, ctx=ctx)
            try:
                gen = self.llm.generate("answer", prompt if chat else prompt + shown,
                                        max_new_tokens=CHAT_ANSWER_MAX_TOKENS if chat else self.answer_max_tokens,
                                        temperature=temperature, seed=attempt,
                                        opening=None if shown.strip() else answer_opening(message, ctx.history))
                async with contextlib.aclosing(gen):
                    async for ev in gen:
                        if isinstance(ev, TextDelta):
                            held += ev.text
                            judged = complete_part(shown + held)
                            problem = (answer_problem(judged, message, now, context_text, final=False,
                                                      earlier=earlier, last_try=attempt == ANSWER_RETRIES)
                                       if judged.strip() else None)
                            if problem:
                                break
                            if ctx.memory and not shown.strip() and opener_pending(held):
                                continue
                            cut = _HOLD.search(held)
                            ready, held = (held[:cut.start()], held[cut.start():]) if cut else (held, "")
                            if ready:
                                timings.setdefault("first_token_s", time.perf_counter() - t0)
                                shown += ready
                                yield TokenEvent(ready)
                        elif isinstance(ev, Completion):
                            timings.update({f"answer_{k}": v for k, v in ev.timings.items()})
            except EngineUnreachable as e:  # no retry against a dead engine: she says so at once
                log.error("answer engine unreachable: %s", e)
                self.counts["engine_unreachable"] += 1
                unreachable = True
                break
            except LLMBackendError as e:
                log.warning("answer generation failed: %s", e)
                problem = "backend error"
            full = shown + (held if not problem else "")
            problem = problem or answer_problem(full, message, now, context_text, earlier=earlier,
                                                last_try=attempt == ANSWER_RETRIES)
            if problem is None:
                if held:
                    timings.setdefault("first_token_s", time.perf_counter() - t0)
                    yield TokenEvent(held)
                answer = full.strip()
                break
            log.warning("answer attempt %d rejected (%s)%s", attempt + 1, problem,
                        "; continuing from the shown text" if shown.strip() else "")
        if unreachable:
            # whatever was shown is closed, then she says in her own words that she cannot go on
            down = ENGINE_DOWN[lang]
            text = (shown.rstrip() + "… " + down) if shown.strip() else down
            for piece in spoken_pieces(("… " if shown.strip() else "") + down):
                yield TokenEvent(piece)
            timings["answer_s"] = time.perf_counter() - t0
            self._store(user_id, text, "reply", "", now)  # shown, never put back into a prompt
            yield TurnDone(text=text, expression=Expression("normal", "small", "slightly left"), timings=timings)
            return
        if not answer and shown.strip():
            # a good beginning was shown but no continuation passed: close it rather than contradict it
            answer = shown.rstrip() + CUT_SHORT[lang]
            yield TokenEvent(CUT_SHORT[lang])
        elif not answer:
            answer = FALLBACK[lang]
            yield TokenEvent(answer)
        timings["answer_s"] = time.perf_counter() - t0

        done = await self._after_answer(user_id, message, answer, now, timings)
        timings["turn_s"] = time.perf_counter() - t0
        yield done

    def record_interrupted(self, user_id: str, shown_text: str) -> None:
        """Keep only what the user saw as the latest turn's answer; its summary is the visible exchange.
        An exchange stored already (the answer was complete, then cut while being spoken) is revised."""
        turn = self.open_turns.get(user_id)
        if turn is None:
            return
        kind: Kind = "reply" if turn.kind == "reply" else "interrupted"
        summary = visible_summary(turn.message, shown_text) if kind == "interrupted" else ""
        if turn.exchange_id is not None:
            self.conversations.revise(turn.exchange_id, shown_text, kind, summary)
        else:
            self._store(user_id, shown_text, kind, summary, datetime.now(turn.asked_at.tzinfo))

    def note_message(self, user_id: str, message: str, now: datetime | None = None) -> None:
        """Remember the message of a turn that is being answered (so an interruption knows it)."""
        self.open_turns[user_id] = OpenTurn(message, now or datetime.now())

    def transcript(self, user_id: str) -> list[dict[str, str]]:
        """The user's stored conversation as the protocol's `hello.transcript` (a resumed session shows it)."""
        return self.conversations.transcript(user_id)

    def _store(self, user_id: str, answer: str, kind: Kind, summary: str, now: datetime) -> None:
        """Write the open turn's exchange. A failure propagates: the turn must not be reported as done
        when what it said was not kept."""
        turn = self.open_turns.get(user_id) or OpenTurn("", now)
        turn.exchange_id = self.conversations.record(user_id, turn.message, answer, kind, summary,
                                                     asked_at=turn.asked_at, answered_at=now)
        turn.kind = kind
        self.open_turns[user_id] = turn

    # --- steps ---------------------------------------------------------------------------------------

    async def _known_answer(self, user_id: str, message: str, text: str, now: datetime, timings: dict[str, float],
                            t0: float, **done_fields) -> AsyncIterator[TurnEvent]:
        """A turn whose whole answer is known before it streams (an exact answer, a written one, a crisis reply):
        its spoken pieces, then the post-answer roles' `TurnDone` with `done_fields` set on it."""
        for piece in spoken_pieces(text):
            timings.setdefault("first_token_s", time.perf_counter() - t0)
            yield TokenEvent(piece)
        timings["answer_s"] = time.perf_counter() - t0
        done = await self._after_answer(user_id, message, text, now, timings)
        timings["turn_s"] = time.perf_counter() - t0
        yield replace(done, **done_fields) if done_fields else done

    def _recent_answers(self, user_id: str) -> set[str]:
        """Her last UNREPEATED_ANSWERS answers to this user, never given again word for word."""
        return {answer.strip() for _, answer in self.conversations.history(user_id, UNREPEATED_ANSWERS)}

    def _care(self, user_id: str, message: str, now: datetime) -> str:
        """"self" / "other" when `self.crisis` reads the message, after the user's recent messages
        (`_crisis_context`), as someone at risk, else ""."""
        if self.crisis is None or not message:
            return ""
        try:
            return self.crisis.assess(message, self._crisis_context(user_id, now))
        except Exception as e:  # a broken detector must not break the conversation
            log.warning("crisis detector failed: %s", e)
            return ""

    def _crisis_context(self, user_id: str, now: datetime) -> list[str]:
        """The user's messages of the last CONTEXT_EXCHANGES exchanges asked within CRISIS_CONTEXT_WINDOW,
        oldest first, none from before her last crisis answer."""
        earlier: list[str] = []
        now = now.astimezone()  # the store's times are aware; a naive `now` is local time
        for ex in reversed(self.conversations.recent(user_id, CONTEXT_EXCHANGES)):
            if is_crisis_reply(ex.answer) or now - ex.asked_at > CRISIS_CONTEXT_WINDOW:
                break
            earlier.insert(0, ex.message)
        return earlier

    def _blocked(self, user_id: str, now: datetime) -> bool:
        return self.safety is not None and self.safety.status(user_id, now).action == "blocked"

    def _gate(self, user_id: str, message: str, now: datetime) -> SafetyVerdict | None:
        if self.safety is None:
            return None
        verdict = self.safety.status(user_id, now)
        if verdict.action == "blocked":
            return verdict
        verdict = self.safety.check_user_message(user_id, message, now)
        return verdict if verdict.action in ("decline", "warn", "refuse", "blocked") else None

    def _exact_answer(self, user_id: str, message: str, lang: str, now: datetime) -> str | None:
        """Her answer from the calculator, the clock or the calendar when the message only asks for a sum, the date
        or time, a named day or her age; her greeting for the hour when it only greets her."""
        calculation = solve_calculation(message)
        if calculation is not None:
            return calculation.answer(lang, message)
        known = clock_answer(message, now) or age_answer(message, now)
        if known is None and len(message) <= 40:
            known = greeting_answer(message, now, opens=not self.conversations.history(user_id, 1),
                                    name=self._user_name(user_id) if greets(message) else "")
        return known

    def _user_name(self, user_id: str) -> str:
        """The user's name when she has stored it ("" when not, or when the store cannot say)."""
        export = getattr(self.memory, "export", None)
        if export is None:
            return ""
        try:
            return next((m["value"].strip() for m in export(user_id)
                         if m["key"].strip().lower() in USER_NAME_KEYS and m["value"].strip()), "")
        except Exception as e:  # a greeting without the name rather than none
            log.warning("memory lookup for the user's name failed: %s", e)
            return ""

    def _written_answer(self, user_id: str, message: str, ctx: TurnContext, context_text: str,
                        earlier: str = "") -> ReusedAnswer | None:
        """A written answer for this message (`self.answers`), when no memory is shown (the adapter was trained to
        use it) and the message does not ask for one of her facts (the persona line answers those), and the
        answer passes the same checks as a generated one."""
        if self.answers is None or ctx.memory or ctx.persona_aspect:
            return None
        try:
            # a follow-up is also read with the user's message before it: it may be one a writer answered whole
            found = self.answers.carried_over(message, ctx.now, before=ctx.history[-1][0] if ctx.history else "")
            if not found:  # most messages: no store queried for the user's memories or recent answers
                return None
            count = getattr(self.memory, "count", None)
            knows_user = bool(count(user_id)) if count is not None else self.memory is not None
            ranked = self.answers.ranked(found, message, knows_user=knows_user, said=self._recent_answers(user_id),
                                         previous=ctx.history[-1] if ctx.history else None)
        except Exception as e:  # without it she answers from the model
            log.warning("answer bank lookup failed: %s", e)
            return None
        if ctx.taste_line:  # asked about her taste: a writer's answer about another line ("최애 영화 뭐임" -> "아이유
            # '밤편지'!") or one that disagrees with her sheet is not hers; the model answers from the card instead
            ranked = [r for r in ranked if says_line(ctx.taste_line, r.answer)]
        elif (options := offered_options(message)) is not None:  # "pancakes or eggs benedict?" -> not "Waffles!"
            ranked = [r for r in ranked if picks_an_option(r.answer, options)]
        reused = next((r for r in ranked
                       if answer_problem(r.answer, message, ctx.now, context_text, earlier=earlier) is None), None)
        if reused is None:
            return None
        self.counts["answers_reused"] += 1  # /metrics: ohlora_dialogue_answers_reused
        return reused

    def _taste_answer(self, user_id: str, message: str, ctx: TurnContext, context_text: str,
                      earlier: str = "") -> ReusedAnswer | None:
        """Her own written answer about the taste line the message asks for (`TasteSheet.answers_for`), when no
        memory is shown, no hard fact of hers is asked (her studies beside her university: the model says both)
        and no written answer of the bank named the line; it passes the same checks as a generated one."""
        if self.tastes is None or ctx.memory or ctx.persona_aspect:
            return None
        try:
            found = self.tastes.answers_for(message, ctx.taste_line, said=self._recent_answers(user_id))
        except Exception as e:  # without them the model answers from her card
            log.warning("taste answers lookup failed: %s", e)
            return None
        chosen = next((a for a in found
                       if answer_problem(a.answer, message, ctx.now, context_text, earlier=earlier) is None), None)
        if chosen is None:
            return None
        self.counts["taste_answers"] += 1  # /metrics: ohlora_dialogue_taste_answers
        return ReusedAnswer(chosen.answer, chosen.similarity, chosen.written_message, chosen.source)

    def _recalled(self, user_id: str, message: str, ctx: TurnContext, now: datetime, lang: str) -> str | None:
        """Her answer to a question asking to be reminded of something the user told her, read from the user's
        RECALL_CANDIDATES nearest memories whatever the gate made of them (`dialogue.recall.recall_from`): the
        memory that holds what the question names, or that she has not been told it; to a question what she knows
        about the user, those memories said back; None when the model should answer."""
        knows = asks_what_she_knows(message)
        if self.memory is None or not (knows or asks_to_be_reminded(message, loosely=True) or asked_slots(message)
                                       or asks_about_someone_named(message)):
            return None
        try:
            memories = self.memory.recall(user_id, message, now, RECALL_CANDIDATES)
        except Exception as e:  # a broken store must not break the conversation
            log.warning("memory lookup for a recall question failed: %s", e)
            return None
        if knows:
            return known_facts_answer(message, [(m.key, m.value) for m in memories], lang)
        said = self.conversations.history(user_id, max(self.history_turns, RECALL_CONVERSATION_TURNS))
        found = recall_from(message, [(m.key, m.value) for m in memories], lang,
                            earlier=" ".join(f"{u} {a}" for u, a in said))
        return None if found is None else found[0]

    def _with_example(self, user_id: str, message: str, ctx: TurnContext) -> TurnContext:
        """`ctx` with the nearest written exchange as an example (`answer_examples`), under the same conditions
        as a written answer served word for word; unchanged when there is none."""
        if not self.answer_examples or self.answers is None or ctx.memory or ctx.persona_aspect:
            return ctx
        try:
            example = self.answers.example(message, ctx.now, skip=self._recent_answers(user_id))
        except Exception as e:  # without it she answers as an adapter without examples would
            log.warning("answer example lookup failed: %s", e)
            return ctx
        return replace(ctx, example=example) if example else ctx

    def _too_long(self, message: str) -> bool:
        if len(message) > MAX_MESSAGE_CHARS * 4:
            return True
        if self.count_tokens is not None:
            return self.count_tokens(message) > MAX_MESSAGE_TOKENS
        return len(message) > MAX_MESSAGE_CHARS

    def _context(self, user_id: str, message: str, now: datetime) -> tuple[TurnContext, Memory | None]:
        aspect = ""
        if self.persona is not None:
            try:
                aspect = self.persona.aspect(message)
            except Exception as e:  # without it she still answers, from what the adapter knows
                log.warning("persona-question classifier failed: %s", e)
        memories: list[Memory] = []
        if self.memory is not None:
            try:
                if self.prompt_memories > 0:
                    memories = self.memory.recall(user_id, message, now, self.prompt_memories)
                else:
                    memories = [m for m in [self.memory.retrieve(user_id, message, now)] if m is not None]
            except Exception as e:  # a broken store must not break the conversation
                log.warning("memory retrieval failed: %s", e)
        history = self.conversations.history(user_id, self.history_turns)
        if memories:
            text = " ".join(m.as_text() for m in memories)
            return TurnContext(now=now, memory=text, persona_aspect=aspect, history=history), memories[0]
        summary = self.conversations.last_summary(user_id)
        if summary and self.topics is not None:
            try:
                if self.topics.changed(summary, message):
                    summary = ""
            except Exception as e:
                log.warning("topic detection failed: %s", e)
        taste = None
        if self.tastes is not None and aspect in ("", "university"):
            try:
                taste = self.tastes.match(message)
            except Exception as e:  # without it she answers about her tastes from what the adapter knows
                log.warning("taste sheet lookup failed: %s", e)
            # beside a hard fact the line spoke over it ("do you eat food?" -> "I love tteokbokki"); only her studies
            # go with her university ("제일 어려운 과목 뭐야?" is read as asking where she studies)
            if taste is not None and aspect and not taste.key.startswith("studies."):
                taste = None
        return TurnContext(now=now, summary=summary, persona_aspect=aspect, history=history,
                           taste=taste.card if taste else "", taste_line=taste.key if taste else ""), None

    async def _role_text(self, role: str, prompt: str, max_new_tokens: int) -> tuple[str, float]:
        t = time.perf_counter()
        text = ""
        try:
            gen = self.llm.generate(role, prompt, max_new_tokens=max_new_tokens)
            async with contextlib.aclosing(gen):
                async for ev in gen:
                    if isinstance(ev, Completion):
                        text = ev.text
        except LLMBackendError as e:
            log.warning("%s role failed: %s", role, e)
            self.counts["engine_unreachable" if isinstance(e, EngineUnreachable) else f"{role}_failed"] += 1
        return text.strip(), time.perf_counter() - t

    async def _after_answer(self, user_id: str, message: str, answer: str, now: datetime,
                            timings: dict[str, float]) -> TurnDone:
        started = time.perf_counter() - timings.get("answer_s", 0.0)
        # the three roles at once: an in-process engine decodes them in shared forward passes, a remote one in
        # parallel requests
        (raw_memory, timings["memory_s"]), (raw_summary, timings["summary_s"]), (raw_expr, timings["expression_s"]) = \
            await asyncio.gather(self._role_text("memory", self._prompt("memory", message, now=now), 48),
                                 self._role_text("summary", self._prompt("summary", message, answer), 40),
                                 self._role_text("expression", self._prompt("expression", message, answer), 20))
        memory = None
        # a general chat model wraps its output in chat habits (bullets, "Eyes: Wide"); our adapters do not
        lenient = {role: api_for(self.llm, role) == "chat" for role in ("memory", "expression")}
        parsed = (parse_memories_lenient if lenient["memory"] else parse_memories)(raw_memory)
        if parsed is None:
            self.counts["memory_unusable"] += 1
            log.warning("memory role wrote %r, not '[key: value]' items; nothing stored", raw_memory[:80])
        # a name plainly told is kept even when the role left it out among other facts (dialogue.names); dates
        # and ages are made to agree with the message (dialogue.memory_values: the role counts days badly)
        told = checked_memories(with_told_name(parsed or [], message), message, now.date())
        for key, value in told:  # "I'm Jane, a nurse from Toronto": every fact
            memory = memory or Memory(key, value, now)
            if self.memory is not None:
                try:
                    self.memory.remember(user_id, key, value, message, now)
                except Exception as e:
                    log.warning("storing memory failed: %s", e)
        summary = clean_summary(raw_summary)
        if not summary:
            self.counts["summary_unusable"] += 1
            summary = visible_summary(message, answer)
        expression = (parse_expression_lenient if lenient["expression"] else parse_expression)(raw_expr)
        if expression is None:
            self.counts["expression_unusable"] += 1
            log.warning("expression role wrote %r, which is not a known level set; using neutral", raw_expr[:80])
            expression = Expression()
        self._store(user_id, answer, "answer", summary, now + timedelta(seconds=time.perf_counter() - started))
        prepare = getattr(self.topics, "prepare", None)
        if prepare is not None:  # encode the summary now, not while the next message waits
            try:
                prepare(summary)
            except Exception as e:
                log.warning("topic detector could not prepare the summary: %s", e)
        return TurnDone(text=answer, memory=memory, summary=summary, expression=expression, timings=timings)


def contains_marker(text: str) -> bool:
    return any(m in text for m in PROMPT_MARKERS)


@dataclass(frozen=True)
class SafetyOptions:
    """The block policy as `[dialogue]` options give it (text, as in a TOML file), checked by `policy_kwargs`."""

    block_steps: str = "1h,1d,14d"
    block_window: str = "10m"
    block_threshold: int | str = 3
    block_counted: str = "insult,hate,sexual"
    block_reset_after: str = "30d"

    def policy_kwargs(self) -> dict:
        """Keyword arguments of `open_safety_gate`; ValueError naming the option when one is wrong."""
        from dialogue.blocks import BlockPolicy, parse_categories, parse_duration, parse_steps

        kwargs = {}
        for option, key, parse in (("block_steps", "steps", parse_steps), ("block_window", "window", parse_duration),
                                   ("block_counted", "counted", parse_categories),
                                   ("block_reset_after", "reset_after", parse_duration)):
            try:
                kwargs[key] = parse(str(getattr(self, option)))
            except ValueError as e:
                raise ValueError(f"dialogue.{option}: {e}") from None
        threshold = self.block_threshold  # an int from TOML, text from the environment or --set
        if isinstance(threshold, bool) or not (isinstance(threshold, int) or str(threshold).strip().isdigit()):
            raise ValueError(f"dialogue.block_threshold: expected a whole number, got {threshold!r}")
        kwargs["threshold"] = int(threshold)
        try:  # the policy's own checks (threshold ≥ 2, counted categories, positive durations), on no database
            BlockPolicy(None, kwargs["steps"], kwargs["reset_after"], window=kwargs["window"],
                        threshold=kwargs["threshold"], counted=kwargs["counted"])
        except ValueError as e:
            raise ValueError(f"dialogue block policy: {e}") from None
        return kwargs


# Memories in a live answer prompt: 0, the one the relevance gate lets through. Chosen on the 160 written
# validation memory cases with the adapter trained on written conversations: the three nearest, ungated, were
# used more (47.5% vs 27.5% of relevant ones) but an unrelated one was spoken in 46.9% of answers against 5.0%
# (docs/open-eval/README.md), often as her own fact.
LIVE_PROMPT_MEMORIES = 0


@dataclass(frozen=True)
class AnswerDecoding:
    """How answers are decoded in process (`[dialogue] temperature`, `top_p`, `repetition_penalty`). Chosen on
    100 validation messages graded by two judges (docs/open-eval/README.md): greedy with a penalty of 1.2 on
    tokens already said, against plain greedy and sampling (T 0.7, top-p 0.9, penalty 1.1)."""

    temperature: float = 0.0  # 0: greedy
    top_p: float = 1.0
    repetition_penalty: float = 1.2

    def __post_init__(self) -> None:
        if not 0.0 <= self.temperature <= 2.0:
            raise ValueError(f"dialogue temperature {self.temperature} is outside 0..2 (0: greedy)")
        if not 0.0 < self.top_p <= 1.0:
            raise ValueError(f"dialogue top_p {self.top_p} is outside (0, 1]")
        if not 1.0 <= self.repetition_penalty <= 3.0:
            raise ValueError(f"dialogue repetition_penalty {self.repetition_penalty} is outside 1..3 (1: none)")

    @classmethod
    def with_overrides(cls, temperature: float | None = None, top_p: float | None = None,
                       repetition_penalty: float | None = None) -> AnswerDecoding:
        d = cls()
        return cls(d.temperature if temperature is None else float(temperature),
                   d.top_p if top_p is None else float(top_p),
                   d.repetition_penalty if repetition_penalty is None else float(repetition_penalty))

    def apply(self, llm) -> None:
        """Set the in-process backend's answer decoding (a remote engine decodes by its own settings)."""
        if hasattr(llm, "repetition_penalty"):
            llm.repetition_penalty, llm.top_p = self.repetition_penalty, self.top_p


def build_collaborators(database: DialogueDatabase | str | None = None, safety_policy: dict | None = None,
                        answer_bank: float = DEFAULT_BANK_THRESHOLD, crisis: bool = True,
                        answer_fit: bool = True, tastes: bool = True) -> dict:
    """Conversation store, memory store, topic detector, persona-question classifier, safety gate and crisis
    detector on one dialogue database (`database`: a path or a postgresql:// URL; default `$OHLORA_DB`, else the
    SQLite file in `$OHLORA_DATA_DIR`). `answer_bank`: the least message similarity for reusing a written answer (0: never);
    `answer_fit`: instead, the written answer that fits best among the nearest ones is reused, when it fits well
    enough (the answer-fit model, `dialogue.answer_bank.AnswerFit`; without its weights `answer_bank` applies).
    `crisis`: load the crisis detector (`dialogue.crisis`). `tastes`: load her taste sheet's matcher
    (`dialogue.tastes`).

    A database that cannot be opened stops the start (DatabaseError says why). The models need the prepared
    sentence encoder; a missing one is reported and skipped, so the persona still talks (without long-term
    memory or the safety gate) rather than failing to start.
    """
    db = database if isinstance(database, DialogueDatabase) else open_database(database)
    found: dict = {"conversations": ConversationStore(db)}
    try:
        from dialogue.classifiers import PersonaQuestionClassifier, TopicChangeClassifier
        from dialogue.memory import MemoryStore
        from dialogue.safety import open_safety_gate

        found["memory"] = MemoryStore(db)
        found["topics"] = TopicChangeClassifier()
    except Exception as e:  # e.g. the encoder is not prepared
        log.warning("memory/topic/safety unavailable (%s); run `ohlora weights prepare`", e)
        return found
    try:  # on its own: without it she answers from the adapter alone, memory and safety stay on
        found["persona"] = PersonaQuestionClassifier()
    except Exception as e:
        log.warning("persona-question classifier unavailable (%s); run `ohlora classifiers train --task persona`", e)
    if answer_bank > 0:
        try:
            from dialogue.answer_bank import AnswerBank

            found["answers"] = AnswerBank.from_written(found["memory"].encoder, threshold=answer_bank, fit=answer_fit)
        except Exception as e:  # without it every answer is generated
            log.warning("answer bank unavailable (%s); every answer comes from the model", e)
    try:
        found["safety"] = open_safety_gate(db, **(safety_policy or SafetyOptions().policy_kwargs()),
                                           about_her=found.get("persona"))
    except Exception as e:
        log.warning("safety gate unavailable (%s); run `ohlora weights prepare`", e)
    if tastes:
        try:  # without it she answers about her tastes from what the adapter learned
            found["tastes"] = TasteSheet.from_written(found["memory"].encoder)
        except Exception as e:
            log.warning("taste sheet unavailable (%s); her tastes come from the adapter alone", e)
    if crisis:
        try:  # without it a message about suicide is answered like any other: loud in the log
            found["crisis"] = CrisisDetector(found["memory"].encoder)
        except Exception as e:
            log.error("crisis detector unavailable (%s); run `ohlora classifiers train --task crisis`", e)
    return found


def crisis_option(value: bool | str) -> bool:
    """`[dialogue] crisis_replies` as a bool (true, false, or those words from the environment or a flag)."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "on"):
        return True
    if text in ("false", "0", "no", "off"):
        return False
    raise ValueError(f"dialogue.crisis_replies: true (answer people at risk with a crisis line) or false; got {value!r}")


def answer_bank_threshold(value: float | str, chat_model: bool = False) -> float:
    """`[dialogue] answer_bank` as a cosine: "auto" is DEFAULT_BANK_THRESHOLD, or 0 (off) when a chat model answers
    (it was not chosen against one); 0 is off; otherwise a number in (0, 1]."""
    if value == "auto":
        return 0.0 if chat_model else DEFAULT_BANK_THRESHOLD
    threshold = _number_within(value, float, 0.0, 1.0)
    if threshold is None:
        raise ValueError(f"dialogue.answer_bank: \"auto\", 0 (never reuse a written answer) or the least message "
                         f"similarity in (0, 1], e.g. {DEFAULT_BANK_THRESHOLD}; got {value!r}")
    return threshold


def _number_within(value, convert, low, high):
    """`convert(value)` when it converts and lies in [low, high], else None (a config option's number)."""
    try:
        number = convert(value)
    except (TypeError, ValueError):
        return None
    return number if low <= number <= high else None


def _end_of_turn_id(llm) -> int | None:
    """The end-of-turn token's id in Gemma 3's vocabulary (the served adapters' base), from the in-process
    model's tokenizer or the prepared one; None (no stop bias on the engine) when neither is here."""
    from dialogue.prompting import END

    if llm is not None:
        return llm.tokenizer.token_id(END)
    try:
        from dialogue.tokenizer import TextTokenizer
        from weights import prepared_path

        return TextTokenizer.from_folder(prepared_path("gemma3-270m")).token_id(END)
    except Exception as e:  # a remote-only machine without the base model's files
        log.warning("the served roles decode without their stop bias: no Gemma tokenizer here (%s)", e)
        return None


def build_chat_engine(backend: str = "in-process", remote_url: str | None = None,
                      remote_models: str = "answer,memory,summary,expression", remote_api: str = "completions",
                      remote_roles: str = "answer,memory,summary,expression",
                      remote_connect_timeout_s: float | str = 5.0, remote_read_timeout_s: float | str = 30.0,
                      remote_max_connections: int | str = 64, threads: int | None = None,
                      database: str | None = None, collaborators: bool = True, block_steps: str = "1h,1d,14d",
                      block_window: str = "10m", block_threshold: int | str = 3,
                      block_counted: str = "insult,hate,sexual", block_reset_after: str = "30d",
                      temperature: float | None = None, top_p: float | None = None,
                      repetition_penalty: float | None = None, prompt_memories: int | str = LIVE_PROMPT_MEMORIES,
                      answer_bank: float | str = "auto", crisis_replies: bool | str = True,
                      **_unknown) -> PersonaChat:
    """The server's and the terminal's ChatEngine, from `[dialogue]` config options.

    `backend = "remote"`: the roles named in `remote_roles` run on the engine at `remote_url` (the API key
    from $OHLORA_LLM_API_KEY), the others on the small in-process model; with all four remote, no model
    loads here and the server starts in seconds.

    `answer_bank`: the least similarity between a message and a written one for her to reuse its written answer,
    the nearest first (`dialogue.answer_bank`); 0 never; "auto" for our adapters the written answer the answer-fit
    model finds fits best among the nearest ones (DEFAULT_BANK_THRESHOLD without its weights), never for a remote
    chat model.
    `crisis_replies`: answer a message that reads as someone at risk of suicide or self-harm with her crisis reply
    (`dialogue.crisis`; true by default).
    """
    # a wrong option or an unreachable database stops the start here, with its name, before any model loads
    safety_policy = SafetyOptions(block_steps, block_window, block_threshold, block_counted,
                                  block_reset_after).policy_kwargs()
    decoding = AnswerDecoding.with_overrides(temperature, top_p, repetition_penalty)
    live_memories = _number_within(prompt_memories, int, 0, 8)
    if live_memories is None:
        raise ValueError(f"dialogue.prompt_memories: 0 (the relevance gate picks one) to 8 (the nearest, ungated); "
                         f"got {prompt_memories!r}")
    chat_answers = remote_api == "chat" and (backend == "remote" or bool(remote_url))
    bank = answer_bank_threshold(answer_bank, chat_model=chat_answers)
    crisis = crisis_option(crisis_replies)
    if _unknown:
        log.warning("ignoring unknown dialogue options: %s", ", ".join(sorted(_unknown)))
    db = open_database(database) if collaborators else None
    if backend not in ("in-process", "remote"):
        raise ValueError(f"dialogue.backend: must be in-process or remote; got {backend!r}")
    remote_set = set()
    if backend == "remote" or remote_url:
        remote_set = {r.strip() for r in str(remote_roles).split(",") if r.strip()}
        if not remote_set or remote_set - set(ROLES) or "answer" not in remote_set:
            raise ValueError(f"dialogue.remote_roles: the roles to run on the engine, 'answer' first among "
                             f"{','.join(ROLES)}; got {remote_roles!r}")
    llm, count, history, memories, examples = None, None, 0, 0, False
    if len(remote_set) < len(ROLES):
        llm = load_default_llm(threads=threads)
        count = llm.tokenizer.count
        history, _ = trained_prompt_shape(ADAPTERS_DIR)
        examples = trained_with_examples(ADAPTERS_DIR)
        memories = live_memories
        decoding.apply(llm)  # answers decoded here; a remote engine decodes by its own settings
    if remote_set:
        from dialogue.backends import RemoteLLM, RemoteOptions, RoleRoutedLLM

        options = RemoteOptions.from_options(remote_url, remote_models, remote_api, remote_connect_timeout_s,
                                             remote_read_timeout_s, remote_max_connections)
        # served adapters ("completions") keep the first-step stop bias they were chosen with
        bias = role_stop_bias(ADAPTERS_DIR) if remote_api == "completions" else {}
        remote = RemoteLLM(options, bias, _end_of_turn_id(llm) if bias else None)
        llm = remote if llm is None else RoleRoutedLLM({r: remote if r in remote_set else llm for r in ROLES})
        # a chat model sees earlier exchanges as messages and every recalled memory in its system prompt;
        # served adapters saw what ours were trained with
        history = HISTORY_TURNS if remote_api == "chat" else trained_prompt_shape(ADAPTERS_DIR)[0]
        examples = remote_api != "chat" and trained_with_examples(ADAPTERS_DIR)
        memories = PROMPT_MEMORIES if remote_api == "chat" else live_memories
    parts = ({} if db is None else
             build_collaborators(db, safety_policy, bank, crisis, answer_fit=answer_bank == "auto"))
    return PersonaChat(llm, count_tokens=count, history_turns=history, prompt_memories=memories,
                       temperature=decoding.temperature, answer_examples=examples, **parts)

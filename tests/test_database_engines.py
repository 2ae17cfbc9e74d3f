"""The dialogue database on both engines: SQLite, PostgreSQL with pgvector (when the server has it) and
PostgreSQL with exact search. Memories and retrieval agree, blocks survive a restart, migrations race
safely, conversations resume in another process, and a bad URL is a one-line error."""
from __future__ import annotations

import asyncio
import sys
import threading
from datetime import datetime, timedelta

import numpy as np
import pytest

from dialogue.blocks import BlockPolicy, parse_steps
from dialogue.conversation import PersonaChat
from dialogue.conversation_store import ConversationStore
from dialogue.database import SCHEMA_VERSION, DatabaseError, open_database
from dialogue.interfaces import TurnDone
from dialogue.memory import MemoryStore
from tests.database_fixtures import database, postgres_cluster  # noqa: F401  (fixtures)
from tests.dialogue_fakes import HashingEncoder
from tests.test_dialogue_turn import ScriptedLLM

NOW = datetime(2026, 11, 29, 14, 0).astimezone()
FACTS = [("취미", "기타 연주"), ("반려동물", "강아지 초코"), ("내일 일정", "치과 예약"), ("좋아하는 음식", "떡볶이"),
         ("직업", "간호사"), ("hometown", "Toronto"), ("tomorrow's plan", "cinema with Jane"), ("오늘 점심", "김밥")]
QUESTIONS = ["우리 강아지 이름 뭐야?", "내일 일정 뭐였지?", "what's my job?", "where am I from?", "내 취미가 뭐야?",
             "오늘 점심 뭐 먹었더라", "what are my plans tomorrow?", "xyz"]


def _store(db) -> MemoryStore:
    return MemoryStore(db, HashingEncoder(), threshold=0.0)


def test_memories_and_retrieval_agree_with_the_embedded_default(database, tmp_path):
    reference = _store(open_database(tmp_path / "reference.sqlite3"))
    store = _store(database())
    for s in (reference, store):
        s.remember_many("u", FACTS, "t", NOW)
        s.remember("other", "취미", "낚시", "t", NOW)
    if database.engine == "postgresql" and store.db.vectors is False:
        pytest.skip("this PostgreSQL server has no pgvector: the exact-search case covers it")
    assert store.db.vectors == (database.engine == "postgresql")
    for when in (NOW, NOW + timedelta(days=1), NOW + timedelta(days=3)):
        for q in QUESTIONS:
            want, got = reference.search("u", q, when, k=8), store.search("u", q, when, k=8)
            assert [m.as_text() for m in got] == [m.as_text() for m in want], q
            np.testing.assert_allclose([m.score for m in got], [m.score for m in want], atol=1e-5)
            wm, wf, ws = reference.best_features("u", q, when)
            gm, gf, gs = store.best_features("u", q, when)
            assert (gm and gm.as_text()) == (wm and wm.as_text())
            if wf is not None:
                np.testing.assert_allclose(gf, wf, atol=1e-5)
    assert store.count("u") == len(FACTS) and store.export("u") == reference.export("u")
    assert store.forget("u", "취미", NOW) and store.count("u") == len(FACTS) - 1
    assert store.purge_expired(NOW + timedelta(days=3)) == 3  # both plans for tomorrow, today's lunch
    assert store.search("other", "취미", NOW)[0].value == "낚시" and store.delete_user("u") == len(FACTS) - 4


def test_pgvector_installed_later_serves_the_rows_written_before(postgres_cluster):
    if not postgres_cluster.has_pgvector():
        pytest.skip("this PostgreSQL server has no pgvector extension (Debian: postgresql-NN-pgvector)")
    url = postgres_cluster.create_database()
    before = _store(open_database(url, vectors=False))  # a process that opened before pgvector was there
    before.remember_many("u", FACTS[:4], "t", NOW)
    after = _store(open_database(url))  # installs it and fills the earlier rows' vector copies
    assert after.db.vectors and not before.db.vectors
    before.remember_many("u", FACTS[4:], "t", NOW)  # still written without copies: scored from their bytes
    for q in QUESTIONS:
        want, got = before.search("u", q, NOW, k=8), after.search("u", q, NOW, k=8)
        assert [m.as_text() for m in got] == [m.as_text() for m in want], q
        np.testing.assert_allclose([m.score for m in got], [m.score for m in want], atol=1e-5)
    before.db.close(); after.db.close()


def test_another_process_sees_new_memories_at_once(database):
    reader, writer = _store(database()), _store(database())
    assert reader.search("u", "취미", NOW) == []
    writer.remember("u", "취미", "기타", "t", NOW)
    assert reader.search("u", "취미", NOW)[0].value == "기타"
    writer.remember("u", "취미", "드럼", "t", NOW)  # a replaced value reaches the reader's cached index too
    assert reader.search("u", "취미", NOW)[0].value == "드럼"
    writer.delete_user("u")
    assert reader.search("u", "취미", NOW) == []


def test_blocks_and_offences_survive_a_restart(database):
    first = BlockPolicy(database(), steps=parse_steps("1h,1d"))
    outcomes = [first.record_offence("troll", "insult", NOW + timedelta(minutes=i), excerpt="바보") for i in range(3)]
    assert [o.block is None for o in outcomes] == [True, True, False]
    first.db.close()
    again = BlockPolicy(database(), steps=parse_steps("1h,1d"))
    block = again.active_block("troll", NOW + timedelta(minutes=5))
    assert block and block.category == "insult" and block.until == NOW + timedelta(hours=1, minutes=2)
    assert again.offences("troll") == 3 and again.active_block("troll", NOW + timedelta(hours=2)) is None
    assert [b.user_id for b in again.blocks()] == ["troll"]
    assert again.lift("troll") == 1 and again.active_block("troll", NOW + timedelta(minutes=5)) is None
    # the lifted block's offences never count again: the next one is a warning
    assert again.record_offence("troll", "insult", NOW + timedelta(minutes=6)).block is None


def test_two_processes_migrating_at_once_both_open_one_schema(database):
    barrier, opened, failed = threading.Barrier(4), [], []

    def open_one():
        barrier.wait()
        try:
            opened.append(database())
        except Exception as e:  # pragma: no cover - the failure is the assertion below
            failed.append(e)

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not failed and len(opened) == 4
    assert {db.version for db in opened} == {SCHEMA_VERSION}
    store = ConversationStore(opened[0])
    store.record("u", "안녕", "안녕!", "answer", asked_at=NOW)
    assert ConversationStore(opened[3]).transcript("u") == [{"role": "user", "text": "안녕"},
                                                            {"role": "assistant", "text": "안녕!"}]


def _turn(engine: PersonaChat, message: str, now: datetime) -> TurnDone:
    async def go():
        return [ev async for ev in engine.turn("u", message, now)][-1]
    return asyncio.run(go())


def test_a_conversation_resumes_in_another_process(database):
    llm = ScriptedLLM(["반가워 민수야!", "떡볶이 좋지!"], summary="사용자가 떡볶이를 좋아함")
    first = PersonaChat(llm, history_turns=3, conversations=ConversationStore(database()))
    _turn(first, "안녕! 나는 민수야", NOW)
    _turn(first, "나 떡볶이 좋아해", NOW + timedelta(minutes=1))
    first.conversations.db.close()  # that process is gone

    llm2 = ScriptedLLM(["기억나지, 민수야!"], summary="사용자가 이름을 물음")
    second = PersonaChat(llm2, history_turns=3, conversations=ConversationStore(database()))
    assert [t["text"] for t in second.transcript("u")] == ["안녕! 나는 민수야", "반가워 민수야!", "나 떡볶이 좋아해",
                                                          "떡볶이 좋지!"]
    assert second.conversations.last_summary("u") == "사용자가 떡볶이를 좋아함"
    _turn(second, "내 이름 기억해?", NOW + timedelta(minutes=2))
    prompt = [p for role, p in llm2.prompts if role == "answer"][0]
    assert prompt.index("안녕! 나는 민수야") < prompt.index("반가워 민수야!") < prompt.index("떡볶이 좋지!")


def test_an_answer_cut_while_spoken_keeps_only_its_shown_part(database):
    conversations = ConversationStore(database())
    engine = PersonaChat(ScriptedLLM(["하나 둘 셋 넷 다섯"]), history_turns=3, conversations=conversations)
    _turn(engine, "세어 줘", NOW)  # stored whole, then cut while the server was still speaking it
    engine.record_interrupted("u", "하나 둘")
    [exchange] = ConversationStore(database()).recent("u")
    assert (exchange.message, exchange.answer, exchange.kind) == ("세어 줘", "하나 둘", "interrupted")
    assert "하나 둘" in conversations.last_summary("u") and conversations.history("u", 3) == (("세어 줘", "하나 둘"),)


def test_the_gates_replies_are_in_the_transcript_but_never_in_the_prompt(database):
    conversations = ConversationStore(database())
    engine = PersonaChat(ScriptedLLM(["응!"]), history_turns=3, conversations=conversations)
    _turn(engine, "x" * 2000, NOW)  # too long: a canned reply
    _turn(engine, "뭐 해?", NOW + timedelta(minutes=1))
    assert [e.kind for e in conversations.recent("u")] == ["reply", "answer"]
    assert conversations.history("u", 3) == (("뭐 해?", "응!"),)
    assert len(conversations.transcript("u")) == 4


def test_a_newer_schema_is_refused(database):
    db = database()
    with db.transaction() as conn:
        if db.engine == "sqlite":
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
        else:
            conn.execute("UPDATE ohlora_schema SET version = ?", (SCHEMA_VERSION + 1,))
    db.close()
    with pytest.raises(DatabaseError, match="newer than this ohlora"):
        database()


def test_postgres_reconnects_after_a_server_restart(postgres_cluster):
    db = open_database(postgres_cluster.create_database())
    conversations = ConversationStore(db)
    conversations.record("u", "안녕", "안녕!", "answer", asked_at=NOW)
    postgres_cluster.stop()
    postgres_cluster.start()
    with pytest.raises(Exception):  # the call in flight when the server went away fails ...
        conversations.transcript("u")
    assert len(conversations.transcript("u")) == 2  # ... and the next one reconnects
    db.close()


@pytest.mark.parametrize("url, message", [
    ("postgresql://ohlora:s3cret@127.0.0.1:1/ohlora", "cannot connect to PostgreSQL at postgresql://ohlora@127.0.0.1:1/ohlora"),
    ("postgresql://ohlora@127.0.0.1:notaport/ohlora", "not a valid PostgreSQL URL|cannot connect"),
    ("mysql://localhost/ohlora", "unknown database URL mysql://"),
])
def test_a_bad_url_is_a_clear_error(url, message):
    pytest.importorskip("psycopg", reason="pip install -e '.[postgres]'")
    with pytest.raises(DatabaseError, match=message) as e:
        open_database(url)
    assert "s3cret" not in str(e.value)


def test_postgres_without_psycopg_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "psycopg", None)
    with pytest.raises(DatabaseError, match=r"pip install 'ohlora\[postgres\]'"):
        open_database("postgresql://localhost/ohlora")


def test_the_command_line_reports_an_unreachable_database_in_one_line(capsys):
    pytest.importorskip("psycopg", reason="pip install -e '.[postgres]'")
    from realtime.cli import main

    assert main(["memory", "export", "u", "--db", "postgresql://ohlora:s3cret@127.0.0.1:1/ohlora"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "s3cret" not in err
    assert err.strip().count("\n") == 0 and "cannot connect to PostgreSQL" in err

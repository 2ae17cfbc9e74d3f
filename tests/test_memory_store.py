"""MemoryStore on a real SQLite file with a stand-in encoder: upsert, time-bound keys, privacy, crashes."""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from dialogue.database import SCHEMA_VERSION, open_database
from dialogue.memory import MemoryStore
from tests.dialogue_fakes import HashingEncoder

NOW = datetime(2026, 11, 29, 14, 0).astimezone()


@pytest.fixture
def store(tmp_path):
    return MemoryStore(open_database(tmp_path / "d.sqlite3"), HashingEncoder(), threshold=0.3)


def test_upsert_by_key_replaces_the_old_value(store):
    store.remember("u", "내일 일정", "친구랑 카페 방문", "t1", NOW)
    store.remember("u", "내일 일정", "치과 예약", "t2", NOW + timedelta(hours=1))
    assert store.count("u") == 1
    assert store.export("u")[0]["value"] == "치과 예약"
    assert store.export("u")[0]["source_turn"] == "t2"


def test_memories_are_per_user(store):
    store.remember("alice", "반려동물", "강아지 초코", "t", NOW)
    assert store.retrieve("bob", "우리 강아지 이름 뭐야?", NOW) is None
    assert store.retrieve("alice", "우리 강아지 이름 뭐야? 반려동물", NOW).value == "강아지 초코"


def test_tomorrow_becomes_today_then_expires(store):
    store.remember("u", "내일 일정", "친구랑 카페 방문", "t", NOW)
    assert store.search("u", "내일 일정", NOW)[0].key == "내일 일정"
    next_day = NOW + timedelta(days=1)
    got = store.search("u", "오늘 일정", next_day)[0]
    assert got.as_text() == "[오늘 일정: 친구랑 카페 방문]"
    assert store.search("u", "일정", NOW + timedelta(days=2))[0].key == "어제 일정"
    assert store.search("u", "일정", NOW + timedelta(days=3)) == []
    assert store.purge_expired(NOW + timedelta(days=3)) == 1 and store.count("u") == 0


def test_a_new_tomorrow_plan_does_not_replace_todays(store):
    store.remember("u", "tomorrow's plan", "dentist", "t", NOW)
    store.remember("u", "tomorrow's plan", "cinema", "t", NOW + timedelta(days=1))
    keys = sorted(m.as_text() for m in store.search("u", "plan", NOW + timedelta(days=1), k=5))
    assert keys == ["[today's plan: dentist]", "[tomorrow's plan: cinema]"]


def test_question_naming_a_day_prefers_that_days_memory(store):
    store.remember("u", "오늘 일정", "도서관", "t", NOW)
    store.remember("u", "내일 일정", "도서관", "t", NOW)
    assert store.search("u", "내일 일정 뭐야", NOW, k=1)[0].key == "내일 일정"
    assert store.search("u", "오늘 일정 뭐야", NOW, k=1)[0].key == "오늘 일정"


def test_threshold_keeps_irrelevant_memories_out(store):
    store.remember("u", "좋아하는 음식", "떡볶이", "t", NOW)
    store.threshold = 0.99
    assert store.retrieve("u", "xyz qqq", NOW) is None


def test_persists_across_restart_and_exports_and_deletes(tmp_path):
    path = tmp_path / "d.sqlite3"
    s1 = MemoryStore(open_database(path), HashingEncoder(), threshold=0.0)
    s1.remember("u", "취미", "기타 연주", "t", NOW)
    s1.db.close()
    s2 = MemoryStore(open_database(path), HashingEncoder(), threshold=0.0)
    assert s2.retrieve("u", "취미", NOW).value == "기타 연주"
    out = tmp_path / "export.json"
    assert s2.export_json("u", out) == 1 and "기타 연주" in out.read_text(encoding="utf-8")
    assert s2.delete_user("u") == 1
    assert s2.retrieve("u", "취미", NOW) is None


def test_sees_writes_of_another_connection(tmp_path):
    path = tmp_path / "d.sqlite3"
    reader = MemoryStore(open_database(path), HashingEncoder(), threshold=0.0)
    assert reader.search("u", "취미", NOW) == []
    writer = MemoryStore(open_database(path), HashingEncoder(), threshold=0.0)
    writer.remember("u", "취미", "기타", "t", NOW)
    assert reader.search("u", "취미", NOW)[0].value == "기타"


def test_bad_input_is_a_clear_error(store, tmp_path):
    with pytest.raises(ValueError):
        store.remember("u", "", "x", "t", NOW)
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not a database at all" * 100)
    with pytest.raises(ValueError, match="not a usable SQLite database"):
        open_database(junk)


def test_migrates_an_old_schema_and_refuses_a_newer_one(tmp_path):
    from dialogue.database import MIGRATIONS

    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path)
    for statement in MIGRATIONS[0].split(";"):
        if statement.strip():
            conn.execute(statement)
    conn.execute("PRAGMA user_version = 1")
    conn.execute("INSERT INTO memories (user_id, slot, key, value, embedding, created_at, updated_at) "
                 "VALUES ('u', '취미', '취미', '기타', ?, 0, 0)", (b"\0" * 384 * 4,))
    conn.commit(); conn.close()
    db = open_database(path)
    assert db.version == SCHEMA_VERSION
    assert db.conn.execute("SELECT value FROM memories").fetchone() == ("기타",)
    assert db.conn.execute("SELECT COUNT(*) FROM blocks").fetchone() == (0,)
    db.conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(ValueError, match="newer than this ohlora"):
        open_database(path)


WRITER = """
import sys
from datetime import datetime
sys.path.insert(0, {root!r})
from dialogue.database import open_database
from dialogue.memory import MemoryStore
from tests.dialogue_fakes import HashingEncoder
store = MemoryStore(open_database({path!r}), HashingEncoder())
now = datetime(2026, 11, 29, 14, 0).astimezone()
i = 0
while True:
    store.remember_many("u", [(f"fact {{i}}-{{j}}", "x" * 2000) for j in range(20)], "t", now)
    print(i, flush=True)  # acknowledged: the transaction committed
    i += 1
"""


def test_writer_killed_mid_write_loses_nothing_acknowledged(tmp_path):
    path = tmp_path / "crash.sqlite3"
    root = str(Path(__file__).resolve().parent.parent)
    proc = subprocess.Popen([sys.executable, "-c", WRITER.format(root=root, path=str(path))],
                            stdout=subprocess.PIPE, text=True)
    acked = []
    deadline = time.time() + 60
    while len(acked) < 15 and time.time() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        acked.append(int(line))
    os.kill(proc.pid, signal.SIGKILL)  # mid-way through the next transaction
    proc.wait()
    assert len(acked) >= 15, "the writer did not get going"
    db = open_database(path)
    assert db.conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    slots = {r[0] for r in db.conn.execute("SELECT slot FROM memories WHERE user_id = 'u'")}
    for i in acked:
        assert all(f"fact {i}-{j}" in slots for j in range(20)), f"acknowledged batch {i} was lost"
    # transactions are atomic: every batch is whole or absent
    batches = {s.split("-")[0] for s in slots}
    assert len(slots) == 20 * len(batches)


def test_person_markers_tell_the_user_from_oh_lora():
    from dialogue.question_cues import person_markers

    assert person_markers("내 생일 언제였지?") == (1.0, 0.0)
    assert person_markers("너 생일이 언제야?") == (0.0, 1.0)
    assert person_markers("로라는 어느 학교 다녀?") == (0.0, 1.0)
    assert person_markers("do you remember my dog's name?") == (1.0, 1.0)
    assert person_markers("tell me something funny") == (0.0, 0.0)


def test_relevance_model_gates_retrieval(tmp_path):
    import numpy as np

    from dialogue.memory_relevance import RELEVANCE_FEATURES, RetrievalRelevance

    # weights only on "question addresses Oh-LoRA" (negative): the same memory is kept out for her questions
    w = np.zeros(len(RELEVANCE_FEATURES)); w[RELEVANCE_FEATURES.index("question addresses Oh-LoRA")] = -10
    model = RetrievalRelevance(w, 5.0, 0.5, {})
    store = MemoryStore(open_database(tmp_path / "d.sqlite3"), HashingEncoder(), relevance=model)
    assert store.threshold == 0.5
    store.remember("u", "생일", "5월 3일", "t", NOW)
    assert store.retrieve("u", "내 생일 언제였지?", NOW).value == "5월 3일"
    assert store.retrieve("u", "너 생일 언제야?", NOW) is None
    path = model.save(tmp_path / "retrieval.json")
    loaded = RetrievalRelevance.load(path)
    assert loaded.threshold == 0.5 and np.allclose(loaded.weights, w)
    assert RetrievalRelevance.load(tmp_path / "missing.json") is None


def test_rows_written_before_key_embeddings_are_still_retrieved(tmp_path):
    path = tmp_path / "d.sqlite3"
    store = MemoryStore(open_database(path), HashingEncoder(), threshold=0.0)
    store.remember("u", "취미", "기타 연주", "t", NOW)
    store.db.conn.execute("UPDATE memories SET key_embedding = NULL")  # as a schema-2 row
    fresh = MemoryStore(open_database(path), HashingEncoder(), threshold=0.0)
    assert fresh.retrieve("u", "취미", NOW).value == "기타 연주"


def test_is_question_tells_questions_from_remarks():
    from dialogue.question_cues import is_question

    assert is_question("내일 뭐 하지") == is_question("do I have plans tomorrow?") == 1.0
    assert is_question("나 오늘 너무 피곤해") == is_question("I'm bored") == 0.0


def test_a_memory_scores_its_passage_and_key_blended(store):
    """The search ranks by (passage·q + KEY_WEIGHT key·q) / (1 + KEY_WEIGHT), the cosines e5 was calibrated on."""
    import numpy as np

    from dialogue.memory import KEY_WEIGHT

    store.remember("u", "반려동물", "고양이 나비", "t", NOW)
    enc = store.encoder
    q = enc.encode_one("우리 고양이 이름 뭐였지", "query")
    passage = enc.encode_one(store._embedding_text("반려동물", "고양이 나비"), "passage")
    key = enc.encode_one(store._key_text("반려동물", "고양이 나비"), "query")
    expected = (float(passage @ q) + KEY_WEIGHT * float(key @ q)) / (1 + KEY_WEIGHT)
    assert store.search("u", "우리 고양이 이름 뭐였지", NOW)[0].score == pytest.approx(expected, abs=1e-5)
